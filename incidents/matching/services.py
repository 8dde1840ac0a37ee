"""Writes of the matching tables: weights models, their promotion, and labels (issue 14).

Every write is audited. A label holds comparison levels, never what was typed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dapolice.accounts.models import User
from dapolice.audit.services import record_change, record_create
from dapolice.common.errors import DomainError
from incidents.matching import evaluation, keys, scoring, training
from incidents.matching.conf import setting
from incidents.matching.engine import MatchQuery, typed_of
from incidents.matching.models import MatchingModel, MatchLabel, MatchTermFrequency
from incidents.matching.weights import from_json, load, to_json
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
    trainer_version: str = "",
    reason: str = "",
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
            trainer_version=trainer_version,
        )
        record_create(
            actor=actor,
            action="matching.model.created",
            subject=model,
            fields=("name", "source", "record_count", "trainer_version"),
            reason=reason,
        )
    return model


def matching_model_train(
    *, actor: User, u_pairs: int | None = None, seed: int = 1
) -> MatchingModel:
    """Train a model with Splink on every person's match keys and store it, inactive, with
    its term-frequency tables and its figures on the labels (see ``training``).

    Raises ``training.TrainingUnavailable`` without the ``train`` extra or with too few persons.
    """
    records = training.training_records()
    trained = training.train(records, u_pairs=u_pairs, seed=seed)
    with transaction.atomic():
        model = matching_model_create(
            actor=actor,
            name=f"Splink, {trained.record_count:,} persons",
            source=MatchingModel.Source.SPLINK,
            weights=trained.weights,
            record_count=trained.record_count,
            trained_at=timezone.now(),
            trainer_version=trained.trainer_version,
            metrics={
                "training": {
                    "seconds": trained.seconds,
                    "peak_mb": trained.peak_mb,
                    "prior_probability": trained.prior_probability,
                    "hand_weight_kept": trained.fallback_levels,
                    "tf_values": {c: len(t) for c, t in trained.frequencies.items()},
                }
            },
            # The training read every person's match keys (no narratives): on record here.
            reason=f"trained on the match keys of {trained.record_count} persons",
        )
        MatchTermFrequency.objects.bulk_create(
            (
                MatchTermFrequency(
                    model=model, column=column, value=value, persons=n, weight=round(weight, 4)
                )
                for column, table in trained.frequencies.items()
                for value, (n, weight) in table.items()
            ),
            batch_size=5000,
        )
        model.metrics["labels"] = matching_model_evaluate(model=model)
        model.save(update_fields=["metrics", "updated_at"])
    return model


def _labels() -> list[tuple[dict[str, Any], bool]]:
    return [
        (dict(levels), positive)
        for levels, positive in MatchLabel.objects.values_list("levels", "positive")
    ]


def matching_model_evaluate(*, model: MatchingModel | None) -> dict[str, Any]:
    """Figures of ``model`` (None: the hand-set weights) on every label recorded so far."""
    weights = scoring.DEFAULT_WEIGHTS if model is None else load(model.pk)
    return evaluation.on_labels(weights, _labels())


def matching_model_record_bench(
    *, actor: User, model: MatchingModel, figures: dict[str, Any], active: dict[str, Any]
) -> None:
    """The bench's figures of ``model`` and of the active weights on the same held-out set
    (``make bench``): the second half of the promotion gate."""
    with transaction.atomic():
        model = MatchingModel.objects.select_for_update().get(pk=model.pk)
        model.metrics = {**model.metrics, "bench": {"candidate": figures, "active": active}}
        model.save(update_fields=["metrics", "updated_at"])
        record_change(
            actor=actor,
            action="matching.model.benched",
            subject=model,
            changes={"bench": [None, model.metrics["bench"]]},
        )


def matching_model_promote(*, actor: User, model: MatchingModel, reason: str) -> dict[str, Any]:
    """Make ``model`` the active one, if it is no worse than the active model (or the hand-set
    weights) on the labels and, when benched, on the bench's held-out set. The figures of both
    are re-computed now and kept on the model; raises ``DomainError`` naming what is worse."""
    if not reason.strip():
        raise DomainError(_("Say why the matching weights change."), field="reason")
    model = MatchingModel.objects.get(pk=model.pk)  # the figures as stored now
    active = MatchingModel.objects.filter(active=True).first()
    if active is not None and active.pk == model.pk:
        raise DomainError(_("This model is already the one in use."))
    tolerance = float(setting("DAPOLICE_MATCH_PROMOTION_TOLERANCE"))
    mine = matching_model_evaluate(model=model)
    theirs = matching_model_evaluate(model=active)
    worse = evaluation.no_worse(mine, theirs, tolerance)
    bench = model.metrics.get("bench") or {}
    if bench:
        worse += [
            f"bench {name}"
            for name in evaluation.no_worse(
                bench.get("candidate", {}), bench.get("active", {}), tolerance
            )
        ]
    figures = {"labels": mine, "active_labels": theirs}
    with transaction.atomic():
        locked = MatchingModel.objects.select_for_update().get(pk=model.pk)
        locked.metrics = {**locked.metrics, **figures}
        locked.save(update_fields=["metrics", "updated_at"])
        if worse:
            record_change(
                actor=actor,
                action="matching.model.promotion_refused",
                subject=locked,
                changes={"worse": [None, worse]},
                reason=reason,
            )
    if worse:
        raise DomainError(
            _("This model is worse than the one in use on: %(figures)s.")
            % {"figures": ", ".join(worse)}
        )
    matching_model_activate(actor=actor, model=model, reason=reason)
    return figures


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
