"""Attendance: deferral past the deadline (control-room supervisors), dispatch and arrival."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dapolice import access
from dapolice.accounts.choices import Role
from dapolice.accounts.models import User
from dapolice.alerts.services import deadlines_cancel, deadlines_set
from dapolice.audit.services import diff, record_change, snapshot
from dapolice.common.errors import DomainError
from incidents.choices import ATTENDANCE_DEADLINES, IncidentStatus
from incidents.models import Incident, IncidentOfficer
from incidents.rules import attendance_alert_times
from incidents.services.incidents import lock_open


def incident_defer(
    *, actor: User, incident: Incident, until: datetime, reason: str, victim_wishes: str
) -> Incident:
    """Defer attendance past the deadline (HMIC recommendation 2).

    The reason and the victim's wishes are required; who may defer (a control-room supervisor) is
    the ``incidents.defer`` policy, checked by the view or API before this is called. The grade's
    target is kept, so "attended within target" still tells the truth.
    """
    reason, victim_wishes = reason.strip(), victim_wishes.strip()
    if not reason:
        raise DomainError(_("Record the reason for the deferral."), field="reason")
    if not victim_wishes:
        raise DomainError(_("Record the victim's wishes."), field="victim_wishes")
    fields = ["deadline_at", "deferred_at", "deferred_by", "deferral_reason", "victim_wishes"]
    with transaction.atomic():
        locked = lock_open(incident)
        if until <= max(locked.deadline_at, timezone.now()):
            raise DomainError(
                _("A deferral must move the deadline later, into the future."), field="until"
            )
        horizon = settings.DAPOLICE_DEFERRAL_MAX_HOURS
        if until > timezone.now() + timedelta(hours=horizon):
            raise DomainError(
                _("A deferral may move the deadline at most %(h)d hours ahead.") % {"h": horizon},
                field="until",
            )
        before = snapshot(locked, fields)
        locked.deadline_at = until
        locked.deferred_at = timezone.now()
        locked.deferred_by = actor
        locked.deferral_reason = reason
        locked.victim_wishes = victim_wishes
        locked.save(update_fields=[*fields, "updated_at"])
        record_change(
            actor=actor,
            action="incidents.incident.deferred",
            subject=locked,
            changes=diff(before, snapshot(locked, fields)),
            reason=reason,
        )
        deadlines_set(subject=locked, due=attendance_alert_times(deadline_at=until))
    return locked


def _attendance_step(
    *,
    actor: User,
    incident: Incident,
    at: datetime | None,
    reason: str,
    status: str,
    step: str,
    time_field: str,
    action: str,
    late_or_early: str,
    officers: Iterable[User] = (),
) -> Incident:
    """Dispatch and arrival: an open incident, a time after the call and not in the future.

    Both the time claimed (``at``) and the time it is recorded (now) are kept. A claimed time
    more than ``DAPOLICE_ATTENDANCE_BACKDATE_MINUTES`` before the recording needs a control-room
    supervisor or a supervisor (the ``incidents.attendance.backdate`` rule, asked here because
    the time decides which rule applies) and a reason (issue 7, finding 8).

    ``officers`` are attached to the incident (``IncidentOfficer``); the first becomes the
    attending officer if none was named before."""
    named = list(dict.fromkeys(officers))
    recorded = timezone.now()
    at = at or recorded
    reason = reason.strip()
    recorded_field, reason_field = f"{step}_recorded_at", f"{step}_time_reason"
    fields = ["status", time_field, "attending_officer", recorded_field, reason_field]
    slack = settings.DAPOLICE_ATTENDANCE_BACKDATE_MINUTES
    with transaction.atomic():
        locked = lock_open(incident)
        if at < locked.received_at or at > recorded + timedelta(minutes=1):
            raise DomainError(late_or_early, field="at")
        if time_field == "arrived_at" and locked.dispatched_at and at < locked.dispatched_at:
            raise DomainError(_("Arrival cannot be before the dispatch."), field="at")
        backdated = at < recorded - timedelta(minutes=slack)
        if backdated:
            access.require(
                actor,
                "incidents.attendance.backdate",
                locked,
                message=_(
                    "A time more than %(m)d minutes ago needs a control-room supervisor or a "
                    "supervisor, with a reason."
                )
                % {"m": slack},
            )
            if not reason:
                raise DomainError(
                    _("Say why the time is more than %(m)d minutes ago.") % {"m": slack},
                    field="reason",
                )
        before = snapshot(locked, fields)
        locked.status = status
        setattr(locked, time_field, at)
        setattr(locked, recorded_field, recorded)
        setattr(locked, reason_field, reason if backdated else "")
        if named and locked.attending_officer_id is None:
            locked.attending_officer = named[0]
        locked.save(update_fields=[*fields, "updated_at"])
        known = set(locked.officers.values_list("officer_id", flat=True))
        added = [o for o in named if o.pk not in known]
        IncidentOfficer.objects.bulk_create(
            IncidentOfficer(incident=locked, officer=o, attached_at=at, attached_by=actor)
            for o in added
        )
        changes = diff(before, snapshot(locked, fields))
        if added:
            changes["officers"] = [sorted(known), sorted(known | {o.pk for o in added})]
        record_change(
            actor=actor,
            action=action,
            subject=locked,
            changes=changes,
            reason=reason if backdated else "",
        )
        if status == IncidentStatus.ATTENDED:
            deadlines_cancel(subject=locked, kinds=ATTENDANCE_DEADLINES)
    return locked


def incident_dispatch(
    *,
    actor: User,
    incident: Incident,
    officer: User | None = None,
    officers: Iterable[User] = (),
    at: datetime | None = None,
    reason: str = "",
) -> Incident:
    """Officers are on the way: ``officer`` and/or ``officers`` are named and attached to the
    incident (a later dispatch may add more). Each must hold an attending role."""
    named = [o for o in (officer, *officers) if o is not None]
    for o in named:
        if not o.has_role(Role.ATTENDING_OFFICER, Role.SUPERVISOR):
            raise DomainError(
                _("%(who)s is not an attending officer or supervisor.") % {"who": o},
                field="officers",
            )
    return _attendance_step(
        actor=actor,
        incident=incident,
        at=at,
        reason=reason,
        status=IncidentStatus.DISPATCHED,
        step="dispatch",
        time_field="dispatched_at",
        action="incidents.incident.dispatched",
        late_or_early=_("Dispatch time must be after the call and not in the future."),
        officers=named,
    )


def incident_record_arrival(
    *, actor: User, incident: Incident, at: datetime | None = None, reason: str = ""
) -> Incident:
    """The attending officer arrived; "attended within target" follows from the grade's target.

    An attending officer recording their own arrival is attached to the incident (and becomes its
    officer if none was dispatched by name).
    """
    officers = [actor] if actor.has_role(Role.ATTENDING_OFFICER) else []
    return _attendance_step(
        actor=actor,
        incident=incident,
        at=at,
        reason=reason,
        status=IncidentStatus.ATTENDED,
        step="arrival",
        time_field="arrived_at",
        action="incidents.incident.attended",
        late_or_early=_("Arrival time must be after the call and not in the future."),
        officers=officers,
    )
