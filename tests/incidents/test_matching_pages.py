"""The analysts' page of the matching models (issue 14): both models' figures, the weight chart
as a table and an inline SVG, promotion through the service's gate."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from dapolice.accounts.choices import Role
from dapolice.audit.models import AuditEvent
from incidents.matching import scoring
from incidents.matching.models import MatchingModel
from incidents.matching.services import matching_model_create, matching_model_record_bench
from incidents.matching.weights import to_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(make_user):
    return make_user(Role.ANALYST)


@pytest.fixture
def trained(system):
    weights = to_json(scoring.DEFAULT_WEIGHTS)
    weights["dob"]["exact"] = 9.25
    weights["tf_rare"] = {"given": 1.5, "family": 2.0, "postcode": 0.5}
    return matching_model_create(
        actor=system, name="Splink, 300 persons", source="splink", weights=weights
    )


def test_the_page_shows_both_models_weights_as_a_table_and_an_inline_svg(
    client_for, analyst, trained
):
    page = client_for(analyst).get(reverse("incidents:matching-model", args=[trained.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "In use: the hand-set weights" in html
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    assert 'role="img"' in svg
    assert "style=" not in svg  # CSP: no inline style
    assert "<script" not in svg
    fields = ("given", "family", "dob", "address", "phone")
    levels = sum(len(getattr(scoring.DEFAULT_WEIGHTS, f)) for f in fields) + 1  # and the prior
    assert svg.count("<rect") == 2 * levels
    table = re.search(r'data-testid="weights".*?</table>', html, re.S).group(0)
    assert "9.25" in table
    assert "7.5" in table  # the hand weight beside it
    assert AuditEvent.objects.filter(
        action="matching.model.read", subject_id=str(trained.pk), actor=analyst
    ).exists()
    listing = client_for(analyst).get(reverse("incidents:matching-models")).content.decode()
    assert f'data-model="{trained.pk}"' in listing


def test_an_analyst_promotes_a_model_that_is_no_worse(client_for, analyst, trained):
    answer = client_for(analyst).post(
        reverse("incidents:matching-model", args=[trained.pk]), {"reason": "better on Febrl"}
    )
    assert answer.status_code == 302
    trained.refresh_from_db()
    assert trained.active
    event = AuditEvent.objects.get(action="matching.model.activated", subject_id=str(trained.pk))
    assert (event.actor_id, event.reason) == (analyst.pk, "better on Febrl")


def test_a_refused_promotion_comes_back_with_the_reason_typed_and_why(
    client_for, analyst, system, trained
):
    matching_model_record_bench(
        actor=system,
        model=trained,
        figures={"top1": 0.5, "recall": 0.5, "precision": 0.9},
        active={"top1": 0.9, "recall": 0.6, "precision": 0.99},
    )
    answer = client_for(analyst).post(
        reverse("incidents:matching-model", args=[trained.pk]), {"reason": "try it anyway"}
    )
    assert answer.status_code == 400
    html = answer.content.decode()
    assert "try it anyway" in html
    assert "worse than the one in use" in html
    assert "govuk-error-summary" in html
    assert not MatchingModel.objects.filter(active=True).exists()


def test_an_empty_reason_is_an_error_beside_the_field(client_for, analyst, trained):
    answer = client_for(analyst).post(
        reverse("incidents:matching-model", args=[trained.pk]), {"reason": ""}
    )
    assert answer.status_code == 400
    assert "govuk-error-summary" in answer.content.decode()
    trained.refresh_from_db()
    assert not trained.active


def test_only_analysts_open_the_page(client_for, call_taker, trained):
    url = reverse("incidents:matching-model", args=[trained.pk])
    assert client_for(call_taker).get(url).status_code == 403
    assert client_for(call_taker).post(url, {"reason": "x"}).status_code == 403
