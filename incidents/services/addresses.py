"""Addresses: one row per dwelling, restriction (refuge or safe address) and break-glass reveal."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from dapolice.access.breakglass import break_glass_grant
from dapolice.accounts.choices import Role
from dapolice.accounts.models import User
from dapolice.alerts.choices import Severity
from dapolice.alerts.registry import AlertSpec
from dapolice.alerts.services import alert_raise
from dapolice.audit.services import record_change, record_create
from dapolice.common.errors import DomainError
from incidents import validators
from incidents.choices import MarkerKind
from incidents.inputs import AddressInput
from incidents.matching import keys
from incidents.models import Address, Incident, Marker, RuralArea


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
    return {
        "house": data.house.strip(),
        "street": data.street.strip(),
        "locality": data.locality.strip(),
        "town": data.town.strip(),
        "postcode": postcode,
        "postcode_key": keys.postcode_key(postcode),
        "house_key": keys.house_key(data.house),
    }


def address_get_or_create(*, actor: User, data: AddressInput) -> Address:
    """The address with the same postcode and house number, or a new one.

    A UK postcode plus house number identifies a dwelling, so the same place typed twice is one
    row and "people and markers at this address" finds everything. Without both keys, a new row.
    """
    fields = _address_fields(data)
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


def address_reveal(*, actor: User, incident: Incident, address: Address, reason: str) -> Address:
    """Break-glass: show a restricted address in clear to ``actor`` for a short time.

    Only for a case in hand: the address must be the incident's location or the address of a
    person in it. The grant is audited with the reason and the incident, and the control room's
    supervisors are told (an alert naming the incident and who looked, never the address).
    """
    if not address.is_restricted:
        raise DomainError(_("This address is not restricted."), field="address")
    in_case = (
        incident.location_id == address.pk
        or incident.people.filter(person__address_id=address.pk).exists()
    )
    if not in_case:
        raise DomainError(_("This address is not part of this incident."), field="address")
    with transaction.atomic():
        break_glass_grant(
            actor=actor, subject=address, reason=reason, case=incident.reference or ""
        )
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
