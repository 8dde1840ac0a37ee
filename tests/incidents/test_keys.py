"""The match keys (``incidents/matching/keys.py``): each normalisation its docstring promises.

Pure functions, no database: the columns they fill are what the candidate blocks look up, so a
key that drifts silently stops finding people.
"""

from __future__ import annotations

from datetime import date

import pytest

from incidents.matching import keys


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("O'Brien-Smyth", "obriensmyth"),
        ("Zoë ÅSA", "zoeasa"),
        ("  Mc Donald 2nd ", "mcdonaldnd"),
        ("", ""),
        (None, ""),
    ],
)
def test_fold_keeps_lower_case_ascii_letters_only(text, folded):
    assert keys.fold(text) == folded


@pytest.mark.parametrize(
    ("name", "codes"),
    [
        ("Smith", ("SM0", "XMT")),
        ("Schmidt", ("XMT", "SMT")),
        ("Jones", ("JNS", "ANS")),
        ("Smíth", ("SM0", "XMT")),  # folded first
        ("", ("", "")),
        ("--", ("", "")),
    ],
)
def test_phonetic_is_double_metaphone_of_the_folded_name(name, codes):
    assert keys.phonetic(name) == codes


def test_a_nickname_stands_for_its_formal_names_and_itself():
    assert keys.canonical_given_names("Bill") >= {"bill", "william"}
    assert keys.canonical_given_names("Abby") >= {"abby", "abigail"}
    assert keys.canonical_given_names("Zyxw") == {"zyxw"}
    assert keys.canonical_given_names("") == frozenset()


def test_known_given_names_come_from_both_tables():
    known = keys.known_given_names()
    assert {"mary", "mark", "bill", "william", "abby"} <= known
    assert "zyxw" not in known


@pytest.mark.parametrize(
    ("name", "canon"),
    [
        ("Bill", "william"),  # our UK table first (the package alone would say robert too)
        ("William", "william"),  # a formal name keys as itself
        ("Bob", "robert"),
        ("Abby", "abigail"),  # the package's alphabetically first formal name
        ("Zyxw", "zyxw"),  # unknown: itself
        ("", ""),
    ],
)
def test_given_canon_is_one_deterministic_formal_name(name, canon):
    assert keys.given_canon(name) == canon


@pytest.mark.parametrize(
    ("born", "key"),
    [
        (date(1988, 7, 4), date(1988, 7, 4)),
        (None, None),
        (date(1900, 1, 1), None),
        (date(1901, 1, 1), None),
        (date(1970, 1, 1), None),
    ],
)
def test_a_placeholder_date_of_birth_is_no_key(born, key):
    assert keys.dob_key(born) == key


def test_name_keys_fill_every_column_within_its_length():
    row = keys.name_keys("Sue", "Smith", date_of_birth=date(1988, 7, 4))
    assert row == {
        "dob_key": date(1988, 7, 4),
        "given_norm": "sue",
        "given_canon": "susan",
        "given_phon": "SSN",  # of the formal name: Sue and Susan key alike
        "family_norm": "smith",
        "family_phon": "SM0",
        "family_phon_alt": "XMT",
    }
    long = keys.name_keys("A" * 150, "B" * 150, date_of_birth=date(1900, 1, 1))
    assert (len(long["given_norm"]), len(long["given_canon"]), len(long["family_norm"])) == (
        100,
        100,
        100,
    )
    assert len(long["family_phon"]) == 12
    assert long["family_phon_alt"] == long["family_phon"]  # no alternate: the primary
    assert long["dob_key"] is None


def test_a_given_name_without_a_formal_form_keys_by_itself():
    row = keys.name_keys("Zyxw", "", date_of_birth=None)
    assert (row["given_canon"], row["given_phon"]) == ("zyxw", keys.phonetic("zyxw")[0])
    assert (row["family_phon"], row["family_phon_alt"]) == ("", "")


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("07700 900123", "+447700900123"),
        ("+44 7700 900123", "+447700900123"),
        ("020 7946 0000", "+442079460000"),
        ("0163296000", "+44163296000"),  # nine national digits, possible: kept
        ("+1 202 555 0100", "+12025550100"),  # another country, written as such
        ("016329600", None),  # eight digits and not valid: a fragment
        ("0770 09", None),
        ("07700900", None),
        ("999", None),
        ("not a number", None),
        ("   ", None),
        ("", None),
    ],
)
def test_phone_key_is_e164_or_nothing(raw, e164):
    assert keys.phone_key(raw) == e164


