"""Bail, custody and release (HMIC recommendation 12) and the duty inspector rota.

Recording a change in a suspect's bail or custody sets, in the same transaction, the deadline to
tell the victim within the Victims' Code timescale and a re-assessment task (both alerts raised by
``mash.receivers``, which knows the victim's SPOC); recording that the victim was told cancels the
first. The duty inspector rota says who receives an unattended incident's escalation.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dapolice import access
from dapolice.accounts.models import User
from dapolice.alerts.services import deadline_cancel, deadline_set
from dapolice.audit.services import diff, record_change, record_create, snapshot
from dapolice.common.errors import Conflict, DomainError
from incidents.choices import (
    CUSTODY_REASSESS_DEADLINE,
    CUSTODY_TELL_VICTIM_DEADLINE,
    CustodyEventKind,
    PersonRole,
)
from incidents.models import CustodyEvent, DutyInspectorShift, Incident, IncidentPerson, Person
from incidents.rules import working_days_after

#: A time "now" typed on a slow form may be this far ahead of the server's clock.
FUTURE_SLACK = timedelta(minutes=5)
#: Seven or more digits in a row (spaces, dots or hyphens between): a phone number, which the
#: notes must not carry (alerts and e-mails never do; the victim's safe number is on the contact
#: plan).
PHONE_LIKE = re.compile(r"(?:\d[\s.\-]?){7,}")


def _clean_notes(notes: str) -> str:
    notes = notes.strip()
    if PHONE_LIKE.search(notes):
        raise DomainError(
            _(
                "Leave phone numbers out of the notes: the victim's safe number is on the "
                "contact plan."
            ),
            field="notes",
        )
    return notes


def custody_event_record(
    *,
    actor: User,
    incident: Incident,
    suspect: Person,
    kind: str,
    occurred_at: datetime | None = None,
    notes: str = "",
) -> CustodyEvent:
    """Record a suspect's bail or custody change on an incident; the victim is to be told by
    ``DAPOLICE_CUSTODY_TELL_VICTIM_WORKING_DAYS`` working days after it, and a re-assessment of
    the victim's risk is due at once."""
    access.require(actor, "incidents.custody.record", incident)
    now = timezone.now()
    if kind not in CustodyEventKind.values:
        raise DomainError(_("Choose what happened."), field="kind")
    occurred_at = occurred_at or now
    if occurred_at > now + FUTURE_SLACK:
        raise DomainError(_("The time cannot be in the future."), field="occurred_at")
    notes = _clean_notes(notes)
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if not IncidentPerson.objects.filter(
            incident=locked, person_id=suspect.pk, role=PersonRole.SUSPECT
        ).exists():
            raise DomainError(_("Choose a suspect of this incident."), field="suspect")
        event = CustodyEvent.objects.create(
            incident=locked,
            suspect_id=suspect.pk,
            kind=kind,
            occurred_at=occurred_at,
            notes=notes,
            recorded_by=actor,
            tell_victim_by=working_days_after(
                occurred_at, settings.DAPOLICE_CUSTODY_TELL_VICTIM_WORKING_DAYS
            ),
        )
        record_create(
            actor=actor,
            action="incidents.custody.recorded",
            subject=event,
            fields=["incident_id", "suspect_id", "kind", "occurred_at", "tell_victim_by"],
        )
        deadline_set(kind=CUSTODY_TELL_VICTIM_DEADLINE, subject=event, due_at=event.tell_victim_by)
        deadline_set(kind=CUSTODY_REASSESS_DEADLINE, subject=event, due_at=now)
    return event


def custody_victim_informed(
    *, actor: User, event: CustodyEvent, at: datetime | None = None
) -> CustodyEvent:
    """The victim was told of the bail or custody change: the deadline to tell them stops."""
    access.require(actor, "incidents.custody.inform", event)
    now = timezone.now()
    at = at or now
    fields = ["victim_informed_at", "victim_informed_by"]
    with transaction.atomic():
        locked = CustodyEvent.objects.select_for_update().get(pk=event.pk)
        if locked.victim_informed_at is not None:
            raise Conflict(_("The victim has already been recorded as told."))
        if at > now + FUTURE_SLACK or at < locked.occurred_at:
            raise DomainError(_("The time must be between the event and now."), field="at")
        before = snapshot(locked, fields)
        locked.victim_informed_at = at
        locked.victim_informed_by = actor
        locked.save(update_fields=[*fields, "updated_at"])
        record_change(
            actor=actor,
            action="incidents.custody.victim_informed",
            subject=locked,
            changes=diff(before, snapshot(locked, fields)),
        )
        deadline_cancel(kind=CUSTODY_TELL_VICTIM_DEADLINE, subject=locked)
    return locked


# --- The duty inspector rota ---------------------------------------------------------------------


def inspector_shift_add(
    *, actor: User, user: User, starts_at: datetime, ends_at: datetime
) -> DutyInspectorShift:
    """Put ``user`` on the duty inspector rota for ``[starts_at, ends_at)``. Shifts may overlap
    (a handover); the one that started last is on duty."""
    access.require(actor, "incidents.inspector_rota")
    if ends_at <= starts_at:
        raise DomainError(_("The shift must end after it starts."), field="ends_at")
    if not user.is_active:
        raise DomainError(_("Choose an active user."), field="user")
    with transaction.atomic():
        shift = DutyInspectorShift.objects.create(
            user=user, starts_at=starts_at, ends_at=ends_at, created_by=actor
        )
        record_create(
            actor=actor,
            action="incidents.inspector_shift.created",
            subject=shift,
            fields=["user_id", "starts_at", "ends_at"],
        )
    return shift


def inspector_shift_end(
    *, actor: User, shift: DutyInspectorShift, at: datetime | None = None
) -> DutyInspectorShift | None:
    """End a shift early, now or at ``at``. A shift that has not started by then is removed (it
    was never on duty: nothing to keep); one that has keeps its history with the earlier end.
    Returns the shift, or None when removed."""
    access.require(actor, "incidents.inspector_rota")
    at = at or timezone.now()
    with transaction.atomic():
        locked = DutyInspectorShift.objects.select_for_update().get(pk=shift.pk)
        if at >= locked.ends_at:
            raise Conflict(_("This shift has already ended."))
        fields = ["user_id", "starts_at", "ends_at"]
        if at <= locked.starts_at:
            record_change(
                actor=actor,
                action="incidents.inspector_shift.removed",
                subject=locked,
                changes={k: [v, None] for k, v in snapshot(locked, fields).items()},
            )
            locked.delete()
            return None
        before = snapshot(locked, ["ends_at"])
        locked.ends_at = at
        locked.save(update_fields=["ends_at"])
        record_change(
            actor=actor,
            action="incidents.inspector_shift.ended",
            subject=locked,
            changes=diff(before, snapshot(locked, ["ends_at"])),
        )
    return locked
