"""Matching weights trained with Splink, promoted after evaluation, served by the engine
(issue 14): end to end on a small generated set."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from dapolice.accounts.choices import Role
from dapolice.audit.models import AuditEvent
from dapolice.common.errors import DomainError
from incidents.matching import keys, scoring, training
from incidents.matching.conf import setting
from incidents.matching.engine import MatchQuery, match_persons
from incidents.matching.models import MatchingModel, MatchLabel, MatchTermFrequency
from incidents.matching.services import (
    matching_model_create,
    matching_model_promote,
    matching_model_record_bench,
    matching_model_train,
)
from incidents.matching.weights import load, to_json
from incidents.models import Address, Person, PersonName, PersonPhone

pytest.importorskip("splink")

GIVEN = [
    "Amelia",
    "Oliver",
    "Isla",
    "George",
    "Ava",
    "Noah",
    "Mia",
    "Leo",
    "Ivy",
    "Jack",
    "Rosie",
    "Harry",
    "Freya",
    "Oscar",
    "Lily",
    "Arthur",
    "Grace",
    "Theo",
    "Ella",
    "Finn",
]
FAMILY = [
    "Hartley",
    "Pemberton",
    "Ashdown",
    "Blackwood",
    "Carrow",
    "Dunmore",
    "Ellery",
    "Fairbairn",
    "Gillingham",
    "Holloway",
    "Ingram",
    "Jessop",
    "Kettering",
    "Lockwood",
    "Marchant",
    "Northcott",
    "Ormsby",
    "Pendle",
    "Quayle",
    "Radley",
]


def _create(given, family, dob, postcode, house, phones):
    address = None
    if postcode:
        address, _ = Address.objects.get_or_create(
            postcode_key=keys.postcode_key(postcode),
            house_key=keys.house_key(house),
            defaults={"postcode": postcode, "house": house},
        )
    person = Person.objects.create(
        given_name=given, family_name=family, date_of_birth=dob, address=address
    )
    PersonName.objects.create(
        person=person,
        given_name=given,
        family_name=family,
        is_primary=True,
        **keys.name_keys(given, family, date_of_birth=dob),
    )
    for number in phones:
        PersonPhone.objects.create(person=person, number=number)
    return person


def _generated_force(seed=3):
    """Households of three sharing a surname, an address and a landline; a quarter of the
    people recorded twice (same name, date and address; most with a new mobile instead of
    the landline). In this force a shared phone says "same household", a date "same person"."""
    rng = random.Random(seed)
    people = []
    for h in range(100):
        family = f"{FAMILY[h % 20]}{'' if h < 20 else ['son', 'ley', 'ford', 'ton'][h % 4]}"
        postcode = f"NR{1 + h % 9} {1 + h % 7}{'ABDEFGHJ'[h % 8]}{'ABDEFGHJ'[h // 8 % 8]}"
        landline = f"+441603{600000 + h:06d}"
        for _ in range(3):
            given = rng.choice(GIVEN)
            dob = date(1945, 1, 2) + timedelta(days=rng.randrange(22_000))
            _create(given, family, dob, postcode, str(h + 1), [landline])
            people.append((given, family, dob, postcode, str(h + 1), landline))
    for given, family, dob, postcode, house, landline in rng.sample(people, 75):
        phone = landline if rng.random() < 0.25 else f"+447700{rng.randrange(900000):06d}"
        _create(given, family, dob, postcode, house, [phone])


@pytest.fixture
def analyst(make_user):
    return make_user(Role.ANALYST)


def _the_caller():
    """The same caller recorded twice: once with the household's landline and no date of
    birth (created first, so a tie would rank it first), once with the date and a new
    mobile."""
    by_phone = _create("Wilhelmina", "Trelawney", None, "", "", ["+441603999111"])
    by_date = _create("Wilhelmina", "Trelawney", date(1977, 6, 5), "", "", ["+447700123456"])
    # The rest of her household shares the landline.
    _create("Bartholomew", "Trelawney", date(1975, 2, 9), "", "", ["+441603999111"])
    return by_phone, by_date


QUERY = MatchQuery(
    family_name="Trelawney", date_of_birth=date(1977, 6, 5), phones=("01603 999111",)
)


@pytest.mark.django_db
def test_training_promotion_and_serving_end_to_end_on_a_generated_force(
    system, analyst, tmp_path, settings
):
    settings.VAR_DIR = tmp_path
    _generated_force()
    for _ in range(4):  # four people named Zanzibar: too rare to list
        _create("Quentin", "Zanzibar", None, "", "", [])
    by_phone, by_date = _the_caller()
    # Hand weights: a phone in common (8) outweighs a date of birth (7.5).
    assert match_persons(QUERY)[0].person_id == by_phone.pk

    model = matching_model_train(actor=system, u_pairs=200_000)
    assert not model.active
    assert model.source == MatchingModel.Source.SPLINK
    assert model.record_count == Person.objects.count()
    assert model.trainer_version.startswith("splink 4.")
    assert model.trained_at is not None
    assert model.weights["prior"] < 0
    # Trained on this force: a shared phone is household evidence, a date of birth is not.
    w = load(model.pk)
    assert w.dob[scoring.EXACT] > w.phone[scoring.SAME]
    # Term frequencies: only values held by five people or more; rarer ones get the rare-value
    # weight, more than the commonest name's.
    family = dict(
        MatchTermFrequency.objects.filter(model=model, column="family").values_list(
            "value", "persons"
        )
    )
    assert family
    assert min(family.values()) >= setting("DAPOLICE_MATCH_TF_MIN_PERSONS")
    assert "zanzibar" not in family
    common = max(family, key=family.__getitem__)
    assert w.tf_weight("family", "zanzibar") == w.tf_rare["family"]
    assert w.tf_weight("family", "zanzibar") > w.tf_weight("family", common)
    # The DuckDB file is gone.
    assert list(Path(tmp_path).iterdir()) == []
    # Not served until promoted.
    assert match_persons(QUERY)[0].person_id == by_phone.pk

    matching_model_promote(actor=analyst, model=model, reason="no worse on the labels")
    model.refresh_from_db()
    assert model.active
    assert "labels" in model.metrics
    assert match_persons(QUERY)[0].person_id == by_date.pk
    assert AuditEvent.objects.filter(
        action="matching.model.activated", subject_id=str(model.pk), actor=analyst
    ).exists()
    assert AuditEvent.objects.filter(action="matching.model.created", subject_id=str(model.pk))


def test_splink_levels_map_one_to_one_onto_the_engines():
    by_name = {c["output_column_name"]: c for c in training.comparisons()}
    hand = scoring.DEFAULT_WEIGHTS
    for name in ("given", "family", "dob", "phone", "address"):
        labels = [level["label_for_charts"] for level in by_name[name]["comparison_levels"]]
        hand_only = training.HAND_ONLY_LEVELS.get(name, frozenset())
        assert sorted(labels) == sorted(set(getattr(hand, name)) - hand_only), name
        assert len(set(labels)) == len(labels)
    # A level Splink has no comparison for keeps its hand weight (never above a date one
    # digit off, as trained).
    assert dict(training.HAND_ONLY_LEVELS) == {"dob": frozenset({scoring.YEAR})}


@pytest.mark.django_db
def test_a_model_worse_than_the_active_one_is_not_promoted(system, analyst):
    bad = matching_model_create(
        actor=system, name="worse", source="splink", weights=to_json(scoring.DEFAULT_WEIGHTS)
    )
    matching_model_record_bench(
        actor=system,
        model=bad,
        figures={"top1": 0.80, "recall": 0.9, "precision": 0.99},
        active={"top1": 0.85, "recall": 0.9, "precision": 0.99},
    )
    with pytest.raises(DomainError, match="top1"):
        matching_model_promote(actor=analyst, model=bad, reason="try")
    bad.refresh_from_db()
    assert not bad.active
    assert AuditEvent.objects.filter(action="matching.model.promotion_refused").exists()


@pytest.mark.django_db
def test_the_labels_gate_refuses_weights_that_flag_what_call_takers_rejected(
    system, analyst, call_taker
):
    person = _create("Amelia", "Hartley", None, "", "", [])
    rejected = {
        "given": "exact",
        "family": "mismatch",
        "dob": "missing",
        "phone": "missing",
        "address": "same_postcode",
        "swapped": False,
        "primary": True,
        "dob_common": False,
    }
    linked = {**rejected, "family": "exact", "dob": "exact"}
    for levels, positive in [(rejected, False)] * 3 + [(linked, True)] * 2:
        MatchLabel.objects.create(
            person=person, positive=positive, levels=levels, score=0.2, decided_by=call_taker
        )
    eager = to_json(scoring.DEFAULT_WEIGHTS)
    eager["prior"] = 0.0  # name and postcode alone would flag
    model = matching_model_create(actor=system, name="eager", source="splink", weights=eager)
    with pytest.raises(DomainError, match="precision"):
        matching_model_promote(actor=analyst, model=model, reason="try")


@pytest.mark.django_db
def test_matching_train_command_says_when_there_is_too_little_to_train_on(system):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="too few"):
        call_command("matching_train")


def test_the_web_process_does_not_import_splink():
    import subprocess
    import sys

    code = (
        "import django, os, sys; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
        "'dapolice.settings'); django.setup(); import dapolice.urls, incidents.views, "
        "incidents.matching.services; print('splink' in sys.modules, 'duckdb' in sys.modules)"
    )
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
    )
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.django_db
def test_the_nightly_task_trains_a_new_inactive_model(tmp_path, settings):
    from incidents.matching.tasks import matching_train_task

    settings.VAR_DIR = tmp_path
    settings.DAPOLICE_MATCH_TRAIN_U_PAIRS = 50_000
    assert matching_train_task.delay().get() is None  # too few persons: skipped, nothing stored
    _generated_force()
    new = matching_train_task.delay().get()
    assert MatchingModel.objects.filter(pk=new, source="splink", active=False).exists()


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        # (postcode, house, street, town) on each side
        (("NR13DE", "22", "Castle Meadow", "Norwich"), ("NR13DE", "22", "", ""), scoring.SAME),
        (("NR13DE", "22", "", ""), ("NR13DE", "24", "", ""), scoring.SAME_POSTCODE),
        (
            ("NR13DE", "22", "Castle Meadow", "Norwich"),
            ("NR13ED", "22", "Castle Mdw", "NORWICH"),
            scoring.SAME_STREET,
        ),
        (
            ("NR13DE", "22", "Castle Meadow", ""),
            ("NR13ED", "22", "Castle Meadw", ""),
            scoring.SAME_STREET,  # the same district, the street a slip apart
        ),
        (
            ("NR13DE", "22", "Castle Meadow", "Norwich"),
            ("IP13ED", "22", "Castle Meadow", "Ipswich"),
            scoring.MISMATCH,
        ),
        (
            ("NR13DE", "22", "Castle Meadow", "Norwich"),
            ("IP13ED", "22", "Castle Meadow", "Norwch"),
            scoring.SAME_STREET,  # another district, the town a slip apart
        ),
        (
            ("NR13DE", "22", "Castle Meadow", "Norwich"),
            ("IP13ED", "22", "Castle Meadow", "Nrowch"),
            scoring.MISMATCH,  # two slips: another town
        ),
        (
            ("NR13DE", "22", "Castle Meadow", "Norwich"),
            ("NR13ED", "24", "Castle Meadow", "Norwich"),
            scoring.MISMATCH,
        ),
    ],
)
def test_the_address_levels_in_duckdb_are_the_engines(left, right, level):
    """Splink's address comparison (DuckDB SQL) gives the level ``scoring.address_level``
    gives for the same two addresses."""
    import duckdb

    def row(postcode: str, house: str, street: str, town: str) -> dict[str, str | None]:
        return {
            "postcode": postcode,
            "house": keys.house_key(house),
            "street": keys.street_key(street) or None,
            "town": keys.fold(town) or None,
            "district": postcode[:-3],
        }

    lhs, r = row(*left), row(*right)
    columns = {f"{k}_l": v for k, v in lhs.items()} | {f"{k}_r": v for k, v in r.items()}
    con = duckdb.connect()
    # Typed as the training's table types them (a NULL parameter alone would be an INTEGER).
    select = ", ".join(f'CAST(${k} AS VARCHAR) AS "{k}"' for k in columns)
    con.execute(f"CREATE TABLE pair AS SELECT {select}", columns)  # noqa: S608 (test values)
    (address,) = [c for c in training.comparisons() if c["output_column_name"] == "address"]
    found = None
    for candidate in address["comparison_levels"]:
        condition = candidate["sql_condition"]
        if condition == "ELSE" or con.execute(f"SELECT {condition} FROM pair").fetchone()[0]:  # noqa: S608
            found = candidate["label_for_charts"]
            break
    typed = scoring.Typed.from_raw(
        given="", family="", date_of_birth=None, phones=(), postcode=left[0], house=left[1],
        street=left[2], town=left[3],
    )  # fmt: skip
    stored = scoring.Stored(
        1, None, r["postcode"] or "", r["house"] or "", street_key=r["street"] or "",
        town_key=r["town"] or "",
    )  # fmt: skip
    assert found == scoring.address_level(typed, stored) == level
