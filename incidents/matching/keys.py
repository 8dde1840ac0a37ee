"""Normalised match keys, computed by well-kept libraries and stored in indexed columns.

* names: ASCII-folded lower case; a phonetic key (Double Metaphone, ``DoubleMetaphone``);
  given names also canonicalised through the nickname table (``nicknames`` plus our own UK
  supplement in ``nicknames_uk.csv``), so Bill, Will and Billy all key as William;
* phone numbers: E.164 (``phonenumbers``), UK by default;
* postcodes: upper case without spaces, validated against the UK format;
* house numbers: the leading number and letter ("12a", "Flat 3, 12A" -> "12A"), else the
  normalised house name;
* streets and towns (compared, not stored): folded, with the usual abbreviations written out
  ("12 Castle Mdw" and "Castle Meadow" -> ``castlemeadow``; "St" and "Rd" -> street, road);
* dates of birth: copied onto every ``PersonName`` row as ``dob_key`` (None for a placeholder
  date), so "this date of birth and a surname that sounds like this" is one composite index
  probe instead of a join through every person born that day.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from datetime import date
from functools import cache, lru_cache
from pathlib import Path

import phonenumbers
from doublemetaphone import doublemetaphone
from nicknames import NickNamer

_NON_ALPHA = re.compile(r"[^a-z]")
_SPACES = re.compile(r"\s+")
POSTCODE_RE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
_HOUSE_NUMBER = re.compile(r"(\d+)\s*([A-Z])?\b")

#: Dates of birth entered when the real one is unknown; never used to find candidates.
PLACEHOLDER_DOBS = frozenset({date(1900, 1, 1), date(1901, 1, 1), date(1970, 1, 1)})


#: Words typed with a name that are not a name: honorifics, ranks, post-nominal letters and the
#: baronet's "1st Bt." (folded). Never used as names to search or compare.
TITLES = frozenset(
    {
        "mr", "mrs", "ms", "miss", "mx", "master", "dr", "doctor", "prof", "professor",
        "sir", "dame", "lord", "lady", "rev", "revd", "reverend", "fr", "father", "sr", "sister",
        "bt", "bart", "baronet", "esq", "hon", "rt", "capt", "captain", "maj", "major", "col",
        "sgt", "pc", "dc", "cllr", "jr", "jnr", "snr", "obe", "mbe", "cbe", "kbe", "dbe",
        "qc", "kc", "mp", "phd", "iii", "ii", "iv",
    }
)  # fmt: skip
_NAME_WORD = re.compile(r"[^\s,.;()]+")
_ORDINAL = re.compile(r"^\d+(st|nd|rd|th)?$")


def strip_titles(text: str) -> str:
    """The name without titles: 'Sir John Smith, 1st Bt.' -> 'John Smith'; 'Mr. Khan' -> 'Khan'.

    A name made only of such words is kept as typed (someone may be called Major).
    """
    words = _NAME_WORD.findall(text or "")
    kept = [w for w in words if fold(w) not in TITLES and not _ORDINAL.match(w.lower())]
    if not kept or len(kept) == len(words):
        return (text or "").strip()
    return " ".join(kept)


def fold(text: str) -> str:
    """Lower case ASCII letters only: 'O'Brien-Smyth' -> 'obriensmyth'."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    return _NON_ALPHA.sub("", ascii_text)


@lru_cache(maxsize=65536)
def name_folded(text: str) -> str:
    """A typed or stored name as compared: titles dropped, then folded."""
    return fold(strip_titles(text))


def phonetic(text: str) -> tuple[str, str]:
    """Double Metaphone primary and alternate codes of a folded name ('' when empty)."""
    folded = fold(text)
    if not folded:
        return "", ""
    primary, alternate = doublemetaphone(folded)
    return primary or "", alternate or ""


@cache
def _nicknamer() -> NickNamer:
    return NickNamer()


@cache
def _uk_table() -> tuple[dict[str, frozenset[str]], frozenset[str]]:
    """(nickname -> formal names, the formal names) from our own table of UK diminutives."""
    table: dict[str, set[str]] = {}
    formal: set[str] = set()
    path = Path(__file__).with_name("nicknames_uk.csv")
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            canonical = fold(row["name"])
            formal.add(canonical)
            for nick in row["nicknames"].split(";"):
                table.setdefault(fold(nick), set()).add(canonical)
    return {k: frozenset(v) for k, v in table.items()}, frozenset(formal)


def _uk_supplement() -> dict[str, frozenset[str]]:
    return _uk_table()[0]


#: Given names that stand for each other both ways, beyond the nickname tables: gender forms
#: and short forms the tables lack. They widen comparison and search only; the stored key
#: (:func:`given_canon`) is unchanged, so no stored name needs re-keying.
VARIANTS: tuple[tuple[str, ...], ...] = (
    ("charles", "chad"),
    ("george", "georgina", "georgia"),
    ("paul", "paula", "pauline"),
    ("robert", "roberta"),
    ("joseph", "josephine"),
    ("daniel", "danielle"),
    ("stephen", "stephanie"),
    ("nicholas", "nicola"),
)


@cache
def _variants() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for group in VARIANTS:
        for name in group:
            table.setdefault(name, set()).update(group)
    return {k: frozenset(v) for k, v in table.items()}


@cache
def canonical_given_names(name: str) -> frozenset[str]:
    """Every formal name ``name`` may stand for, including itself (and its :data:`VARIANTS`)."""
    folded = fold(name)
    if not folded:
        return frozenset()
    names = {folded}
    names.update(fold(n) for n in _nicknamer().canonicals_of(folded))
    names.update(_uk_supplement().get(folded, ()))
    for n in list(names):
        names.update(_variants().get(n, ()))
    return frozenset(names)


