"""Writes of the matching tables: weights models, their promotion, and labels (issue 14).

Every write is audited. A label holds comparison levels, never what was typed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from dapolice.accounts.models import User
from dapolice.audit.services import record_change, record_create
from dapolice.common.errors import DomainError
from incidents.matching import keys, scoring
from incidents.matching.conf import setting
from incidents.matching.engine import MatchQuery, typed_of
from incidents.matching.models import MatchingModel, MatchLabel
from incidents.matching.weights import from_json, to_json
from incidents.models import Person


def matching_model_create(
    *,
    actor: User,
    name: str,
    source: str,
    weights: scoring.Weights | dict[str, Any],
    record_count: int = 0,
    trained_at: datetime | None = None,
    metrics: dict[str, Any] | None = None,
) -> MatchingModel:
    """A new, inactive model. Its weights are checked now and never change afterwards."""
    if source not in MatchingModel.Source.values:
        raise DomainError(_("Choose where the weights come from."), field="source")
    try:
        checked = weights if isinstance(weights, scoring.Weights) else from_json(weights)
    except (TypeError, ValueError) as exc:
        message = _("These weights cannot be used: %(e)s") % {"e": exc}
        raise DomainError(message, field="weights") from exc
    with transaction.atomic():
        model = MatchingModel.objects.create(
            name=name.strip()[:100] or source,
            source=source,
            weights=to_json(checked),
            record_count=record_count,
            trained_at=trained_at,
            metrics=metrics or {},
        )
        record_create(
            actor=actor,
            action="matching.model.created",
            subject=model,
            fields=("name", "source", "record_count", "metrics"),
        )
    return model


def matching_model_activate(*, actor: User, model: MatchingModel | None, reason: str) -> None:
    """Serve ``model``'s weights from the next search on (None: back to the hand weights)."""
    if not reason.strip():
        raise DomainError(_("Say why the matching weights change."), field="reason")
    with transaction.atomic():
        current = MatchingModel.objects.select_for_update().filter(active=True).first()
        if current is not None and (model is None or current.pk != model.pk):
            current.active = False
            current.save(update_fields=["active", "updated_at"])
            record_change(
                actor=actor,
                action="matching.model.deactivated",
                subject=current,
                changes={"active": [True, False]},
                reason=reason,
            )
        if model is not None and not (current is not None and current.pk == model.pk):
            model.active = True
            model.save(update_fields=["active", "updated_at"])
            record_change(
                actor=actor,
                action="matching.model.activated",
                subject=model,
                changes={"active": [False, True]},
                reason=reason,
            )


def _stored(person: Person) -> scoring.Stored:
    """The person as the engine reads them (a restricted address is no address)."""
    address = person.address
    usable = address is not None and not address.is_restricted
    stored = scoring.Stored(
        person_id=person.pk,
        dob=person.date_of_birth,
        postcode_key=address.postcode_key if usable and address else "",
        house_key=address.house_key if usable and address else "",
    )
    stored.names = [(n.given_name, n.family_name, n.is_primary) for n in person.names.all()]
    stored.phones = {p.number: p.kind for p in person.phones.all()}
    return stored


def match_label_record(
    *, actor: User, person: Person, query: MatchQuery, positive: bool
) -> MatchLabel:
    """A call taker's decision on a candidate: linked (``positive``) or "not this person".

    Stored as the comparison levels of what was typed against the person (the features a
    model is trained on) and the score shown; nothing typed is kept.
    """
    typed = typed_of(query)
    stored = _stored(person)
    evidence = scoring.compare(typed, stored)
    name = scoring.best_name(evidence)
    value = scoring.score(evidence, flag_threshold=float(setting("DAPOLICE_MATCH_FLAG_THRESHOLD")))
    levels = {
        "given": name.given,
        "family": name.family,
        "swapped": name.swapped,
        "primary": name.primary,
        "dob": evidence.dob,
        "dob_common": evidence.dob_common,
        "phone": evidence.phone,
        "address": evidence.address,
        "placeholder_dob": query.date_of_birth is not None
        and keys.dob_key(query.date_of_birth) is None,
    }
    with transaction.atomic():
        label = MatchLabel.objects.create(
            person=person,
            positive=positive,
            levels=levels,
            score=round(value, 4),
            decided_by=actor,
        )
        record_create(
            actor=actor,
            action="matching.label.recorded",
            subject=label,
            fields=("person_id", "positive"),
        )
    return label
