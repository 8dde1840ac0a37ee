"""Every write of call intake: ``<entity>_<verb>(*, actor, ...)``.

Each service locks what it changes, checks its precondition (``DomainError`` for a refused
change, ``PermissionDenied`` for a role that may not do it), changes, and writes the audit row in
the same transaction; signals for upper apps go out on commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dapolice import access
from dapolice.access.breakglass import break_glass_grant
from dapolice.accounts.choices import Role
from dapolice.alerts.choices import Severity
from dapolice.alerts.registry import AlertSpec
from dapolice.alerts.services import alert_raise
from dapolice.audit.services import diff, record_change, record_create, snapshot
from dapolice.common.errors import Conflict, DomainError
from incidents import signals
from incidents.choices import (
    OPEN_STATUSES,
    IncidentStatus,
    MarkerKind,
    PersonRole,
    Relationship,
    RiskLevel,
)
from incidents.inputs import AddressInput, IncidentInput, PersonInput
from incidents.matching import keys
from incidents.models import (
    Address,
    AttendanceCategory,
    Incident,
    IncidentOfficer,
    IncidentPerson,
    Marker,
    Person,
    PersonName,
    PersonPhone,
    RuralArea,
)

INCIDENT_AUDIT_FIELDS = [
    "reference", "received_at", "location", "location_is_rural", "relationship", "category",
    "target_minutes", "target_at", "deadline_at", "immediate_risk", "injuries", "weapons",
    "children_present", "firearm_at_address", "happened_before", "victim_vulnerable", "status",
]  # fmt: skip


def incident_reference(incident: Incident) -> str:
    """``DA-2026-000123``: unique because the number is the primary key; gaps are harmless."""
    prefix = settings.DAPOLICE_INCIDENT_REFERENCE_PREFIX
    year = timezone.localtime(incident.received_at).year
    return f"{prefix}-{year}-{incident.pk:06d}"


# --- Places ---------------------------------------------------------------------------------


def rural_for_postcode(postcode: str) -> bool:
    """True when the postcode's district or sector is listed as rural (admin-edited table)."""
    key = keys.postcode_key(postcode)
    if not key:
        return False
    outward, inward = key[:-3], key[-3:]
    candidates = [outward, f"{outward}{inward[0]}", f"{outward} {inward[0]}"]
    return RuralArea.objects.filter(postcode_prefix__in=candidates).exists()


def _address_fields(data: AddressInput) -> dict[str, Any]:
    return {
        "house": data.house.strip(),
        "street": data.street.strip(),
        "locality": data.locality.strip(),
        "town": data.town.strip(),
        "postcode": keys.postcode_display(data.postcode) if data.postcode.strip() else "",
        "postcode_key": keys.postcode_key(data.postcode),
        "house_key": keys.house_key(data.house),
    }


def address_get_or_create(*, actor: Any, data: AddressInput) -> Address:
    """The address with the same postcode and house number, or a new one.

    A UK postcode plus house number identifies a dwelling, so the same place typed twice is one
    row and "people and markers at this address" finds everything. Without both keys, a new row.
    """
    fields = _address_fields(data)
    if data.postcode.strip() and not fields["postcode_key"]:
        raise DomainError(_("Enter a real UK postcode, like NR1 2AB."), field="postcode")
    if fields["postcode_key"] and fields["house_key"]:
        existing = (
            Address.objects.filter(
                postcode_key=fields["postcode_key"], house_key=fields["house_key"]
            )
            .order_by("pk")
            .first()
        )
        if existing is not None:
            return existing
    is_rural = data.is_rural if data.is_rural is not None else rural_for_postcode(data.postcode)
    address = Address.objects.create(**fields, is_rural=is_rural)
    # No postcode or street in the audit row: the trail is read by auditors, and the address may
    # later become a refuge.
    record_create(
        actor=actor,
        action="incidents.address.created",
        subject=address,
        fields=["is_rural", "is_restricted"],
    )
    return address


