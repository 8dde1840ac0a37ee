"""Synthetic, reproducible (seeded) people and places with UK-style details.

The building block of the demo data, the scale generator (``generator``) and the matching
accuracy evaluation (``bench/matching``). Name pools come from Faker's locale data (a PyPI
package, not copied here); sampling uses our own ``random.Random`` so a seed reproduces a data
set exactly and a million rows take seconds, not Faker's per-call overhead.

Places: ``Gazetteer`` is a seeded set of streets in the demo force's towns (Norfolk) with
consistent postcodes, so neighbours share a street and usually a postcode and one postcode plus
house number is one dwelling; ``RURAL_DISTRICTS`` are the districts it treats as rural. Names:
``nickname`` and ``typo`` give the variants records really hold (aliases, misspellings).

Nothing here is real: phone numbers are drawn from Ofcom's ranges reserved for drama
(07700 900xxx and friends) where the set is small, and from random mobile numbers otherwise.
"""

from __future__ import annotations

import bisect
import csv
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

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
    is_rural: bool = False
    is_restricted: bool = False

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
    #: Every number on the record, national format, ``phone`` first (the scale generator fills it).
    phones: list[str] = field(default_factory=list)
    #: People generated as one household share this number (``None``: not generated so).
    household: int | None = None


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


# --- Places in the force area ----------------------------------------------------------------


@dataclass(frozen=True)
class Town:
    """A town and its postcode districts; ``rural`` towns' districts are rural areas."""

    name: str
    districts: tuple[str, ...]
    weight: float
    rural: bool = False
    in_area: bool = True


#: The demo force covers Norfolk. Weights are roughly relative populations.
FORCE_TOWNS = (
    Town("Norwich", ("NR1", "NR2", "NR3", "NR4", "NR5", "NR6", "NR7", "NR8"), 36),
    Town("Great Yarmouth", ("NR30", "NR31"), 9),
    Town("King's Lynn", ("PE30",), 8),
    Town("Thetford", ("IP24",), 5),
    Town("Dereham", ("NR19",), 4),
    Town("Wymondham", ("NR18",), 3),
    Town("Attleborough", ("NR17",), 2),
    Town("Cromer", ("NR27",), 2, rural=True),
    Town("North Walsham", ("NR28",), 2, rural=True),
    Town("Fakenham", ("NR21",), 2, rural=True),
    Town("Diss", ("IP22",), 2, rural=True),
    Town("Swaffham", ("PE37",), 2, rural=True),
    Town("Downham Market", ("PE38",), 2, rural=True),
    Town("Sheringham", ("NR26",), 1.5, rural=True),
    Town("Aylsham", ("NR11",), 1.5, rural=True),
    Town("Watton", ("IP25",), 1.5, rural=True),
    Town("Holt", ("NR25",), 1, rural=True),
    Town("Hunstanton", ("PE36",), 1, rural=True),
    Town("Wells-next-the-Sea", ("NR23",), 0.5, rural=True),
    Town("Acle", ("NR13",), 1, rural=True),
)
#: Where an ex-partner who left the area lives.
ELSEWHERE_TOWNS = (
    Town("Ipswich", ("IP1", "IP2", "IP3", "IP4"), 3, in_area=False),
    Town("Peterborough", ("PE1", "PE2", "PE3", "PE4"), 3, in_area=False),
    Town("Cambridge", ("CB1", "CB2", "CB4"), 2, in_area=False),
    Town("Lowestoft", ("NR32", "NR33"), 2, in_area=False),
    Town("London", ("E1", "E3", "E17", "N7", "SE15", "SW9"), 3, in_area=False),
)
#: Postcode districts a force would list as rural (``incidents.RuralArea``).
RURAL_DISTRICTS = tuple(d for t in FORCE_TOWNS if t.rural for d in t.districts)

_COMMON_STREETS = (
    "High Street", "Church Lane", "Station Road", "Mill Lane", "The Street", "School Lane",
    "Chapel Road", "London Road", "Norwich Road", "Market Place", "Queens Road", "Victoria Road",
)  # fmt: skip
_HOUSES_PER_POSTCODE = 15


@dataclass
class Street:
    name: str
    town: Town
    district: str
    houses: int
    inward: tuple[str, ...]  # one postcode inward code per run of ~15 houses
    rural: bool
    named_houses: bool


