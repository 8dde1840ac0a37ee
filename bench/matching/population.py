"""The synthetic labelled set: true persons in households, then the callers' queries.

True persons come from ``dapolice.demo.synth`` (seeded). They live in households, because the
traps of domestic abuse matching are household traps: partners and children share an address
and usually a surname; some partners keep their maiden name as an alias; a few children are
twins (same birthday) or named after a parent; a few records carry a placeholder date of birth.

Queries (``corrupt``) are of five kinds:

* ``duplicate``: a corrupted version of a loaded person, name plus at least one of date of
  birth, phone and address (what a call taker asks), with the corruptions the issue lists;
* ``duplicate, value replaced``: the same with one value replaced outright (a false first
  name, a new surname, a made-up date of birth, a move, a new phone): harder, reported apart;
* ``name only``: the same with nothing but the name (reported apart: never flagged by design);
* ``new person``: someone not on record (any flag is a false flag);
* ``new at a known address``: a new partner or child at a loaded person's address with the
  household's surname (the trap: any flag is a false flag);
* ``namesake``: a new person with exactly the name of a loaded person, other details their own.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date

from dapolice.demo import synth
from dapolice.demo.synth import SynthPerson

from .corrupt import LabelledQuery, corrupt

PLACEHOLDER = date(1900, 1, 1)


def households(seed: int, n: int) -> list[SynthPerson]:
    """``n`` persons in households of one to five (adults, partners, children)."""
    rng = random.Random(seed)
    out: list[SynthPerson] = []
    while len(out) < n:
        first = synth.person(rng)
        out.append(first)
        if rng.random() < 0.55:  # a partner at the same address
            shares = rng.random() < 0.6
            partner = synth.person(
                rng, family_name=first.family_name if shares else None, home=first.address
            )
            if shares and rng.random() < 0.7:
                maiden = synth.pick(rng, synth.pools()["family"])
                partner.aliases.append((partner.given_name, maiden))
            out.append(partner)
            for _ in range(rng.choices((0, 1, 2, 3), weights=(4, 3, 3, 1))[0]):
                child = synth.person(
                    rng, family_name=first.family_name, home=first.address, child=True
                )
                if rng.random() < 0.02:  # named after a parent: same name, same address
                    child.given_name = first.given_name
                out.append(child)
                if rng.random() < 0.03:  # a twin: same birthday, surname and address
                    twin = synth.person(
                        rng, family_name=first.family_name, home=first.address, child=True
                    )
                    twin.date_of_birth = child.date_of_birth
                    out.append(twin)
    for person in out:
        roll = rng.random()
        if roll < 0.02:
            person.date_of_birth = PLACEHOLDER
        elif roll < 0.05:
            person.date_of_birth = None
    return out[:n]


@dataclass
class LabelledSet:
    persons: list[SynthPerson]
    queries: list[LabelledQuery] = field(default_factory=list)


def queries_for(
    loaded: list[tuple[int, SynthPerson]],
    *,
    seed: int,
    duplicates: int,
    replaced: int,
    name_only: int,
    new: int,
) -> list[LabelledQuery]:
    """Labelled queries against ``loaded`` (person id, true record)."""
    rng = random.Random(seed)
    out: list[LabelledQuery] = []
    for pk, person in rng.sample(loaded, duplicates):
        out.append(corrupt(rng, person, truth=pk))
    for pk, person in rng.sample(loaded, replaced):
        out.append(
            corrupt(rng, person, truth=pk, kind="duplicate, value replaced", replace_one=True)
        )
    for pk, person in rng.sample(loaded, name_only):
        out.append(corrupt(rng, person, truth=pk, kind="name only"))
    strangers = households(seed + 7919, new)
    third = new // 3
    for person in strangers[:third]:
        out.append(corrupt(rng, person, truth=None, kind="new person"))
    for _ in strangers[third : 2 * third]:
        _, host = rng.choice(loaded)
        child = rng.random() < 0.5
        newcomer = synth.person(rng, family_name=host.family_name, home=host.address, child=child)
        out.append(corrupt(rng, newcomer, truth=None, kind="new at a known address"))
    for person in strangers[2 * third :]:
        _, namesake = rng.choice(loaded)
        twin = replace(person, given_name=namesake.given_name, family_name=namesake.family_name)
        out.append(corrupt(rng, twin, truth=None, kind="namesake"))
    return out