def address_mark_restricted(*, actor: Any, address: Address, reason: str) -> Address:
    """Make an address a restricted (refuge or safe) address, with a marker saying so."""
    if not reason.strip():
        raise DomainError(_("Say why this address is restricted."), field="reason")
    with transaction.atomic():
        locked = Address.objects.select_for_update().get(pk=address.pk)
        if locked.is_restricted:
            return locked
        locked.is_restricted = True
        locked.save(update_fields=["is_restricted", "updated_at"])
        Marker.objects.create(
            kind=MarkerKind.RESTRICTED_ADDRESS, address=locked, note="", created_by=actor
        )
        record_change(
            actor=actor,
            action="incidents.address.restricted",
            subject=locked,
            changes={"is_restricted": [False, True]},
            reason=reason,
        )
    return locked


def address_reveal(*, actor: Any, incident: Incident, address: Address, reason: str) -> Address:
    """Break-glass: show a restricted address in clear to ``actor`` for a short time.

    Only for a case in hand: the address must be the incident's location or the address of a
    person in it. The grant is audited with the reason and the incident, and the control room's
    supervisors are told (an alert naming the incident and who looked, never the address).
    """
    access.require(actor, "incidents.address.reveal", address)
    if not address.is_restricted:
        raise DomainError(_("This address is not restricted."), field="address")
    in_case = (
        incident.location_id == address.pk
        or incident.people.filter(person__address_id=address.pk).exists()
    )
    if not in_case:
        raise DomainError(_("This address is not part of this incident."), field="address")
    with transaction.atomic():
        break_glass_grant(actor=actor, subject=address, reason=reason, case=incident.reference)
        alert_raise(
            kind="incidents.address.revealed",
            subject=incident,
            spec=AlertSpec(
                title=_("Restricted address on %(ref)s revealed by %(who)s")
                % {"ref": incident.reference, "who": actor},
                link=reverse("incidents:detail", args=[incident.pk]),
                recipient_role=Role.CONTROL_SUPERVISOR,
                severity=Severity.WARNING,
            ),
        )
    return address


# --- People ---------------------------------------------------------------------------------


def _name_row(person: Person, given: str, family: str, *, primary: bool) -> PersonName:
    return PersonName(
        person=person,
        given_name=given.strip(),
        family_name=family.strip(),
        is_primary=primary,
        **keys.name_keys(given, family, date_of_birth=person.date_of_birth),
    )


def _clean_phones(raw_numbers: Iterable[str]) -> list[str]:
    numbers: list[str] = []
    for raw in raw_numbers:
        if not raw.strip():
            continue
        e164 = keys.phone_key(raw)
        if e164 is None:
            raise DomainError(
                _("%(n)s is not a phone number. Check the digits.") % {"n": raw}, field="phones"
            )
        if e164 not in numbers:
            numbers.append(e164)
    return numbers


def _validate_person(data: PersonInput) -> None:
    if data.person_id is None and not (data.given_name.strip() or data.family_name.strip()):
        raise DomainError(_("Enter a name, or link an existing person."), field="family_name")
    if data.date_of_birth and data.date_of_birth > timezone.localdate():
        raise DomainError(_("Date of birth must be in the past."), field="date_of_birth")


def person_create(*, actor: Any, data: PersonInput, address: Address | None = None) -> Person:
    """A new person with their names (and aliases), phones and current address."""
    access.require(actor, "incidents.person.create")
    _validate_person(data)
    phones = _clean_phones(data.phones)
    with transaction.atomic():
        if address is None and data.address is not None and not data.address.is_empty:
            address = address_get_or_create(actor=actor, data=data.address)
        person = Person.objects.create(
            given_name=data.given_name.strip(),
            family_name=data.family_name.strip(),
            date_of_birth=data.date_of_birth,
            address=address,
            created_by=actor,
        )
        names = [_name_row(person, data.given_name, data.family_name, primary=True)]
        names += [_name_row(person, g, f, primary=False) for g, f in data.aliases if g or f]
        PersonName.objects.bulk_create(names)
        PersonPhone.objects.bulk_create(PersonPhone(person=person, number=n) for n in phones)
        record_create(
            actor=actor,
            action="incidents.person.created",
            subject=person,
            fields=["given_name", "family_name", "date_of_birth", "address"],
        )
    return person