class Gazetteer:
    """A seeded set of streets with consistent postcodes: neighbours share a street and usually
    a postcode, and one postcode plus house number is one dwelling (as the services key it).

    ``capacity`` is the number of dwellings in the force area; size it above the number of
    addresses you need so that a few households share a dwelling over the years, as they do.
    """

    def __init__(self, rng: random.Random, capacity: int) -> None:
        self._used: dict[str, list[str]] = {}
        self.streets: list[Street] = []
        self._cumulative: list[int] = []
        self._by_name: dict[tuple[str, str], int] = {}
        self.elsewhere: list[Street] = []
        self._elsewhere_cumulative: list[int] = []
        towns = FORCE_TOWNS
        town_weights = [t.weight for t in towns]
        total = 0
        while total < capacity:
            town = rng.choices(towns, weights=town_weights, k=1)[0]
            street = self._street(rng, town)
            self._by_name.setdefault((street.name, town.name), len(self.streets))
            self.streets.append(street)
            total += street.houses
            self._cumulative.append(total)
        out_total = 0
        out_weights = [t.weight for t in ELSEWHERE_TOWNS]
        for _ in range(max(20, len(self.streets) // 20)):
            town = rng.choices(ELSEWHERE_TOWNS, weights=out_weights, k=1)[0]
            street = self._street(rng, town)
            self.elsewhere.append(street)
            out_total += street.houses
            self._elsewhere_cumulative.append(out_total)

    def _inward(self, rng: random.Random, district: str) -> str:
        free = self._used.get(district)
        if free is None:
            free = [f"{s}{a}{b}" for s in range(10) for a in _UNIT_LETTERS for b in _UNIT_LETTERS]
            rng.shuffle(free)
            self._used[district] = free
        if len(free) > 1:
            return free.pop()
        return f"{rng.randint(0, 9)}{rng.choice(_UNIT_LETTERS)}{rng.choice(_UNIT_LETTERS)}"

    def _street(self, rng: random.Random, town: Town) -> Street:
        if rng.random() < 0.15:
            name = rng.choice(_COMMON_STREETS)
        else:
            name = f"{pick(rng, pools()['family'])} {rng.choice(_STREET_SUFFIXES)}"
        houses = rng.randint(6, 40) if town.rural else rng.randint(10, 140)
        district = rng.choice(town.districts)
        units = (houses + _HOUSES_PER_POSTCODE - 1) // _HOUSES_PER_POSTCODE
        inward = tuple(self._inward(rng, district) for _ in range(units))
        return Street(
            name=name,
            town=town,
            district=district,
            houses=houses,
            inward=inward,
            rural=town.rural,
            named_houses=town.rural and rng.random() < 0.3,
        )

    @property
    def dwellings(self) -> int:
        return self._cumulative[-1] if self._cumulative else 0

    def _at(self, street: Street, number: int) -> SynthAddress:
        inward = street.inward[(number - 1) // _HOUSES_PER_POSTCODE]
        if street.named_houses and number % 3 == 0:
            house = _HOUSE_NAMES[(number // 3 + len(street.name)) % len(_HOUSE_NAMES)]
        else:
            house = str(number)
        return SynthAddress(
            house=house,
            street=street.name,
            town=street.town.name,
            postcode=f"{street.district} {inward}",
            is_rural=street.rural,
        )

    def address(self, rng: random.Random) -> SynthAddress:
        """A dwelling in the force area, every dwelling equally likely."""
        n = rng.randrange(self.dwellings)
        i = bisect.bisect_right(self._cumulative, n)
        start = self._cumulative[i - 1] if i else 0
        return self._at(self.streets[i], n - start + 1)

    def outside(self, rng: random.Random) -> SynthAddress:
        """A dwelling outside the force area (an ex-partner who moved away)."""
        n = rng.randrange(self._elsewhere_cumulative[-1])
        i = bisect.bisect_right(self._elsewhere_cumulative, n)
        start = self._elsewhere_cumulative[i - 1] if i else 0
        return self._at(self.elsewhere[i], n - start + 1)

    def neighbour(self, rng: random.Random, home: SynthAddress) -> SynthAddress:
        """A dwelling a few doors away on the same street (the neighbour who calls)."""
        i = self._by_name.get((home.street, home.town))
        if i is None or not home.house.isdigit():
            return self.address(rng)
        street = self.streets[i]
        number = int(home.house)
        other = number + rng.choice((-4, -2, -1, 1, 2, 4))
        if not 1 <= other <= street.houses:
            other = number - 1 if number > 1 else number + 1
        if other < 1 or other > street.houses:
            return self.address(rng)
        return self._at(street, other)


# --- Names as records hold them ----------------------------------------------------------------


@cache
def _nickname_table() -> dict[str, tuple[str, ...]]:
    """Formal given name (folded) -> common diminutives, from the matching engine's UK table
    when present, else from the ``nicknames`` package."""
    table: dict[str, list[str]] = {}
    path = Path(__file__).resolve().parents[2] / "incidents" / "matching" / "nicknames_uk.csv"
    if path.exists():
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                nicks = [n.strip() for n in row.get("nicknames", "").split(";") if n.strip()]
                table.setdefault(row["name"].strip().lower(), []).extend(nicks)
    return {k: tuple(dict.fromkeys(v)) for k, v in table.items()}


def nickname(rng: random.Random, given: str) -> str | None:
    """A diminutive a person may be recorded under ('William' -> 'Bill'), or None."""
    nicks = _nickname_table().get(given.lower()) or _package_nicknames(given.lower())
    return rng.choice(nicks) if nicks else None


@cache
def _package_nicknames(given: str) -> tuple[str, ...]:
    # The package's table is broad (it gives Paul "Polly"); keep the obvious diminutives.
    found = sorted(_nicknamer().nicknames_of(given))
    return tuple(n.title() for n in found if n.isalpha() and len(n) > 2 and n[0] == given[0])


@cache
def _nicknamer() -> Any:
    from nicknames import NickNamer

    return NickNamer()


_VOWELS = "aeiou"
_SOUND_ALIKE = (
    ("ph", "f"), ("ck", "k"), ("ie", "y"), ("y", "ie"), ("ee", "ea"), ("ou", "ow"),
    ("th", "t"), ("son", "sen"), ("ey", "y"), ("mm", "m"), ("ll", "l"), ("tt", "t"),
)  # fmt: skip


def typo(rng: random.Random, name: str) -> str:
    """A misspelling of the kind typed in a hurry or heard on a phone line."""
    if len(name) < 3:
        return name
    lower = name.lower()
    for _ in range(3):
        kind = rng.random()
        if kind < 0.3:
            olds = [(o, n) for o, n in _SOUND_ALIKE if o in lower]
            if olds:
                old, new = rng.choice(olds)
                out = lower.replace(old, new, 1)
            else:
                continue
        elif kind < 0.5:  # transposition
            i = rng.randrange(1, len(lower) - 1)
            out = lower[:i] + lower[i + 1] + lower[i] + lower[i + 2 :]
        elif kind < 0.7:  # dropped letter
            i = rng.randrange(1, len(lower))
            out = lower[:i] + lower[i + 1 :]
        elif kind < 0.85:  # doubled letter
            i = rng.randrange(1, len(lower))
            out = lower[:i] + lower[i] + lower[i:]
        else:  # vowel swapped
            spots = [i for i, c in enumerate(lower) if c in _VOWELS and i > 0]
            if not spots:
                continue
            i = rng.choice(spots)
            out = lower[:i] + rng.choice(_VOWELS.replace(lower[i], "")) + lower[i + 1 :]
        if out != lower and out.isascii():
            return _recase(name, out)
    return name


def _recase(original: str, new: str) -> str:
    """Apply the capitals of ``original`` ("O'Brien") to ``new`` where the letters line up."""
    if "'" in original or "-" in original:
        return "".join(w.capitalize() for w in re.split(r"(['-])", new))
    return new.capitalize()


def landline(rng: random.Random, town: str = "") -> str:
    """A landline in national format with a Norfolk area code ('01603 xxxxxx')."""
    code = _AREA_CODES.get(town, "01603")
    return f"{code} {rng.randint(200000, 999999)}"


_AREA_CODES = {
    "Norwich": "01603", "Great Yarmouth": "01493", "King's Lynn": "01553", "Thetford": "01842",
    "Dereham": "01362", "Cromer": "01263", "Sheringham": "01263", "Holt": "01263",
    "Fakenham": "01328", "Diss": "01379", "Swaffham": "01760", "Downham Market": "01366",
    "Hunstanton": "01485", "North Walsham": "01692", "Watton": "01953", "Wymondham": "01953",
    "Attleborough": "01953", "Aylsham": "01263", "Acle": "01493", "Wells-next-the-Sea": "01328",
}  # fmt: skip
