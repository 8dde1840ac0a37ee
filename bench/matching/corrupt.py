"""Seeded corruption of a true person into what a caller might say: the labelled queries.

Each query keeps the name (a caller is always asked it) and drops some of the other fields,
then gets one to three of: a typo, a spelling that sounds the same, a nickname, first and last
name swapped, an alias (maiden name), day and month swapped, a one-digit date typo, a placeholder
date, a reformatted phone number, a reformatted postcode or house. Every change is named in the
query's ``labels`` so the accuracy table can be broken down by corruption.
"""

from __future__ import annotations

import csv
import random
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

from dapolice.demo import synth
from dapolice.demo.synth import SynthPerson
from incidents.matching.engine import MatchQuery

_NICKNAMES = Path(__file__).resolve().parents[2] / "incidents" / "matching" / "nicknames_uk.csv"

#: Respellings that sound the same (applied to one match, left to right).
_SOUND_ALIKE = (
    ("ph", "f"), ("f", "ph"), ("y", "i"), ("i", "y"), ("ck", "k"), ("k", "c"), ("c", "k"),
    ("ee", "ea"), ("ea", "ee"), ("ie", "y"), ("ey", "y"), ("son", "sen"), ("sen", "son"),
    ("th", "t"), ("oh", "o"), ("ou", "ow"), ("z", "s"), ("s", "z"), ("ll", "l"), ("nn", "n"),
    ("tt", "t"), ("mm", "m"), ("rr", "r"), ("l", "ll"), ("n", "nn"), ("t", "tt"), ("ai", "ay"),
    ("ay", "ai"), ("v", "ph"), ("e", "a"), ("a", "e"),
)  # fmt: skip
_KEYBOARD_NEIGHBOURS = {
    "a": "qwsz", "b": "vghn", "c": "xdfv", "d": "serfcx", "e": "wsdr", "f": "drtgvc",
    "g": "ftyhbv", "h": "gyujnb", "i": "ujko", "j": "huikmn", "k": "jiolm", "l": "kop",
    "m": "njk", "n": "bhjm", "o": "iklp", "p": "ol", "q": "wa", "r": "edft", "s": "awedxz",
    "t": "rfgy", "u": "yhji", "v": "cfgb", "w": "qase", "x": "zsdc", "y": "tghu", "z": "asx",
}  # fmt: skip


@dataclass
class LabelledQuery:
    """A query and the id of the person it was made from (None: a new person, not on record)."""

    query: MatchQuery
    truth: int | None
    kind: str  # "duplicate", "name only", "new person", "new at a known address", "namesake"
    labels: list[str] = field(default_factory=list)


@cache
def _nicknames_of() -> dict[str, tuple[str, ...]]:
    with _NICKNAMES.open(newline="", encoding="utf-8") as fh:
        return {row["name"]: tuple(row["nicknames"].split(";")) for row in csv.DictReader(fh)}


def _case_like(original: str, new: str) -> str:
    return new.capitalize() if original[:1].isupper() else new


def typo(rng: random.Random, name: str) -> str:
    """One keyboard slip: a neighbouring key, a letter dropped, doubled or two swapped."""
    if len(name) < 3:
        return name
    low = name.lower()
    # The first letter is the one a call taker gets right most often.
    i = rng.randrange(1, len(low)) if rng.random() < 0.9 else 0
    op = rng.choice(("neighbour", "drop", "double", "swap"))
    if op == "neighbour" and low[i] in _KEYBOARD_NEIGHBOURS:
        out = low[:i] + rng.choice(_KEYBOARD_NEIGHBOURS[low[i]]) + low[i + 1 :]
    elif op == "drop":
        out = low[:i] + low[i + 1 :]
    elif op == "double":
        out = low[: i + 1] + low[i] + low[i + 1 :]
    else:
        i = min(i, len(low) - 2)
        out = low[:i] + low[i + 1] + low[i] + low[i + 2 :]
    return _case_like(name, out)


def sound_alike(rng: random.Random, name: str) -> str:
    """A respelling that sounds the same (Smith -> Smyth); the name itself when none applies."""
    low = name.lower()
    options = [(a, b) for a, b in _SOUND_ALIKE if a in low[1:]]
    if not options:
        return name
    a, b = rng.choice(options)
    at = low.index(a, 1)
    return _case_like(name, low[:at] + b + low[at + len(a) :])


def nickname(rng: random.Random, given: str) -> str | None:
    names = _nicknames_of().get(given.capitalize())
    return rng.choice(names) if names else None


def dob_swap(d: date) -> date | None:
    if d.day > 12 or d.day == d.month:
        return None
    return d.replace(day=d.month, month=d.day)


def dob_digit(rng: random.Random, d: date) -> date:
    """The same date with one digit of DDMMYYYY changed (another valid date)."""
    text = f"{d.day:02d}{d.month:02d}{d.year:04d}"
    for _ in range(100):
        i = rng.choice((0, 1, 2, 3, 6, 7))  # day, month, and the decade and year digits
        digit = str(rng.randrange(10))
        if digit == text[i]:
            continue
        new = text[:i] + digit + text[i + 1 :]
        try:
            changed = date(int(new[4:]), int(new[2:4]), int(new[:2]))
        except ValueError:
            continue
        if changed <= date.today():  # noqa: DTZ011 (a date of birth, no time zone)
            return changed
    return d