def test_phone_key_reads_national_numbers_in_the_region_given():
    assert keys.phone_key("202 555 0100", region="US") == "+12025550100"


@pytest.mark.parametrize(
    ("raw", "key", "shown"),
    [
        ("nr1  2ab", "NR12AB", "NR1 2AB"),
        ("EC1A1BB", "EC1A1BB", "EC1A 1BB"),
        (" m1 1ae ", "M11AE", "M1 1AE"),
        ("NOT A POSTCODE", "", "NOT A POSTCODE"),
        ("nr1", "", "NR1"),
        ("", "", ""),
        (None, "", ""),
    ],
)
def test_postcode_key_and_display(raw, key, shown):
    assert keys.postcode_key(raw) == key
    assert keys.postcode_display(raw) == shown


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("12a", "12A"),
        ("12 a", "12A"),
        ("Flat 3, 12 High St", "12"),  # the last number
        ("007", "7"),
        ("Rose Cottage", "rosecottage"),
        ("R" * 60, "r" * 40),
        ("", ""),
        (None, ""),
    ],
)
def test_house_key_is_the_number_and_letter_else_the_name(raw, key):
    assert keys.house_key(raw) == key


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Castle Meadow", "castlemeadow"),
        ("castle mdw.", "castlemeadow"),
        ("Church Rd", "churchroad"),
        ("St Giles St", "streetgilesstreet"),  # "St" is always street: both sides alike
        ("Mill-Lane", "milllane"),
        ("Rue de l'Église", "ruedeleglise"),
        ("", ""),
    ],
)
def test_street_key_folds_and_writes_out_abbreviations(raw, key):
    assert keys.street_key(raw) == key


@pytest.mark.parametrize(
    ("typed", "stored"), [("Chad", "Charles"), ("Georgina", "George"), ("George", "Georgina")]
)
def test_short_and_gender_forms_compare_as_nicknames_both_ways(typed, stored):
    from incidents.matching import scoring

    assert scoring.given_level(keys.fold(typed), keys.fold(stored)) == scoring.NICKNAME
    # ...without changing a stored key (nothing to re-key).
    assert keys.given_canon(typed) == keys.fold(typed)


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Sir John Smith, 1st Bt.", "John Smith"),  # title, ordinal and baronetcy dropped
        ("Mr. Khan", "Khan"),
        ("DR amy o'neil", "amy o'neil"),  # titles in any case
        ("Major", "Major"),  # made only of a title: someone may be called Major
        ("  Major  ", "Major"),
        ("  John   Smith ", "John   Smith"),  # nothing dropped: as typed, trimmed
        ("", ""),
        (None, ""),
    ],
)
def test_strip_titles_drops_titles_and_ordinals_but_keeps_a_name_made_only_of_them(typed, name):
    assert keys.strip_titles(typed) == name


def test_a_name_with_no_sounded_letter_has_empty_phonetic_codes():
    # Double Metaphone gives neither code for a silent letter on its own.
    assert keys.phonetic("H") == ("", "")
    assert keys.phonetic("Ww") == ("", "")


def test_name_keys_cut_every_phonetic_code_at_twelve_characters():
    long = "Abcdefghijklmnopqrstuvwxyz"  # an unknown name: 19 and 20 characters of code
    assert len(keys.phonetic(long)[0]) > 12
    row = keys.name_keys(long, long, date_of_birth=None)
    assert row["given_phon"] == row["family_phon"] == "APKTFKKLMNPK"
    assert row["family_phon_alt"] == "APKTFKKLMNPK"


def test_no_phone_number_typed_is_no_key():
    assert keys.phone_key(None) is None  # type: ignore[arg-type]
