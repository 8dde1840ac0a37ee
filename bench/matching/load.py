"""A minimal bulk loader of synthetic persons, until ``dapolice.demo.generator.generate_people``.

Writes addresses (one row per postcode and house number, as the services do), persons, every
name with its keys and phones, computing every key with ``incidents.matching.keys`` exactly as the
services and the generator do. Delete this module once the generator's ``generate_people`` is in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

from django.db import connection, transaction

from dapolice.demo.synth import SynthPerson
from incidents.matching import keys
from incidents.models import Address, Person, PersonName, PersonPhone


@lru_cache(maxsize=200_000)
def _name_keys(given: str, family: str) -> tuple[tuple[str, object], ...]:
    return tuple(keys.name_keys(given, family, date_of_birth=None).items())


def _name(person_id: int, given: str, family: str, primary: bool, dob) -> PersonName:
    fields = dict(_name_keys(given, family))
    fields["dob_key"] = keys.dob_key(dob)
    return PersonName(
        person_id=person_id, given_name=given, family_name=family, is_primary=primary, **fields
    )


def load_people(
    people: Sequence[SynthPerson],
    *,
    batch: int = 20_000,
    progress: Callable[[str], None] | None = None,
) -> list[int]:
    """Insert ``people``; return their person ids in the same order."""
    address_ids: dict[tuple[str, str], int] = {}
    ids: list[int] = []
    for start in range(0, len(people), batch):
        chunk = people[start : start + batch]
        with transaction.atomic():
            new_addresses: dict[tuple[str, str], Address] = {}
            for p in chunk:
                if p.address is None:
                    continue
                key = (keys.postcode_key(p.address.postcode), keys.house_key(p.address.house))
                if key in address_ids or key in new_addresses:
                    continue
                new_addresses[key] = Address(
                    house=p.address.house,
                    street=p.address.street,
                    town=p.address.town,
                    postcode=keys.postcode_display(p.address.postcode),
                    postcode_key=key[0],
                    house_key=key[1],
                )
            Address.objects.bulk_create(new_addresses.values(), batch_size=5000)
            address_ids.update({k: a.pk for k, a in new_addresses.items()})
            persons = Person.objects.bulk_create(
                (
                    Person(
                        given_name=p.given_name,
                        family_name=p.family_name,
                        date_of_birth=p.date_of_birth,
                        address_id=address_ids.get(
                            (keys.postcode_key(p.address.postcode), keys.house_key(p.address.house))
                        )
                        if p.address
                        else None,
                    )
                    for p in chunk
                ),
                batch_size=5000,
            )
            names = []
            phones = []
            for p, row in zip(chunk, persons, strict=True):
                names.append(_name(row.pk, p.given_name, p.family_name, True, p.date_of_birth))
                for given, family in p.aliases:
                    names.append(_name(row.pk, given, family, False, p.date_of_birth))
                numbers = {keys.phone_key(n) for n in [p.phone, *getattr(p, "phones", [])] if n}
                phones.extend(PersonPhone(person_id=row.pk, number=n) for n in numbers if n)
            PersonName.objects.bulk_create(names, batch_size=5000)
            PersonPhone.objects.bulk_create(phones, batch_size=5000)
            ids.extend(row.pk for row in persons)
        if progress:
            progress(f"loaded {start + len(chunk):,} / {len(people):,} persons")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return ids
