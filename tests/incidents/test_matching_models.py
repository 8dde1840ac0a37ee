"""Matching weights served from the active model, and labels from the call takers' links
(issue 14, the first slice: no training yet)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dapolice.audit.models import AuditEvent
from dapolice.common.errors import DomainError
from incidents import services
from incidents.choices import PersonRole
from incidents.inputs import PersonInput
from incidents.matching import scoring, weights
from incidents.matching.engine import MatchQuery, match_persons
from incidents.matching.models import MatchingModel, MatchLabel
from incidents.matching.services import (
    match_label_record,
    matching_model_activate,
    matching_model_create,
)

HAND = scoring.DEFAULT_WEIGHTS


def _person(actor, given, family, dob=None, phones=()):
    return services.person_create(
        actor=actor,
        data=PersonInput(
            role=PersonRole.VICTIM,
            given_name=given,
            family_name=family,
            date_of_birth=dob,
            phones=phones,
        ),
    )


def test_weights_round_trip_through_json_and_refuse_what_is_not_a_weight():
    assert weights.from_json(weights.to_json(HAND)) == HAND
    data = weights.to_json(HAND)
    with pytest.raises(ValueError, match="given"):
        weights.from_json(
            {**data, "given": {k: v for k, v in data["given"].items() if k != "exact"}}
        )
    with pytest.raises(ValueError, match="unknown"):
        weights.from_json({**data, "priorr": -3})
    # Scalars left out keep the hand-set values.
    assert weights.from_json({k: data[k] for k in ("given", "family", "dob", "phone", "address")})


def test_a_model_stored_before_the_year_level_serves_it_at_most_as_a_date_one_digit_off():
    data = weights.to_json(HAND)
    older = {k: v for k, v in data["dob"].items() if k != scoring.YEAR}
    served = weights.from_json({**data, "dob": older})
    assert served.dob[scoring.YEAR] == HAND.dob[scoring.YEAR]
    trusting_less = weights.from_json({**data, "dob": {**older, scoring.ONE_DIGIT: 1.0}})
    assert trusting_less.dob[scoring.YEAR] == 1.0


def test_a_model_stored_before_the_same_street_level_serves_it_at_most_as_its_same_address():
    data = weights.to_json(HAND)
    older = {k: v for k, v in data["address"].items() if k != scoring.SAME_STREET}
    served = weights.from_json({**data, "address": older})
    assert served.address[scoring.SAME_STREET] == HAND.address[scoring.SAME_STREET]
    trusting_less = weights.from_json({**data, "address": {**older, scoring.SAME: 3.0}})
    assert trusting_less.address[scoring.SAME_STREET] == 3.0
    # Any other level left out is still refused.
    with pytest.raises(ValueError, match="address"):
        weights.from_json(
            {**data, "address": {k: v for k, v in older.items() if k != scoring.SAME_POSTCODE}}
        )


def test_the_engine_serves_the_active_models_weights_and_the_hand_weights_without_one(
    call_taker,
):
    # Same date of birth (one digit off) against a same-name-only candidate: with the hand
    # weights the date wins; a model that trusts names over dates ranks the other first.
    by_date = _person(call_taker, "Zebedee", "Quarrington", date(1980, 3, 14))
    by_name = _person(call_taker, "Zebedee", "Quarringten", None)
    query = MatchQuery(
        given_name="Zebedee", family_name="Quarringten", date_of_birth=date(1980, 3, 14)
    )
    assert match_persons(query)[0].person_id == by_date.pk

    names_first = replace(
        HAND,
        family={**HAND.family, scoring.EXACT: 12.0},
        dob={**HAND.dob, scoring.EXACT: 0.5, scoring.MISSING: 0.0},
    )
    model = matching_model_create(
        actor=call_taker, name="names first", source="labels", weights=names_first
    )
    assert match_persons(query)[0].person_id == by_date.pk  # created, not yet active
    matching_model_activate(actor=call_taker, model=model, reason="test")
    assert match_persons(query)[0].person_id == by_name.pk
    # Read once per process: the next search is the engine's one query again.
    with CaptureQueriesContext(connection) as captured:
        match_persons(query)
    assert len(captured.captured_queries) == 1
    matching_model_activate(actor=call_taker, model=None, reason="back to hand weights")
    assert match_persons(query)[0].person_id == by_date.pk
    actions = list(
        AuditEvent.objects.filter(action__startswith="matching.model.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "matching.model.created",
        "matching.model.activated",
        "matching.model.deactivated",
    ]


def test_one_model_is_active_at_most_and_a_change_needs_a_reason(call_taker):
    a = matching_model_create(actor=call_taker, name="a", source="hand", weights=HAND)
    b = matching_model_create(actor=call_taker, name="b", source="hand", weights=HAND)
    with pytest.raises(DomainError):
        matching_model_activate(actor=call_taker, model=a, reason=" ")
    matching_model_activate(actor=call_taker, model=a, reason="first")
    matching_model_activate(actor=call_taker, model=b, reason="second")
    assert list(MatchingModel.objects.filter(active=True)) == [b]
    with pytest.raises(IntegrityError), transaction.atomic():
        MatchingModel.objects.filter(pk=a.pk).update(active=True)
    with pytest.raises(DomainError):
        matching_model_create(actor=call_taker, name="bad", source="hand", weights={"prior": 1})


def test_a_link_in_the_panel_is_a_positive_label_with_levels_not_values(client_for, call_taker):
    jane = _person(call_taker, "Elizabeth", "Quarrington", date(1984, 5, 2), ("07700 900123",))
    client_for(call_taker).post(
        reverse("incidents:match-panel"),
        {
            "panel": "victim",
            "link": str(jane.pk),
            "victim-given_name": "Liz",
            "victim-family_name": "Quarrington",
            "victim-date_of_birth": "1984-05-02",
        },
        HTTP_HX_REQUEST="true",
    )
    label = MatchLabel.objects.get()
    assert (label.person_id, label.positive, label.decided_by_id) == (jane.pk, True, call_taker.pk)
    assert label.levels["given"] == scoring.NICKNAME
    assert label.levels["family"] == scoring.EXACT
    assert "Liz" not in str(label.levels)
    event = AuditEvent.objects.get(action="matching.label.recorded")
    assert "Liz" not in str(event.changes)


def test_a_negative_label_is_recorded_by_the_service(call_taker):
    person = _person(call_taker, "Harriet", "Quarrington", date(1984, 5, 2))
    label = match_label_record(
        actor=call_taker,
        person=person,
        query=MatchQuery(given_name="Harriet", date_of_birth=date(1962, 1, 1)),
        positive=False,
    )
    assert label.positive is False
    assert (label.levels["dob"], label.levels["family"]) == (scoring.MISMATCH, scoring.MISSING)


def test_a_models_term_frequencies_are_read_once_and_weigh_a_common_name_less(call_taker):
    """Issue 14: an exact agreement on a common surname adds its table's weight, on a rare one
    the rare-value weight; the tables are read with the weights, once per process."""
    from incidents.matching.models import MatchTermFrequency

    common = _person(call_taker, "Zebedee", "Smith", date(1980, 3, 14))
    rare = _person(call_taker, "Zebedee", "Quarrington", date(1980, 3, 14))
    data = weights.to_json(HAND)
    data["tf_rare"] = {"given": 0.0, "family": 2.0, "postcode": 0.0}
    model = matching_model_create(actor=call_taker, name="tf", source="splink", weights=data)
    MatchTermFrequency.objects.create(
        model=model, column="family", value="smith", persons=900, weight=-2.5
    )
    matching_model_activate(actor=call_taker, model=model, reason="test")

    def score(family):
        query = MatchQuery(
            given_name="Zebedee", family_name=family, date_of_birth=date(1980, 3, 14)
        )
        return match_persons(query)[0]

    assert score("Smith").person_id == common.pk
    assert score("Quarrington").person_id == rare.pk
    assert score("Smith").score < score("Quarrington").score
    served = weights.for_model(model.pk)
    assert served.tf_weight("family", "smith") == -2.5
    assert served.tf_weight("family", "quarrington") == 2.0
    # Read once per process: the next search is the engine's one query again.
    with CaptureQueriesContext(connection) as captured:
        match_persons(MatchQuery(given_name="Zebedee", family_name="Smith"))
    assert len(captured.captured_queries) == 1
    # Without the model's tables the same two agreements weigh the same.
    assert HAND.tf_weight("family", "smith") == HAND.tf_weight("family", "quarrington") == 0.0