@cache
def known_given_names() -> frozenset[str]:
    """Every given name the nickname tables know (formal names and nicknames), folded.

    Two different known names one letter apart (Mary, Mark) are two names, not a typo.
    """
    namer = _nicknamer()
    names = {fold(n) for n in (*namer.nickname_lookup, *namer.canonical_lookup)}
    table, formal = _uk_table()
    return frozenset(names | set(table) | set(formal))


@cache
def given_canon(name: str) -> str:
    """One deterministic canonical form for the stored key column.

    A name that is itself formal keys as itself; a nickname keys as its alphabetically first
    formal name, our UK table first (so Bill keys as 'william', not the package's 'robert').
    Scoring compares the full sets (:func:`canonical_given_names`), not this one key.
    """
    folded = fold(name)
    if not folded:
        return ""
    if folded in _uk_table()[1]:
        return folded
    uk = _uk_supplement().get(folded)
    if uk:
        return sorted(uk)[0]
    canon = {fold(n) for n in _nicknamer().canonicals_of(folded)}
    if not canon or _nicknamer().nicknames_of(folded):
        return folded
    return sorted(canon)[0]


def dob_key(date_of_birth: date | None) -> date | None:
    """The date of birth as a blocking key: None when unknown or a placeholder (1 Jan 1900...).

    Thousands of records share a placeholder date, so it would join strangers together.
    """
    if date_of_birth is None or date_of_birth in PLACEHOLDER_DOBS:
        return None
    return date_of_birth


def name_keys(
    given: str, family: str, *, date_of_birth: date | None
) -> dict[str, str | date | None]:
    """The key columns of a ``PersonName`` row (the person's date of birth is one of them).

    ``date_of_birth`` is required so that no writer can forget it: when a person's date of birth
    changes, every one of their names must be re-keyed, e.g.
    ``person.names.update(dob_key=keys.dob_key(person.date_of_birth))``.
    """
    family_primary, family_alt = phonetic(family)
    given_primary, _ = phonetic(given_canon(given) or given)
    return {
        "dob_key": dob_key(date_of_birth),
        "given_norm": fold(given)[:100],
        "given_canon": given_canon(given)[:100],
        "given_phon": given_primary[:12],
        "family_norm": fold(family)[:100],
        "family_phon": family_primary[:12],
        "family_phon_alt": (family_alt or family_primary)[:12],
    }


MIN_NATIONAL_DIGITS = 9


def phone_key(raw: str, region: str = "GB") -> str | None:
    """E.164, or None when the text cannot be a phone number.

    "Possible" rather than "valid": a number in a range not yet allocated (or Ofcom's drama
    ranges, which the demo data uses) is still what the caller said. "Possible" alone accepts
    fragments such as "0770 09" (local short numbers), so a number must also have at least
    ``MIN_NATIONAL_DIGITS`` digits unless ``phonenumbers`` knows it as valid.
    """
    if not raw or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number) and (
        not phonenumbers.is_possible_number(number)
        or len(str(number.national_number)) < MIN_NATIONAL_DIGITS
    ):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def postcode_key(raw: str) -> str:
    """'nr1  2ab' -> 'NR12AB'; '' when it is not a UK postcode."""
    compact = _SPACES.sub("", (raw or "").upper())
    return compact if POSTCODE_RE.match(compact) else ""


def postcode_display(raw: str) -> str:
    """'nr12ab' -> 'NR1 2AB' (the raw text when it is not a UK postcode)."""
    key = postcode_key(raw)
    return f"{key[:-3]} {key[-3:]}" if key else (raw or "").strip().upper()


#: Abbreviations of street words, written out so that "Church Rd" and "Church Road" agree. "St"
#: is "street" (a saint's name before a street word is rare enough not to matter here).
_STREET_WORDS = {
    "rd": "road", "st": "street", "str": "street", "ave": "avenue", "av": "avenue",
    "ln": "lane", "dr": "drive", "cl": "close", "cres": "crescent", "cr": "crescent",
    "pl": "place", "gdns": "gardens", "gdn": "garden", "ct": "court", "sq": "square",
    "tce": "terrace", "ter": "terrace", "mdw": "meadow", "mdws": "meadows", "pk": "park",
    "gr": "grove", "gro": "grove", "hl": "hill", "wy": "way", "bvd": "boulevard",
    "blvd": "boulevard", "cir": "circuit", "cct": "circuit", "pde": "parade", "hwy": "highway",
}  # fmt: skip
_WORD = re.compile(r"[a-z]+")


@lru_cache(maxsize=65536)
def street_key(raw: str) -> str:
    """'Church Rd.' -> 'churchroad'; house numbers and punctuation dropped ('' when empty).

    Compared, never stored or searched: a postcode mistyped with the street and house number
    right is still the same home (``scoring.address_level``).
    """
    decomposed = unicodedata.normalize("NFKD", raw or "")
    text = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    return "".join(_STREET_WORDS.get(w, w) for w in _WORD.findall(text))[:100]


def house_key(raw: str) -> str:
    """'12a' -> '12A'; 'Flat 3, 12 High St' -> '12' (the last number).

    A house with a name and no number keys as the folded name ('Rose Cottage' -> 'rosecottage').
    """
    text = (raw or "").upper()
    numbers = _HOUSE_NUMBER.findall(text)
    if numbers:
        number, letter = numbers[-1]
        return f"{int(number)}{letter or ''}"
    return fold(raw)[:40]