def person_update_from_call(
    *, actor: Any, person: Person, data: PersonInput, home: Address | None = None
) -> Person:
    """Add what the call told us that a linked person's record lacks.

    New phone numbers and aliases are added; a missing date of birth is filled; a new address
    (``home``, or the one typed) becomes the current one, except over a restricted address,
    which only MASH or a supervisor changes knowingly (a call taker cannot even see it).
    """
    phones = _clean_phones(data.phones)
    with transaction.atomic():
        locked = (
            Person.objects.select_for_update(of=("self",))
            .select_related("address")
            .get(pk=person.pk)
        )
        before = snapshot(locked, ["date_of_birth", "address"])
        if data.date_of_birth and locked.date_of_birth is None:
            locked.date_of_birth = data.date_of_birth
        if home is None and data.address is not None and not data.address.is_empty:
            home = address_get_or_create(actor=actor, data=data.address)
        current = locked.address
        if home is not None and (current is None or not current.is_restricted):
            locked.address = home
        changes = diff(before, snapshot(locked, ["date_of_birth", "address"]))
        if changes:
            locked.save(update_fields=["date_of_birth", "address", "updated_at"])
        if "date_of_birth" in changes:
            # The date of birth is part of every name's match key.
            locked.names.update(dob_key=keys.dob_key(locked.date_of_birth))
        known = set(locked.phones.values_list("number", flat=True))
        added_phones = [n for n in phones if n not in known]
        PersonPhone.objects.bulk_create(PersonPhone(person=locked, number=n) for n in added_phones)
        if added_phones:
            changes["phones"] = [None, added_phones]
        existing_names = {(n.given_name.lower(), n.family_name.lower()) for n in locked.names.all()}
        new_aliases = [
            (g, f) for g, f in data.aliases if (g.lower(), f.lower()) not in existing_names
        ]
        PersonName.objects.bulk_create(
            _name_row(locked, g, f, primary=False) for g, f in new_aliases
        )
        if new_aliases:
            changes["aliases"] = [None, [f"{g} {f}".strip() for g, f in new_aliases]]
        if changes:
            record_change(
                actor=actor,
                action="incidents.person.updated_from_call",
                subject=locked,
                changes=changes,
            )
    return locked


# --- Markers --------------------------------------------------------------------------------


def marker_add(
    *,
    actor: Any,
    kind: str,
    person: Person | None = None,
    address: Address | None = None,
    note: str = "",
) -> Marker:
    access.require(actor, "incidents.marker.create")
    if kind not in MarkerKind.values:
        raise DomainError(_("Choose a kind of marker."), field="kind")
    if (person is None) == (address is None):
        raise DomainError(_("A marker is on a person or on an address."), field="person")
    if kind == MarkerKind.RESTRICTED_ADDRESS:
        if address is None:
            raise DomainError(_("Only an address can be restricted."), field="kind")
        address_mark_restricted(actor=actor, address=address, reason=note or kind)
        return Marker.objects.filter(address=address, kind=kind).latest("pk")
    with transaction.atomic():
        marker = Marker.objects.create(
            kind=kind, person=person, address=address, note=note.strip(), created_by=actor
        )
        record_create(
            actor=actor,
            action="incidents.marker.created",
            subject=marker,
            fields=["kind", "person", "address"],
        )
    return marker


# --- Incidents ------------------------------------------------------------------------------


def _category(code: str) -> AttendanceCategory:
    try:
        return AttendanceCategory.objects.get(code=code, active=True)
    except AttendanceCategory.DoesNotExist:
        raise DomainError(_("Choose an attendance category."), field="category") from None


def attendance_target(
    *, received_at: datetime, category: AttendanceCategory, rural: bool
) -> tuple[int, datetime]:
    """The grade's target minutes (urban or rural) and the moment they run out."""
    minutes = category.minutes_for(rural=rural)
    return minutes, received_at + timedelta(minutes=minutes)


def call_start_problem(received_at: datetime) -> str | None:
    """Why a call-start time given by a client cannot be trusted, or None.

    The deadline runs from it, so it may be neither in the future nor older than a call can
    last (``DAPOLICE_MAX_CALL_MINUTES``): backdating would shorten, and a stale time lengthen,
    nothing else.
    """
    now = timezone.now()
    if received_at > now + timedelta(minutes=1):
        return _("The call cannot start in the future.")
    if received_at < now - timedelta(minutes=settings.DAPOLICE_MAX_CALL_MINUTES):
        return _("The call started more than %(m)d minutes ago; log it with the current time.") % {
            "m": settings.DAPOLICE_MAX_CALL_MINUTES
        }
    return None


