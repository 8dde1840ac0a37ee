"""Addresses: one row per dwelling, restriction (refuge or safe address) and break-glass reveal."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dapolice.access.breakglass import break_glass_grant
from dapolice.accounts.choices import Role
from dapolice.accounts.models import User
from dapolice.alerts.choices import Severity
from dapolice.alerts.models import Alert
from dapolice.alerts.registry import AlertSpec
from dapolice.alerts.services import alert_raise
from dapolice.audit.services import record_access, record_change, record_create
from dapolice.common.errors import Conflict, DomainError
from incidents import validators
from incidents.choices import MarkerKind
from incidents.inputs import AddressInput
from incidents.matching import keys
from incidents.models import Address, AddressReveal, Incident, Marker, RuralArea
from incidents.policies import reveal_scope


def rural_for_postcode(postcode: str) -> bool:
    """True when the postcode's district or sector is listed as rural (admin-edited table).

    Matched on the parsed parts: "NR1 3DE" is in district "NR1" and sector "NR1 3", never in
    the rural district "NR13" that its digits squashed together would spell.
    """
    parts = validators.postcode_parts(postcode)
    if parts is None:
        return False
    candidates = [parts.district, parts.sector]
    return RuralArea.objects.filter(postcode_prefix__in=candidates).exists()


def _address_fields(data: AddressInput) -> dict[str, Any]:
    try:
        postcode = validators.clean_postcode(data.postcode)
    except ValidationError as exc:
        raise DomainError.from_validation(exc, field="postcode") from None
    try:
        validators.validate_house(data.house)
    except ValidationError as exc:
        raise DomainError.from_validation(exc, field="house") from None
    for name, limit in validators.ADDRESS_MAX_LENGTHS.items():
        try:
            validators.validate_length(getattr(data, name).strip(), limit)
        except ValidationError as exc:
            raise DomainError.from_validation(exc, field=name) from None
    return {
        "house": data.house.strip(),
        "street": data.street.strip(),
        "locality": data.locality.strip(),
        "town": data.town.strip(),
        "postcode": postcode,
        "postcode_key": keys.postcode_key(postcode),
        "house_key": keys.house_key(data.house),
    }


def _keyed(fields: dict[str, Any]) -> Address | None:
    return (
        Address.objects.filter(postcode_key=fields["postcode_key"], house_key=fields["house_key"])
        .order_by("pk")
        .first()
    )


def address_get_or_create(*, actor: User, data: AddressInput) -> Address:
    """The address with the same postcode and house number, or a new one.

    A UK postcode plus house number identifies a dwelling, so the same place typed twice is one
    row and "people and markers at this address" finds everything. Without both keys, a new row.

    Race-safe: the unique constraint ``address_one_per_dwelling`` lets one of two concurrent
    inserts of a new dwelling through; the other (in a savepoint) waits for it to commit, fails,
    and takes the winner's row. So a twin can never sidestep a refuge's restriction.

    Typing a restricted address is a sensitive-access event (:func:`address_typed_restricted`).
    """
    fields = _address_fields(data)
    keyed = bool(fields["postcode_key"] and fields["house_key"])
    if keyed:
        existing = _keyed(fields)
        if existing is not None:
            if existing.is_restricted:
                address_typed_restricted(actor=actor, address=existing)
            return existing
    is_rural = data.is_rural if data.is_rural is not None else rural_for_postcode(data.postcode)
    try:
        with transaction.atomic():
            address = Address.objects.create(**fields, is_rural=is_rural)
    except IntegrityError:
        winner = _keyed(fields) if keyed else None
        if winner is None:
            raise
        if winner.is_restricted:
            address_typed_restricted(actor=actor, address=winner)
        return winner
    # No postcode or street in the audit row: the trail is read by auditors, and the address may
    # later become a refuge.
    record_create(
        actor=actor,
        action="incidents.address.created",
        subject=address,
        fields=["is_rural", "is_restricted"],
    )
    return address


def address_typed_restricted(*, actor: User, address: Address) -> None:
    """Someone typed a restricted (refuge or safe) address into a call.

    A call may genuinely come from a refuge, so it is allowed, but never silently: a
    sensitive-access row in the audit trail, and an alert to the duty control-room supervisors
    and the address's safeguarding owner (whoever restricted it), naming who typed it, never the
    address. One alert per typist and address while the last one is unacknowledged.
    """
    record_access(
        actor=actor,
        action="incidents.address.restricted_typed",
        subject=address,
        changes={"sensitive": [None, True]},
    )
    title = _("A restricted address was typed into a call by %(who)s") % {"who": actor}
    recent = Alert.objects.open().filter(
        kind="incidents.address.restricted_typed",
        subject_type=address._meta.label_lower,
        subject_id=str(address.pk),
        title=title,
    )
    if recent.exists():
        return
    owners = set(
        address.markers.filter(kind=MarkerKind.RESTRICTED_ADDRESS, created_by__isnull=False)
        .exclude(created_by=actor)
        .values_list("created_by_id", flat=True)
    )
    specs = [
        AlertSpec(
            title=title,
            recipient_role=Role.CONTROL_SUPERVISOR,
            severity=Severity.URGENT,
            about_id=actor.pk,
        ),
        *(
            AlertSpec(title=title, recipient_id=pk, severity=Severity.URGENT, about_id=actor.pk)
            for pk in owners
        ),
    ]
    for spec in specs:
        alert_raise(kind="incidents.address.restricted_typed", subject=address, spec=spec)


def address_mark_restricted(*, actor: User, address: Address, reason: str) -> Address:
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


def address_unrestrict(*, actor: User, address: Address, reason: str) -> Address:
    """Lift a restriction (the refuge closed, the victim moved on): a safeguarding decision of
    the same named roles, with a reason, audited. The restriction marker is deactivated, not
    deleted, so the history stays."""
    if not reason.strip():
        raise DomainError(_("Say why this address is no longer restricted."), field="reason")
    with transaction.atomic():
        locked = Address.objects.select_for_update().get(pk=address.pk)
        if not locked.is_restricted:
            return locked
        locked.is_restricted = False
        locked.save(update_fields=["is_restricted", "updated_at"])
        Marker.objects.filter(
            address=locked, kind=MarkerKind.RESTRICTED_ADDRESS, active=True
        ).update(active=False)
        record_change(
            actor=actor,
            action="incidents.address.unrestricted",
            subject=locked,
            changes={"is_restricted": [True, False]},
            reason=reason.strip(),
        )
    return locked


def address_reveal(*, actor: User, incident: Incident, address: Address, reason: str) -> Address:
    """Break-glass: show a restricted address in clear to ``actor``, on this incident only, for
    a short time.

    Only for a case in hand: the address must be the incident's location or the address of a
    person in it (one message for anything else, so the answer never tells which ids are
    refuges). The grant is audited with the reason and the incident; the control room's
    supervisors are told (an alert about the revealer, which the revealer cannot acknowledge);
    and the reveal joins the review queue, where a second person signs it off
    (issue 7, finding 4).
    """
    in_case = address.is_restricted and (
        incident.location_id == address.pk
        or incident.people.filter(person__address_id=address.pk).exists()
    )
    if not in_case:
        raise DomainError(_("There is no restricted address to reveal here."), field="address")
    with transaction.atomic():
        grant = break_glass_grant(
            actor=actor,
            subject=address,
            reason=reason,
            what=reveal_scope(incident),
            case=incident.reference or "",
        )
        reveal = AddressReveal.objects.create(
            address=address,
            incident=incident,
            revealed_by=actor,
            revealed_at=grant.at,
            reason=reason.strip(),
            own_incident=incident.taken_by_id == actor.pk,
        )
        alert_raise(
            kind="incidents.address.revealed",
            subject=reveal,
            spec=AlertSpec(
                title=_("Restricted address on %(ref)s revealed by %(who)s")
                % {"ref": incident.reference, "who": actor},
                link=reverse("incidents:reveal-queue"),
                recipient_role=Role.CONTROL_SUPERVISOR,
                severity=Severity.WARNING,
                about_id=actor.pk,
            ),
        )
    return address


def reveal_review(*, actor: User, reveal: AddressReveal, outcome: str, note: str) -> AddressReveal:
    """A second person signs off a reveal: justified, or not (referred to professional
    standards, with a note). Nobody signs off their own reveal (service, access rule and a
    database constraint)."""
    if outcome not in AddressReveal.Outcome.values:
        raise DomainError(_("Choose whether the reveal was justified."), field="outcome")
    note = note.strip()
    if outcome == AddressReveal.Outcome.NOT_JUSTIFIED and not note:
        raise DomainError(_("Say why the reveal was not justified."), field="note")
    with transaction.atomic():
        locked = AddressReveal.objects.select_for_update().get(pk=reveal.pk)
        if locked.revealed_by_id == actor.pk:
            raise DomainError(_("Someone else signs off your own reveal."), field="outcome")
        if locked.reviewed_at is not None:
            raise Conflict(_("This reveal has already been signed off."))
        locked.reviewed_by = actor
        locked.reviewed_at = timezone.now()
        locked.outcome = outcome
        locked.review_note = note
        locked.save(update_fields=["reviewed_by", "reviewed_at", "outcome", "review_note"])
        record_change(
            actor=actor,
            action="incidents.reveal.reviewed",
            subject=locked,
            changes={"outcome": [None, outcome]},
            reason=note,
        )
    return locked
