"""Incidents: logging a call (people, checklist, grade), regrading it, its assessed risk."""

from __future__ import annotations

import uuid
from dataclasses import asdict, replace
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dapolice import access
from dapolice.accounts.models import User
from dapolice.alerts.services import deadlines_create, deadlines_set
from dapolice.audit.services import batched, diff, record_change, record_create, snapshot
from dapolice.common.errors import Conflict, DomainError
from dapolice.common.retry import atomic_retrying_deadlocks
from incidents import signals
from incidents.choices import OPEN_STATUSES, PersonRole, Relationship, RiskLevel
from incidents.inputs import AddressInput, IncidentInput, PersonInput
from incidents.models import AttendanceCategory, Incident, IncidentCall, IncidentPerson, Person
from incidents.rules import (
    attendance_alert_times,
    attendance_target,
    call_start_problem,
    incident_reference,
)
from incidents.services.addresses import address_get_or_create, rural_for_postcode
from incidents.services.persons import person_create, person_update_from_call, validate_person

INCIDENT_AUDIT_FIELDS = [
    "reference", "received_at", "location", "location_is_rural", "relationship", "category",
    "target_minutes", "target_at", "deadline_at", "immediate_risk", "injuries", "weapons",
    "children_present", "firearm_at_address", "happened_before", "victim_vulnerable", "status",
]  # fmt: skip


def _category(code: str) -> AttendanceCategory:
    try:
        return AttendanceCategory.objects.get(code=code, active=True)
    except AttendanceCategory.DoesNotExist:
        raise DomainError(_("Choose an attendance category."), field="category") from None


def incident_attendance_target(
    *, category: AttendanceCategory, location: AddressInput, received_at: datetime
) -> tuple[int, datetime, bool]:
    """The target minutes, the deadline and rurality a call at ``location`` gets in ``category``.

    One rule for the incident logged and for the deadline the intake page shows while the call
    taker grades (issue 8, item 5). Rurality is decided per call: the call taker's choice, else
    today's rural-area table; a per-call choice is never written onto the shared address row.
    """
    rural = (
        location.is_rural
        if location.is_rural is not None
        else rural_for_postcode(location.postcode)
    )
    minutes, target_at = attendance_target(received_at=received_at, category=category, rural=rural)
    return minutes, target_at, rural


def incident_deadline_preview(
    *, category_code: str, location: AddressInput, received_at: datetime
) -> tuple[int, datetime, bool] | None:
    """What ``incident_create`` would set for these answers, or None without a usable grade.

    Reads only the grade and the rural-area table: nothing is written.
    """
    category = AttendanceCategory.objects.filter(code=category_code, active=True).first()
    if category is None:
        return None
    return incident_attendance_target(category=category, location=location, received_at=received_at)


def _validate_incident(data: IncidentInput) -> None:
    if data.relationship not in Relationship.values:
        raise DomainError(_("Choose the relationship."), field="relationship")
    roles = [p.role for p in data.people]
    most = settings.DAPOLICE_MAX_PEOPLE_PER_INCIDENT
    if len(roles) > most:
        raise DomainError(
            _("Record at most %(n)d people in one incident.") % {"n": most}, field="people"
        )
    linked_ids = [p.person_id for p in data.people if p.person_id is not None]
    if len(linked_ids) != len(set(linked_ids)):
        raise DomainError(
            _("One person has one role in an incident (victim, suspect, child or other)."),
            field="people",
        )
    if any(r not in PersonRole.values for r in roles):
        raise DomainError(_("Unknown role for a person."), field="people")
    if roles.count(PersonRole.VICTIM) != 1:
        raise DomainError(_("Record exactly one victim."), field="people")
    if sum(p.is_caller for p in data.people) > 1:
        raise DomainError(_("Only one person can be the caller."), field="people")
    if data.location.is_empty:
        raise DomainError(_("Enter where the incident is."), field="location")
    if data.checklist.happened_before and not data.checklist.happened_before_details.strip():
        raise DomainError(
            _("Say when and where it happened before (also elsewhere or unreported)."),
            field="happened_before_details",
        )
    problem = data.received_at and call_start_problem(data.received_at, any_age=True)
    if problem:
        raise DomainError(problem, field="received_at")
    for person in data.people:
        validate_person(person)