def _validate_incident(data: IncidentInput) -> None:
    if data.relationship not in Relationship.values:
        raise DomainError(_("Choose the relationship."), field="relationship")
    roles = [p.role for p in data.people]
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
    if data.received_at and data.received_at > timezone.now() + timedelta(minutes=1):
        raise DomainError(_("The call cannot be received in the future."), field="received_at")
    for person in data.people:
        _validate_person(person)


def incident_create(*, actor: Any, data: IncidentInput) -> Incident:
    """Log a call: the location, the people (linked or new), the checklist and the grade.

    The deadline is computed from the time the call was received: the category's minutes, rural
    or urban from the location. A repeated submission with the same idempotency key returns the
    incident the first one created.
    """
    access.require(actor, "incidents.create")
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
        with transaction.atomic():
            incident = _incident_insert(actor=actor, data=data, category=category, linked=linked)
    except IntegrityError:
        # Two submissions with one key raced; the unique key let exactly one through.
        winner = _by_idempotency_key(actor=actor, key=data.idempotency_key)
        if winner is not None:
            return winner
        raise
    transaction.on_commit(lambda: signals.incident_created.send(Incident, incident_id=incident.pk))
    return incident


def _by_idempotency_key(*, actor: Any, key: uuid.UUID | None) -> Incident | None:
    """The incident this actor already logged with ``key``; someone else's key is refused."""
    if key is None:
        return None
    existing = Incident.objects.filter(idempotency_key=key).first()
    if existing is not None and existing.taken_by_id != actor.pk:
        raise Conflict(_("This form was already used by someone else. Open a new one."))
    return existing


def _incident_insert(
    *, actor: Any, data: IncidentInput, category: AttendanceCategory, linked: dict[int, Person]
) -> Incident:
    location = address_get_or_create(actor=actor, data=data.location)
    # Decided per call: the call taker's choice, else today's rural-area table. A per-call choice
    # is never written onto the shared address row.
    rural = (
        data.location.is_rural
        if data.location.is_rural is not None
        else rural_for_postcode(data.location.postcode)
    )
    received_at = data.received_at or timezone.now()
    minutes, target_at = attendance_target(received_at=received_at, category=category, rural=rural)
    checklist = data.checklist
    thrive = data.thrive
    incident = Incident.objects.create(
        received_at=received_at,
        taken_by=actor,
        location=location,
        location_is_rural=rural,
        relationship=data.relationship,
        narrative=data.narrative.strip(),
        immediate_risk=checklist.immediate_risk,
        injuries=checklist.injuries,
        weapons=checklist.weapons,
        children_present=checklist.children_present,
        firearm_at_address=checklist.firearm_at_address,
        happened_before=checklist.happened_before,
        happened_before_details=checklist.happened_before_details.strip(),
        victim_vulnerable=checklist.victim_vulnerable,
        vulnerability_details=checklist.vulnerability_details.strip(),
        thrive_threat=thrive.threat,
        thrive_harm=thrive.harm,
        thrive_risk=thrive.risk,
        thrive_investigation=thrive.investigation,
        thrive_vulnerability=thrive.vulnerability,
        thrive_engagement=thrive.engagement,
        category=category,
        target_minutes=minutes,
        target_at=target_at,
        deadline_at=target_at,
        idempotency_key=data.idempotency_key,
    )
    incident.reference = incident_reference(incident)
    incident.save(update_fields=["reference"])

    involvements: list[IncidentPerson] = []
    seen: set[tuple[int, str]] = set()
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
        if (person.pk, pdata.role) in seen:
            raise DomainError(_("The same person is listed twice in one role."), field="people")
        seen.add((person.pk, pdata.role))
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
    return incident


def _lock_open(incident: Incident) -> Incident:
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if locked.status not in OPEN_STATUSES:
        raise Conflict(_("This incident has already been attended."))
    return locked