def phone_format(rng: random.Random, national: str) -> str:
    """'07700 900123' as a caller or a system might write it."""
    digits = re.sub(r"\D", "", national)
    rest = digits[1:]
    return rng.choice(
        (
            f"+44 {rest[:4]} {rest[4:]}",
            f"+44{rest}",
            f"0044 {rest}",
            digits,
            f"{digits[:5]}-{digits[5:]}",
            f"({digits[:5]}) {digits[5:8]} {digits[8:]}",
        )
    )


def postcode_format(rng: random.Random, postcode: str) -> str:
    compact = postcode.replace(" ", "")
    return rng.choice(
        (compact.lower(), compact, f" {postcode.lower()} ", postcode.replace(" ", "  "))
    )


def house_format(rng: random.Random, house: str) -> str:
    if not house[:1].isdigit():
        return house.upper()
    return rng.choice((f"Flat {rng.randint(1, 6)}, {house}", house.lower(), f"{house} "))


#: The corruptions the issue lists (typos, sounds-alike spellings, nicknames, swapped names,
#: an alias, day/month swapped, a one-digit date typo, reformatted phone and postcode).
SPEC_CORRUPTIONS = (
    "typo given",
    "typo family",
    "sounds alike given",
    "sounds alike family",
    "nickname",
    "swapped names",
    "alias",
    "dob day/month swapped",
    "dob one digit",
    "phone reformatted",
    "postcode reformatted",
)
#: A value replaced outright, as happens in this domain (a false or middle first name, a
#: surname changed by marriage and not yet on record, a made-up date of birth, a move, a new
#: phone) and as Febrl's generator does. Queries of kind "duplicate, value replaced" carry
#: exactly one of these; they are reported apart from the headline.
REPLACEMENTS = ("other given name", "other family name", "other dob", "moved house", "new phone")


def corrupt(
    rng: random.Random,
    true: SynthPerson,
    *,
    truth: int | None,
    kind: str = "duplicate",
    replace_one: bool = False,
) -> LabelledQuery:
    """A caller's version of ``true``: some fields dropped, zero to three corruptions (and one
    value replaced outright when ``replace_one``)."""
    labels: list[str] = []
    given, family = true.given_name, true.family_name
    dob = true.date_of_birth
    phone = true.phone
    place = true.address
    # What the caller is asked besides the name; at least one of these unless "name only".
    has_dob = dob is not None and rng.random() < 0.75
    has_phone = phone is not None and rng.random() < 0.5
    has_address = place is not None and rng.random() < 0.6
    if kind != "name only" and not (has_dob or has_phone or has_address):
        choice = rng.choice(
            [f for f, v in (("dob", dob), ("phone", phone), ("address", place)) if v]
        )
        has_dob, has_phone, has_address = choice == "dob", choice == "phone", choice == "address"
    if kind == "name only":
        has_dob = has_phone = has_address = False
    for field_name, present in (("dob", has_dob), ("phone", has_phone), ("address", has_address)):
        if not present:
            labels.append(f"no {field_name}")
    if rng.random() < 0.05:
        given = ""
        labels.append("no given name")
    elif rng.random() < 0.03:
        family = ""
        labels.append("no family name")
    postcode = place.postcode if has_address and place else ""
    house = place.house if has_address and place else ""
    phones = (phone,) if has_phone and phone else ()
    if not has_dob:
        dob = None
    n = rng.choices((0, 1, 2, 3), weights=(1, 4, 3, 2))[0]
    ops = rng.sample(SPEC_CORRUPTIONS, k=n)
    if replace_one:
        ops = [rng.choice(REPLACEMENTS), *ops[:2]]
    for op in ops:
        if op == "typo given" and given:
            given = typo(rng, given)
        elif op == "typo family" and family:
            family = typo(rng, family)
        elif op == "sounds alike given" and given:
            given = sound_alike(rng, given)
        elif op == "sounds alike family" and family:
            family = sound_alike(rng, family)
        elif op == "nickname" and given and (nick := nickname(rng, given)):
            given = nick
        elif op == "swapped names" and given and family:
            given, family = family, given
        elif op == "alias" and true.aliases:
            given, family = rng.choice(true.aliases)
        elif op == "dob day/month swapped" and dob and (swapped := dob_swap(dob)):
            dob = swapped
        elif op == "dob one digit" and dob:
            dob = dob_digit(rng, dob)
        elif op == "phone reformatted" and phones:
            phones = (phone_format(rng, phones[0]),)
        elif op == "postcode reformatted" and postcode:
            postcode = postcode_format(rng, postcode)
            house = house_format(rng, house)
        elif op == "other given name" and given:
            given = synth.pick(rng, synth.pools()[true.sex or "female"])
        elif op == "other family name" and family:
            family = synth.pick(rng, synth.pools()["family"])
        elif op == "other dob" and dob:
            dob = synth.date_of_birth(rng)
        elif op == "moved house" and postcode:
            moved = synth.address(rng)
            postcode, house = moved.postcode, moved.house
        elif op == "new phone" and phones:
            phones = (synth.mobile(rng),)
        else:
            continue
        labels.append(op)
    if dob is None and has_dob is False and true.date_of_birth and rng.random() < 0.05:
        dob = date(1900, 1, 1)
        labels.append("placeholder dob")
    query = MatchQuery(
        given_name=given,
        family_name=family,
        date_of_birth=dob,
        phones=phones,
        postcode=postcode,
        house=house,
    )
    return LabelledQuery(query=query, truth=truth, kind=kind, labels=labels)