def incident_create(*, actor: User, data: IncidentInput) -> Incident:
    """Log a call: the location, the people (linked or new), the checklist and the grade.

    The deadline is computed from the time the call was received: the category's minutes, rural
    or urban from the location. A repeated submission with the same idempotency key returns the
    incident the first one created.
    """
    existing = _by_idempotency_key(actor=actor, key=data.idempotency_key)
    if existing is not None:
        return existing
    _validate_incident(data)
    category = _category(data.category_code)
    linked_ids = [p.person_id for p in data.people if p.person_id is not None]
    linked = Person.objects.visible_to(actor).in_bulk(linked_ids)
    if len(linked) != len(set(linked_ids)):
        raise DomainError(_("A linked person no longer exists."), field="people")
    try:
        # Two calls with the same new addresses in opposite order can deadlock on the audit
        # chain; PostgreSQL fails one, which runs again rather than losing the call.
        incident = atomic_retrying_deadlocks(
            lambda: _incident_insert_audited(
                actor=actor, data=data, category=category, linked=linked
            )
        )
    except IntegrityError:
        # Two submissions with one key raced; the unique key let exactly one through.
        winner = _by_idempotency_key(actor=actor, key=data.idempotency_key)
        if winner is not None:
            return winner
        raise
    transaction.on_commit(lambda: signals.incident_created.send(Incident, incident_id=incident.pk))
    return incident


def _by_idempotency_key(*, actor: User, key: uuid.UUID | None) -> Incident | None:
    """The incident this actor already logged with ``key``; someone else's key is refused."""
    if key is None:
        return None
    # Two columns, not the whole row: nearly every call is new, and the answer is then nothing
    # (issue 13: the create path's CPU). A retried call reads its incident once more.
    found = Incident.objects.filter(idempotency_key=key).values_list("pk", "taken_by_id").first()
    if found is None:
        return None
    if found[1] != actor.pk:
        raise Conflict(_("This form was already used by someone else. Open a new one."))
    return Incident.objects.get(pk=found[0])


def _incident_insert_audited(
    *, actor: User, data: IncidentInput, category: AttendanceCategory, linked: dict[int, Person]
) -> Incident:
    """:func:`_incident_insert` with its audit rows (the address, each person, the incident, the
    people linked) written together at its end, in its transaction: one chain lock and one
    INSERT instead of one of each per row, and the chain's lock held for the end of the
    transaction only (issue 13: logging a call is the one thing that must never queue)."""
    with batched():
        return _incident_insert(actor=actor, data=data, category=category, linked=linked)


def _incident_insert(
    *, actor: User, data: IncidentInput, category: AttendanceCategory, linked: dict[int, Person]
) -> Incident:
    received_at = data.received_at or timezone.now()
    minutes, target_at, rural = incident_attendance_target(
        category=category, location=data.location, received_at=received_at
    )
    # A new address row gets the rurality just decided by the same rule (the call taker's
    # choice, else the rural-area table) rather than a second look-up (issue 13: the create
    # path's round trips); an existing row is left as it is.
    location = address_get_or_create(actor=actor, data=replace(data.location, is_rural=rural))
    checklist = replace(
        data.checklist,
        happened_before_details=data.checklist.happened_before_details.strip(),
        vulnerability_details=data.checklist.vulnerability_details.strip(),
    )
    # The checklist's fields are the incident's; THRIVE's are stored as thrive_<name>.
    thrive = {f"thrive_{name}": text for name, text in asdict(data.thrive).items()}
    incident = Incident.objects.create(
        received_at=received_at,
        taken_by=actor,
        location=location,
        location_is_rural=rural,
        relationship=data.relationship,
        narrative=data.narrative.strip(),
        **asdict(checklist),
        **thrive,
        category=category,
        target_minutes=minutes,
        target_at=target_at,
        deadline_at=target_at,
        idempotency_key=data.idempotency_key,
    )
    incident.reference = incident_reference(pk=incident.pk, received_at=received_at)
    incident.save(update_fields=["reference"])

    involvements: list[IncidentPerson] = []
    seen: set[int] = set()
    for person_data in data.people:
        pdata = person_data
        if pdata.lives_at_location:
            pdata = replace(pdata, address=None)
        home = location if person_data.lives_at_location else None
        if pdata.person_id is not None:
            person = person_update_from_call(
                actor=actor, person=linked[pdata.person_id], data=pdata, home=home
            )
        else:
            person = person_create(actor=actor, data=pdata, address=home)
        if person.pk in seen:
            raise DomainError(
                _("One person has one role in an incident (victim, suspect, child or other)."),
                field="people",
            )
        seen.add(person.pk)
        involvements.append(
            IncidentPerson(
                incident=incident,
                person=person,
                role=pdata.role,
                is_caller=pdata.is_caller,
                received_at=received_at,
            )
        )
    IncidentPerson.objects.bulk_create(involvements)
    record_create(
        actor=actor,
        action="incidents.incident.created",
        subject=incident,
        fields=INCIDENT_AUDIT_FIELDS,
    )
    record_change(
        actor=actor,
        action="incidents.incident.people_linked",
        subject=incident,
        changes={"people": [None, [[i.person_id, i.role] for i in involvements]]},
    )
    deadlines_create(subject=incident, due=attendance_alert_times(deadline_at=incident.deadline_at))
    return incident


def lock_open(incident: Incident) -> Incident:
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if locked.status not in OPEN_STATUSES:
        raise Conflict(_("This incident has already been attended."))
    return locked