def incident_regrade(
    *, actor: Any, incident: Incident, category_code: str, reason: str
) -> Incident:
    """THRIVE re-applied when the situation changes: a new category, a new target from the call.

    A deferral in force stays in force only if it is later than the new target.
    """
    if not access.check(actor, "incidents.regrade"):
        raise access_denied()
    if not reason.strip():
        raise DomainError(_("Say what changed."), field="reason")
    category = _category(category_code)
    fields = ["category", "target_minutes", "target_at", "deadline_at"]
    with transaction.atomic():
        locked = _lock_open(incident)
        before = snapshot(locked, fields)
        minutes, target_at = attendance_target(
            received_at=locked.received_at, category=category, rural=locked.location_is_rural
        )
        if (
            target_at > locked.target_at
            and timezone.now() > locked.target_at
            and not access.check(actor, "incidents.defer", locked)
        ):
            # Lowering the grade once the target has passed is a deferral in all but name.
            raise access_denied()
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
    return locked


def incident_defer(
    *, actor: Any, incident: Incident, until: datetime, reason: str, victim_wishes: str
) -> Incident:
    """Defer attendance past the deadline (HMIC recommendation 2).

    Only a control-room supervisor may, and must record the reason and the victim's wishes.
    The grade's target is kept, so "attended within target" still tells the truth.
    """
    if not access.check(actor, "incidents.defer"):
        raise access_denied()
    reason, victim_wishes = reason.strip(), victim_wishes.strip()
    if not reason:
        raise DomainError(_("Record the reason for the deferral."), field="reason")
    if not victim_wishes:
        raise DomainError(_("Record the victim's wishes."), field="victim_wishes")
    fields = ["deadline_at", "deferred_at", "deferred_by", "deferral_reason", "victim_wishes"]
    with transaction.atomic():
        locked = _lock_open(incident)
        if until <= max(locked.deadline_at, timezone.now()):
            raise DomainError(
                _("A deferral must move the deadline later, into the future."), field="until"
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
    return locked


def _attendance_step(
    *,
    actor: Any,
    incident: Incident,
    at: datetime | None,
    status: str,
    time_field: str,
    action: str,
    late_or_early: str,
    officers: Iterable[Any] = (),
) -> Incident:
    """Dispatch and arrival: an open incident, a time after the call and not in the future.

    ``officers`` are attached to the incident (``IncidentOfficer``); the first becomes the
    attending officer if none was named before."""
    officers = list(dict.fromkeys(officers))
    if not access.check(actor, "incidents.record_attendance"):
        raise access_denied()
    at = at or timezone.now()
    fields = ["status", time_field, "attending_officer"]
    with transaction.atomic():
        locked = _lock_open(incident)
        if at < locked.received_at or at > timezone.now() + timedelta(minutes=1):
            raise DomainError(late_or_early, field="at")
        if time_field == "arrived_at" and locked.dispatched_at and at < locked.dispatched_at:
            raise DomainError(_("Arrival cannot be before the dispatch."), field="at")
        before = snapshot(locked, fields)
        locked.status = status
        setattr(locked, time_field, at)
        if officers and locked.attending_officer_id is None:
            locked.attending_officer = officers[0]
        locked.save(update_fields=[*fields, "updated_at"])
        known = set(locked.officers.values_list("officer_id", flat=True))
        added = [o for o in officers if o.pk not in known]
        IncidentOfficer.objects.bulk_create(
            IncidentOfficer(incident=locked, officer=o, attached_at=at, attached_by=actor)
            for o in added
        )
        changes = diff(before, snapshot(locked, fields))
        if added:
            changes["officers"] = [sorted(known), sorted(known | {o.pk for o in added})]
        record_change(actor=actor, action=action, subject=locked, changes=changes)
    return locked


def incident_dispatch(
    *,
    actor: Any,
    incident: Incident,
    officer: Any | None = None,
    officers: Iterable[Any] = (),
    at: datetime | None = None,
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
        status=IncidentStatus.DISPATCHED,
        time_field="dispatched_at",
        action="incidents.incident.dispatched",
        late_or_early=_("Dispatch time must be after the call and not in the future."),
        officers=named,
    )


def incident_record_arrival(
    *, actor: Any, incident: Incident, at: datetime | None = None
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
        status=IncidentStatus.ATTENDED,
        time_field="arrived_at",
        action="incidents.incident.attended",
        late_or_early=_("Arrival time must be after the call and not in the future."),
        officers=officers,
    )


def incident_set_risk_level(*, actor: Any, incident: Incident, level: str) -> Incident:
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


def access_denied() -> PermissionDenied:
    return PermissionDenied(_("Your role may not do this."))


def new_idempotency_key() -> uuid.UUID:
    return uuid.uuid4()
