"""Synthetic, reproducible (seeded) people and places with UK-style details.

The building block of the demo data, the scale generator (``generator``) and the matching
accuracy evaluation (``bench/matching``). Name pools come from Faker's locale data (a PyPI
package, not copied here); sampling uses our own ``random.Random`` so a seed reproduces a data
set exactly and a million rows take seconds, not Faker's per-call overhead.

Nothing here is real: phone numbers are drawn from Ofcom's ranges reserved for drama
(07700 900xxx and friends) where the set is small, and from random mobile numbers otherwise.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

from faker.providers.address.en_GB import Provider as GbAddress
from faker.providers.person.en_GB import Provider as GbPerson
from faker.providers.person.en_IE import Provider as IePerson
from faker.providers.person.en_US import Provider as UsPerson

_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_STREET_SUFFIXES = (
    "Road", "Street", "Lane", "Close", "Avenue", "Drive", "Way", "Crescent", "Gardens",
    "Court", "Place", "Terrace", "Grove", "Mews", "Row", "Walk",
)  # fmt: skip
_TOWNS = (
    "Norwich", "Great Yarmouth", "King's Lynn", "Thetford", "Dereham", "Cromer", "Diss",
    "Wymondham", "Swaffham", "Fakenham", "Attleborough", "Downham Market", "Sheringham",
    "North Walsham", "Aylsham", "Watton", "Holt", "Hunstanton", "Wells-next-the-Sea", "Acle",
)  # fmt: skip
_HOUSE_NAMES = (
    "Rose Cottage", "The Old Rectory", "Orchard House", "Mill House", "The Barn", "Ivy Cottage",
    "Hillside", "The Willows", "Meadow View", "Church Farm",
)  # fmt: skip


def _unique(names: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n for n in names if n.isascii() and " " not in n))


@cache
def pools() -> dict[str, tuple[str, ...]]:
    """Given names by sex and family names, most common first (the sampling is Zipf-like)."""
    return {
        "male": _unique(list(GbPerson.first_names_male) + list(UsPerson.first_names_male)),
        "female": _unique(list(GbPerson.first_names_female) + list(UsPerson.first_names_female)),
        "family": _unique(
            list(GbPerson.last_names) + list(UsPerson.last_names) + list(IePerson.last_names)
        ),
    }


@cache
def _zipf_weights(n: int) -> tuple[float, ...]:
    # Cumulative weights for rank r ~ 1 / (r + 10): common names are common, the tail is long.
    total = 0.0
    cumulative = []
    for rank in range(n):
        total += 1.0 / (rank + 10)
        cumulative.append(total)
    return tuple(cumulative)


def pick(rng: random.Random, population: Sequence[str]) -> str:
    return rng.choices(population, cum_weights=_zipf_weights(len(population)), k=1)[0]


@dataclass
class SynthAddress:
    house: str
    street: str
    town: str
    postcode: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.postcode.replace(" ", ""), self.house)


@dataclass
class SynthPerson:
    """A clean, true record of one synthetic person (the ground truth of an evaluation)."""

    given_name: str
    family_name: str
    sex: str
    date_of_birth: date | None
    phone: str | None
    address: SynthAddress | None
    aliases: list[tuple[str, str]] = field(default_factory=list)


def postcode(rng: random.Random) -> str:
    area = rng.choice(GbAddress.POSTAL_ZONES)
    district = rng.randint(1, 29)
    sector = rng.randint(0, 9)
    unit = rng.choice(_UNIT_LETTERS) + rng.choice(_UNIT_LETTERS)
    return f"{area}{district} {sector}{unit}"


def address(rng: random.Random) -> SynthAddress:
    if rng.random() < 0.05:
        house = rng.choice(_HOUSE_NAMES)
    else:
        house = str(rng.randint(1, 250)) + (rng.choice("AB") if rng.random() < 0.03 else "")
    street = f"{pick(rng, pools()['family'])} {rng.choice(_STREET_SUFFIXES)}"
    return SynthAddress(house=house, street=street, town=rng.choice(_TOWNS), postcode=postcode(rng))


def mobile(rng: random.Random) -> str:
    """A UK mobile number in national format ('07xxx xxxxxx')."""
    return f"07{rng.randint(100, 999)} {rng.randint(0, 999999):06d}"


def date_of_birth(rng: random.Random, *, oldest: int = 1940, youngest: int = 2008) -> date:
    start = date(oldest, 1, 1)
    span = (date(youngest, 12, 31) - start).days
    return start + timedelta(days=rng.randint(0, span))


def person(
    rng: random.Random,
    *,
    family_name: str | None = None,
    home: SynthAddress | None = None,
    child: bool = False,
) -> SynthPerson:
    sex = rng.choice(("male", "female"))
    dob = date_of_birth(rng, oldest=2009, youngest=2024) if child else date_of_birth(rng)
    return SynthPerson(
        given_name=pick(rng, pools()[sex]),
        family_name=family_name or pick(rng, pools()["family"]),
        sex=sex,
        date_of_birth=dob,
        phone=None if child or rng.random() < 0.1 else mobile(rng),
        address=home if home is not None else address(rng),
    )


def people(seed: int, n: int) -> list[SynthPerson]:
    """``n`` unrelated adults, reproducible from ``seed``."""
    rng = random.Random(seed)
    return [person(rng) for _ in range(n)]
