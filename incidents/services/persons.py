"""Persons: a new person with names, aliases and phones; what a call adds to a linked one."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from dapolice.accounts.models import User
from dapolice.audit.services import diff, record_change, record_create, snapshot
from dapolice.common.errors import DomainError
from incidents import validators
from incidents.inputs import PersonInput
from incidents.matching import keys
from incidents.models import Address, Person, PersonName, PersonPhone
from incidents.services.addresses import address_get_or_create


def _name_row(person: Person, given: str, family: str, *, primary: bool) -> PersonName:
    return PersonName(
        person=person,
        given_name=given.strip(),
        family_name=family.strip(),
        is_primary=primary,
        **keys.name_keys(given, family, date_of_birth=person.date_of_birth),
    )


def _clean_phones(raw_numbers: Iterable[str]) -> tuple[str, ...]:
    try:
        return validators.clean_phones(raw_numbers)
    except ValidationError as exc:
        raise DomainError.from_validation(exc, field="phones") from None


def _check(validate: Any, value: Any, field: str) -> None:
    try:
        validate(value)
    except ValidationError as exc:
        raise DomainError.from_validation(exc, field=field) from None


def validate_person(data: PersonInput) -> None:
    """Everything about one person in a call that can be checked before writing: a bad value is
    a message beside its field, never a database error (issue 7, finding 9)."""
    if data.person_id is None and not (data.given_name.strip() or data.family_name.strip()):
        raise DomainError(_("Enter a name, or link an existing person."), field="family_name")
    _check(validators.validate_name, data.given_name, "given_name")
    _check(validators.validate_name, data.family_name, "family_name")
    max_aliases = settings.DAPOLICE_MAX_ALIASES_PER_PERSON
    if len(data.aliases) > max_aliases:
        raise DomainError(
            _("Record at most %(n)d other names.") % {"n": max_aliases}, field="aliases"
        )
    for given, family in data.aliases:
        _check(validators.validate_name, given, "aliases")
        _check(validators.validate_name, family, "aliases")
    max_phones = settings.DAPOLICE_MAX_PHONES_PER_PERSON
    if len([p for p in data.phones if p.strip()]) > max_phones:
        raise DomainError(
            _("Record at most %(n)d phone numbers.") % {"n": max_phones}, field="phones"
        )
    if data.date_of_birth:
        try:
            validators.validate_date_of_birth(data.date_of_birth)
        except ValidationError as exc:
            raise DomainError.from_validation(exc, field="date_of_birth") from None
    elif data.birth_year is not None:
        try:
            validators.validate_birth_year(data.birth_year)
        except ValidationError as exc:
            raise DomainError.from_validation(exc, field="date_of_birth") from None


def person_create(*, actor: User, data: PersonInput, address: Address | None = None) -> Person:
    """A new person with their names (and aliases), phones and current address. Always named:
    a ``person_id`` here links nobody, so it never stands for a name."""
    validate_person(data)
    if not (data.given_name.strip() or data.family_name.strip()):
        raise DomainError(_("Enter a name, or link an existing person."), field="family_name")
    phones = _clean_phones(data.phones)
    # Inside a caller's transaction (logging a call) no savepoint of its own: a failure here
    # fails the whole call anyway, and two round trips a person are saved (issue 13).
    with transaction.atomic(savepoint=False):
        if address is None and data.address is not None and not data.address.is_empty:
            address = address_get_or_create(actor=actor, data=data.address)
        person = Person.objects.create(
            given_name=data.given_name.strip(),
            family_name=data.family_name.strip(),
            date_of_birth=data.date_of_birth,
            birth_year=None if data.date_of_birth else data.birth_year,
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
            fields=["given_name", "family_name", "date_of_birth", "birth_year", "address"],
        )
    return person


def person_update_from_call(
    *, actor: User, person: Person, data: PersonInput, home: Address | None = None
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
        fields = ["date_of_birth", "birth_year", "address"]
        before = snapshot(locked, fields)
        if data.date_of_birth and locked.date_of_birth is None:
            locked.date_of_birth = data.date_of_birth
            locked.birth_year = None  # the full date replaces a year known alone
        elif data.birth_year and locked.date_of_birth is None and locked.birth_year is None:
            locked.birth_year = data.birth_year
        if home is None and data.address is not None and not data.address.is_empty:
            home = address_get_or_create(actor=actor, data=data.address)
        current = locked.address
        if home is not None and (current is None or not current.is_restricted):
            locked.address = home
        changes = diff(before, snapshot(locked, fields))
        if changes:
            locked.save(update_fields=[*fields, "updated_at"])
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