def incident_regrade(
    *, actor: User, incident: Incident, category_code: str, reason: str
) -> Incident:
    """THRIVE re-applied when the situation changes: a new category, a new target from the call.

    A deferral in force stays in force only if it is later than the new target.
    """
    if not reason.strip():
        raise DomainError(_("Say what changed."), field="reason")
    category = _category(category_code)
    fields = ["category", "target_minutes", "target_at", "deadline_at"]
    with transaction.atomic():
        locked = lock_open(incident)
        before = snapshot(locked, fields)
        minutes, target_at = attendance_target(
            received_at=locked.received_at, category=category, rural=locked.location_is_rural
        )
        if target_at > locked.target_at and timezone.now() > locked.target_at:
            # Lowering the grade once the target has passed is a deferral in all but name. When
            # that is so is this service's to decide (under the lock); who may defer is the
            # deferral policy's, so the service asks it (README, "Access").
            access.require(
                actor,
                "incidents.defer",
                locked,
                message=_(
                    "The target time has passed, so a lower grade would defer attendance: "
                    "only a control-room supervisor may do that."
                ),
            )
        locked.category = category
        locked.target_minutes = minutes
        locked.target_at = target_at
        deferred = locked.deferred_at is not None and locked.deadline_at > target_at
        locked.deadline_at = locked.deadline_at if deferred else target_at
        locked.save(update_fields=[*fields, "updated_at"])
        record_change(
            actor=actor,
            action="incidents.incident.regraded",
            subject=locked,
            changes=diff(before, snapshot(locked, fields)),
            reason=reason.strip(),
        )
        deadlines_set(subject=locked, due=attendance_alert_times(deadline_at=locked.deadline_at))
    return locked


def incident_set_risk_level(*, actor: User, incident: Incident, level: str) -> Incident:
    """Record the assessed risk level (called by the risk app after a DASH or its review)."""
    if level not in RiskLevel.values:
        raise DomainError(_("Unknown risk level."), field="risk_level")
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if locked.risk_level == level:
            return locked
        before = snapshot(locked, ["risk_level"])
        locked.risk_level = level
        locked.save(update_fields=["risk_level", "updated_at"])
        record_change(
            actor=actor,
            action="incidents.incident.risk_level_set",
            subject=locked,
            changes=diff(before, snapshot(locked, ["risk_level"])),
        )
    return locked


def incident_add_person(*, actor: User, incident: Incident, data: PersonInput) -> Person:
    """A person the call taker learns of after logging the call, added to its open incident.

    Persons are created only inside an incident (issue 7, finding 2: a person made on their own
    was a free probe of any address); the incident keeps its one victim, and each person has
    one role in it.
    """
    if data.role not in PersonRole.values or data.role == PersonRole.VICTIM:
        raise DomainError(
            _("Add a suspect, a child or another person (the incident has its victim)."),
            field="role",
        )
    validate_person(data)
    with transaction.atomic():
        locked = lock_open(incident)
        if locked.people.count() >= settings.DAPOLICE_MAX_PEOPLE_PER_INCIDENT:
            raise DomainError(
                _("Record at most %(n)d people in one incident.")
                % {"n": settings.DAPOLICE_MAX_PEOPLE_PER_INCIDENT},
                field="people",
            )
        if data.person_id is not None:
            found = Person.objects.visible_to(actor).filter(pk=data.person_id).first()
            if found is None:
                raise DomainError(_("A linked person no longer exists."), field="person_id")
            if locked.people.filter(person=found).exists():
                raise DomainError(
                    _("One person has one role in an incident (victim, suspect, child or "
                      "other)."),
                    field="person_id",
                )  # fmt: skip
            person = person_update_from_call(actor=actor, person=found, data=data)
        else:
            person = person_create(actor=actor, data=data)
        IncidentPerson.objects.create(
            incident=locked,
            person=person,
            role=data.role,
            is_caller=False,
            received_at=locked.received_at,
        )
        record_change(
            actor=actor,
            action="incidents.incident.people_linked",
            subject=locked,
            changes={"people": [None, [[person.pk, data.role]]]},
        )
    return person


def incident_add_call(
    *, actor: User, incident: Incident, note: str, idempotency_key: uuid.UUID
) -> IncidentCall:
    """A further call about an open incident, logged on it instead of a duplicate incident.

    The same intake page sent twice (a double click, Back then send) logs one call.
    """
    existing = IncidentCall.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.incident_id != incident.pk or existing.taken_by_id != actor.pk:
            raise DomainError(_("This page was already used for another call."))
        return existing
    with transaction.atomic():
        locked = lock_open(incident)
        call = IncidentCall.objects.create(
            incident=locked,
            received_at=timezone.now(),
            taken_by=actor,
            note=note.strip(),
            idempotency_key=idempotency_key,
        )
        # On the incident's own history, where the call taker and the board look.
        record_change(
            actor=actor,
            action="incidents.incident.call_added",
            subject=locked,
            changes={"calls": [None, call.pk]},
        )
    return call
