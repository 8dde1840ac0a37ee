"""Field validators shared by the intake forms and the services: one rule and one message each.

Each raises Django's ``ValidationError``, so a form shows the message beside its field; a service
turns it into a ``DomainError`` naming the field (``DomainError.from_validation``), which the API
reports under that field. No database access (import-linter keeps it so).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.matching import keys

POSTCODE_MESSAGE = _("Enter a real UK postcode, like NR1 2AB.")
PHONE_MESSAGE = _("Enter a phone number, like 07700 900123 or +44 7700 900123.")
BORN_IN_FUTURE_MESSAGE = _("Date of birth must be in the past.")
BORN_TOO_EARLY_MESSAGE = _("Date of birth must be after 1900.")
NAME_TOO_LONG_MESSAGE = _("A name can be at most 100 characters.")
HOUSE_NUMBER_MESSAGE = _("Enter a house number of at most 6 digits, or the name of the house.")
TOO_LONG_MESSAGE = _("This can be at most %(n)d characters.")
#: Column sizes the services check before writing (a longer value is a message, never a 500).
NAME_MAX_LENGTH = 100
HOUSE_MAX_DIGITS = 6
ADDRESS_MAX_LENGTHS = {"house": 80, "street": 200, "locality": 100, "town": 100}
#: The largest id a link or a URL may carry (PostgreSQL bigint).
MAX_ID = 2**63 - 1
#: The earliest year a date of birth may have (01/01/1900 is the usual "unknown" placeholder).
EARLIEST_BIRTH_YEAR = 1900


RURAL_AREA_MESSAGE = _(
    "Enter a postcode district, like NR13, or a sector with its space, like NR1 3."
)
_DISTRICT_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
_SECTOR_RE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ([0-9])$")


@dataclass(frozen=True)
class PostcodeParts:
    """A UK postcode split the way the Royal Mail does: "NR1 3DE" is outward "NR1" (the
    district) and inward "3DE"; its sector is "NR1 3". Compared as parts, never as squashed
    text: "NR1 3" squashed is "NR13", a different (rural) district."""

    outward: str
    inward: str

    @property
    def district(self) -> str:
        return self.outward

    @property
    def sector(self) -> str:
        return f"{self.outward} {self.inward[0]}"


def postcode_parts(value: str) -> PostcodeParts | None:
    """The parts of a UK postcode ("nr13de" and "NR1 3DE" alike); None when it is not one."""
    key = keys.postcode_key(value)
    if not key:
        return None
    return PostcodeParts(outward=key[:-3], inward=key[-3:])


def clean_postcode_area(value: str) -> str:
    """A district ("NR13") or a sector written with its space ("NR1 3"), normalised.

    A sector squashed ("NR13") cannot be told from a district, so the space is required.
    """
    text = " ".join((value or "").upper().split())
    if _DISTRICT_RE.match(text) or _SECTOR_RE.match(text):
        return text
    raise ValidationError(RURAL_AREA_MESSAGE, code="postcode_area")


def clean_postcode(value: str) -> str:
    """A UK postcode as it is displayed ("NR1 2AB"), or "" when nothing was typed."""
    if not (value or "").strip():
        return ""
    if not keys.postcode_key(value):
        raise ValidationError(POSTCODE_MESSAGE, code="postcode")
    return keys.postcode_display(value)


def clean_phones(values: Iterable[str]) -> tuple[str, ...]:
    """Every number typed, in E.164, once each and in the order typed; blanks are skipped."""
    numbers: list[str] = []
    for raw in values:
        if not raw.strip():
            continue
        e164 = keys.phone_key(raw)
        if e164 is None:
            raise ValidationError(PHONE_MESSAGE, code="phone")
        if e164 not in numbers:
            numbers.append(e164)
    return tuple(numbers)


def validate_date_of_birth(born: date) -> None:
    """In the past (the force's today) and not before 1900."""
    if born > timezone.localdate():
        raise ValidationError(BORN_IN_FUTURE_MESSAGE, code="future")
    if born.year < EARLIEST_BIRTH_YEAR:
        raise ValidationError(BORN_TOO_EARLY_MESSAGE, code="too_early")


def validate_birth_year(year: int) -> None:
    """A year of birth known alone: not in the future, not before 1900."""
    if year > timezone.localdate().year:
        raise ValidationError(BORN_IN_FUTURE_MESSAGE, code="future")
    if year < EARLIEST_BIRTH_YEAR:
        raise ValidationError(BORN_TOO_EARLY_MESSAGE, code="too_early")


def validate_name(value: str) -> None:
    if len((value or "").strip()) > NAME_MAX_LENGTH:
        raise ValidationError(NAME_TOO_LONG_MESSAGE, code="too_long")


def validate_house(value: str) -> None:
    """A house number of at most ``HOUSE_MAX_DIGITS`` digits (its match key must fit), or a
    name; at most 80 characters."""
    value = value or ""
    if len(value) > ADDRESS_MAX_LENGTHS["house"]:
        raise ValidationError(TOO_LONG_MESSAGE % {"n": ADDRESS_MAX_LENGTHS["house"]})
    run = 0
    for ch in value:
        run = run + 1 if ch.isdigit() else 0
        if run > HOUSE_MAX_DIGITS:
            raise ValidationError(HOUSE_NUMBER_MESSAGE, code="house")


def validate_length(value: str, limit: int) -> None:
    if len(value or "") > limit:
        raise ValidationError(TOO_LONG_MESSAGE % {"n": limit}, code="too_long")


def parse_id(raw: object) -> int | None:
    """A record id typed into a form or a URL, or None: ASCII digits only (``"²".isdigit()`` is
    true, and ``int("²")`` fails) and no larger than the database's ids."""
    text = str(raw or "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None
