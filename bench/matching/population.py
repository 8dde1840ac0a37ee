"""The synthetic labelled set: persons on record from the scale generator, callers' queries.

The persons on record are a ``people`` data set of the bench harness
(``dapolice.demo.generator.generate_people``, built on ``dapolice.demo.synth``): households of
one to five where partners share a dwelling and often a surname (maiden names kept as
aliases), children carry the family surname, some records have a nickname or misspelt alias,
a shared landline, a placeholder or missing date of birth. Its ground truth is
``(person_id, SynthPerson)``.

Queries (``corrupt``, seeded) are of these kinds:

* ``duplicate``: a corrupted version of a person on record, name plus at least one of date of
  birth, phone and address (what a call taker asks), with the corruptions the issue lists;
* ``duplicate, value replaced``: the same with one value replaced outright (a false first
  name, a new surname, a made-up date of birth, a move, a new phone): harder, reported apart;
* ``name only``: a duplicate with nothing but the name (reported apart: never flagged by
  design, two people can share a name);
* ``new person``: someone not on record (any flag is a false flag);
* ``new at a known address``: a new partner or child at a recorded address with the
  household's surname (the domestic abuse trap: any flag is a false flag);
* ``namesake``: a new person with exactly the name of someone on record, other details their own;
* ``twin not on record``: a new child with the surname, address *and date of birth* of a child
  on record (reported apart: flagged by design, see ``scoring.Weights``).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from dapolice.demo import synth
from dapolice.demo.synth import SynthPerson

from .corrupt import LabelledQuery, corrupt

#: Kinds in the headline figures: the issue's corrupted duplicates, and people not on record.
HEADLINE_KINDS = ("duplicate", "new person", "new at a known address", "namesake")


def queries_for(
    loaded: Sequence[tuple[int, SynthPerson]],
    *,
    seed: int,
    duplicates: int,
    replaced: int,
    name_only: int,
    new: int,
    twins: int,
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
    third = new // 3
    for _ in range(third):
        out.append(corrupt(rng, synth.person(rng), truth=None, kind="new person"))
    housed = [p for _, p in loaded if p.address is not None]
    for _ in range(third):
        host = rng.choice(housed)
        newcomer = synth.person(
            rng, family_name=host.family_name, home=host.address, child=rng.random() < 0.5
        )
        out.append(corrupt(rng, newcomer, truth=None, kind="new at a known address"))
    for _ in range(new - 2 * third):
        _, namesake = rng.choice(loaded)
        stranger = replace(
            synth.person(rng), given_name=namesake.given_name, family_name=namesake.family_name
        )
        out.append(corrupt(rng, stranger, truth=None, kind="namesake"))
    recent = date.today().year - 17  # noqa: DTZ011 (a year of birth, no time zone)
    children = [p for p in housed if p.date_of_birth and p.date_of_birth.year >= recent]
    for host in rng.sample(children, min(twins, len(children))):
        twin = synth.person(rng, family_name=host.family_name, home=host.address, child=True)
        twin = replace(twin, date_of_birth=host.date_of_birth)
        out.append(corrupt(rng, twin, truth=None, kind="twin not on record"))
    return out
