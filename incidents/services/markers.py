"""Warning markers on a person or an address (firearm, treat as emergency, restricted...)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from dapolice import access
from dapolice.accounts.models import User
from dapolice.audit.services import record_create
from dapolice.common.errors import DomainError
from incidents.choices import MarkerKind
from incidents.models import Address, Marker, Person
from incidents.services.addresses import address_mark_restricted


def marker_add(
    *,
    actor: User,
    kind: str,
    person: Person | None = None,
    address: Address | None = None,
    note: str = "",
) -> Marker:
    if kind not in MarkerKind.values:
        raise DomainError(_("Choose a kind of marker."), field="kind")
    if (person is None) == (address is None):
        raise DomainError(_("A marker is on a person or on an address."), field="person")
    if kind == MarkerKind.RESTRICTED_ADDRESS:
        # The kind typed decides which rule applies, so the service asks the policy (README,
        # "Access"): restricting an address is a safeguarding decision of named roles, with a
        # reason (issue 7, finding 6); ``add_marker`` alone is not enough.
        access.require(
            actor,
            "incidents.address.restrict",
            address,
            message=_("Only MASH staff or a supervisor may restrict an address."),
        )
        if address is None:
            raise DomainError(_("Only an address can be restricted."), field="kind")
        address_mark_restricted(actor=actor, address=address, reason=note)
        return Marker.objects.active().filter(address=address, kind=kind).latest("pk")
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
