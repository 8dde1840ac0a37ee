"""The synthetic-data generator and ``seed_demo``, on the real database (no mocks)."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from dapolice.accounts.choices import Role
from dapolice.accounts.models import Agency, User
from dapolice.audit.models import AuditEvent
from dapolice.demo.generator import (
    PLACEHOLDER_DOB,
    STORY_PEOPLE,
    generate,
    generate_people,
    people_truth,
)
from dapolice.demo.management.commands.seed_demo import USERS
from incidents.choices import IncidentStatus, MarkerKind, PersonRole
from incidents.matching import keys
from incidents.models import (
    Address,
    AttendanceCategory,
    Incident,
    IncidentPerson,
    Marker,
    Person,
    PersonName,
    PersonPhone,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SIZE = 300
REFERENCE = re.compile(rf"^{settings.DAPOLICE_INCIDENT_REFERENCE_PREFIX}-(\d{{4}})-(\d{{6,}})$")


def digest() -> str:
    """Everything a seed decides: names, dates of birth, references, times, roles, keys."""
    h = hashlib.sha256()
    for row in Person.objects.order_by("pk").values_list(
        "pk", "given_name", "family_name", "date_of_birth", "address_id"
    ):
        h.update(repr(row).encode())
    for row in PersonName.objects.order_by("pk").values_list(
        "person_id", "given_name", "family_name", "is_primary", "family_phon"
    ):
        h.update(repr(row).encode())
    for row in PersonPhone.objects.order_by("pk").values_list("person_id", "number"):
        h.update(repr(row).encode())
    for row in Address.objects.order_by("pk").values_list("house", "postcode", "is_restricted"):
        h.update(repr(row).encode())
    for row in Incident.objects.order_by("pk").values_list(
        "reference", "received_at", "category__code", "status", "risk_level", "narrative"
    ):
        h.update(repr(row).encode())
    for row in IncidentPerson.objects.order_by("pk").values_list(
        "incident_id", "person_id", "role", "is_caller"
    ):
        h.update(repr(row).encode())
    return h.hexdigest()


def wipe() -> None:
    IncidentPerson.objects.all().delete()
    Incident.objects.all().delete()
    Marker.objects.all().delete()
    Person.objects.all().delete()
    Address.objects.all().delete()


@pytest.fixture
def dataset(db):
    return generate(incidents=SIZE, seed=11, now=NOW)


# --- Reproducibility -------------------------------------------------------------------------


def test_same_seed_gives_identical_data(db):
    generate(incidents=SIZE, seed=5, now=NOW)
    first = digest()
    wipe()
    generate(incidents=SIZE, seed=5, now=NOW)
    assert digest() == first


def test_different_seed_gives_different_data(db):
    generate(incidents=SIZE, seed=5, now=NOW)
    first = digest()
    first_names = set(Person.objects.values_list("given_name", "family_name"))
    wipe()
    generate(incidents=SIZE, seed=6, now=NOW)
    assert digest() != first
    assert set(Person.objects.values_list("given_name", "family_name")) != first_names


# --- Counts and the time line ----------------------------------------------------------------


def test_counts_and_stats_agree_with_the_tables(dataset):
    assert dataset.incidents == Incident.objects.count() == SIZE
    assert dataset.persons == Person.objects.count()
    assert dataset.names == PersonName.objects.count()
    assert dataset.phones == PersonPhone.objects.count()
    assert dataset.addresses == Address.objects.count()
    assert dataset.markers == Marker.objects.count()
    assert dataset.involvements == IncidentPerson.objects.count()
    assert dataset.persons > SIZE  # victims, suspects, children, callers


def test_incidents_span_several_years_up_to_now_with_recent_ones_still_open(dataset):
    times = sorted(Incident.objects.values_list("received_at", flat=True))
    assert times[-1] <= NOW
    assert NOW - times[0] > timedelta(days=3 * 365)
    last_year = sum(t > NOW - timedelta(days=365) for t in times)
    first_year = sum(t < times[0] + timedelta(days=365) for t in times)
    assert last_year > first_year  # more recent, more frequent
    open_ = Incident.objects.filter(status__in=[IncidentStatus.AWAITING, IncidentStatus.DISPATCHED])
    assert open_.exists()
    assert all(NOW - i.received_at < timedelta(hours=6) for i in open_)
    assert not open_.filter(arrived_at__isnull=False).exists()
    old = Incident.objects.filter(received_at__lt=NOW - timedelta(days=30))
    assert not old.filter(arrived_at__isnull=True).exists()
    assert old.filter(status=IncidentStatus.CLOSED).count() > 0.8 * old.count()
    assert set(Incident.objects.values_list("risk_level", flat=True)) >= {
        "standard",
        "medium",
        "high",
    }


def test_grading_targets_and_deadlines_follow_the_categories(dataset):
    categories = {c.pk: c for c in AttendanceCategory.objects.all()}
    late = on_time = 0
    for incident in Incident.objects.all():
        category = categories[incident.category_id]
        minutes = category.minutes_for(rural=incident.location_is_rural)
        assert incident.target_minutes == minutes
        assert incident.target_at == incident.received_at + timedelta(minutes=minutes)
        if incident.deferred_at is None:
            assert incident.deadline_at == incident.target_at
        else:
            assert incident.deadline_at > incident.target_at
            assert incident.deferral_reason
            assert incident.victim_wishes
        assert incident.location_is_rural == incident.location.is_rural
        if incident.attended_within_target is True:
            on_time += 1
        elif incident.attended_within_target is False:
            late += 1
    assert on_time > 3 * late > 0
    assert {c.code for c in categories.values()} == set(
        Incident.objects.values_list("category__code", flat=True)
    )


def test_references_are_unique_and_in_the_service_format(dataset):
    tz = ZoneInfo(settings.TIME_ZONE)
    references = list(Incident.objects.values_list("pk", "reference", "received_at"))
    assert len({r for _, r, _ in references}) == len(references)
    for pk, reference, received_at in references:
        match = REFERENCE.match(reference)
        assert match, reference
        assert int(match.group(1)) == received_at.astimezone(tz).year
        assert int(match.group(2)) == pk


def test_involvements_repeat_the_incident_time_and_have_one_victim(dataset):
    received = dict(Incident.objects.values_list("pk", "received_at"))
    victims: dict[int, int] = defaultdict(int)
    callers: dict[int, int] = defaultdict(int)
    for incident_id, role, is_caller, at in IncidentPerson.objects.values_list(
        "incident_id", "role", "is_caller", "received_at"
    ):
        assert at == received[incident_id]
        victims[incident_id] += role == PersonRole.VICTIM
        callers[incident_id] += is_caller
    assert set(victims.values()) == {1}
    assert max(callers.values()) == 1
    # Callers: mostly the victim, sometimes a third party (a neighbour or relative).
    third_party = IncidentPerson.objects.filter(role=PersonRole.OTHER, is_caller=True).count()
    assert 0.05 * SIZE < third_party < 0.4 * SIZE


# --- Domestic-abuse structure ----------------------------------------------------------------


def test_repeat_victims_exist_within_twelve_months(dataset):
    times: dict[int, list[datetime]] = defaultdict(list)
    for person_id, at in IncidentPerson.objects.filter(role=PersonRole.VICTIM).values_list(
        "person_id", "received_at"
    ):
        times[person_id].append(at)
    repeat = [
        pid
        for pid, ts in times.items()
        if any(
            b - a <= timedelta(days=365) for a, b in zip(sorted(ts), sorted(ts)[1:], strict=False)
        )
    ]
    assert len(repeat) >= 0.05 * len(times)


def test_serial_perpetrators_have_two_or_more_victims(dataset):
    victim_of = dict(
        IncidentPerson.objects.filter(role=PersonRole.VICTIM).values_list(
            "incident_id", "person_id"
        )
    )
    victims: dict[int, set[int]] = defaultdict(set)
    for incident_id, person_id in IncidentPerson.objects.filter(
        role=PersonRole.SUSPECT
    ).values_list("incident_id", "person_id"):
        victims[person_id].add(victim_of[incident_id])
    serial = [pid for pid, vs in victims.items() if len(vs) >= 2]
    assert serial
    assert len(serial) < 0.3 * len(victims)


def test_children_share_a_surname_and_address_with_a_parent(dataset):
    children = IncidentPerson.objects.filter(role=PersonRole.CHILD).select_related("person")
    assert children.exists()
    for involvement in children:
        child = involvement.person
        adults = Person.objects.filter(
            involvements__incident_id=involvement.incident_id,
            involvements__role__in=[PersonRole.VICTIM, PersonRole.SUSPECT],
        )
        assert adults.filter(family_name=child.family_name, address_id=child.address_id).exists()
        assert child.date_of_birth < involvement.received_at.date()


def test_households_share_addresses_and_ex_partners_live_elsewhere(dataset):
    pairs = IncidentPerson.objects.filter(role=PersonRole.SUSPECT).values_list(
        "incident__relationship", "person__address_id", "incident_id"
    )
    victim_home = dict(
        IncidentPerson.objects.filter(role=PersonRole.VICTIM).values_list(
            "incident_id", "person__address_id"
        )
    )
    shared = {"partner": 0, "ex_partner": 0}
    total = {"partner": 0, "ex_partner": 0}
    for relationship, suspect_home, incident_id in pairs:
        if relationship in shared:
            total[relationship] += 1
            shared[relationship] += suspect_home == victim_home[incident_id]
    assert shared["partner"] > 0.4 * total["partner"]
    assert shared["ex_partner"] < 0.2 * total["ex_partner"]


def test_records_carry_aliases_missing_and_placeholder_dates_of_birth(dataset):
    assert PersonName.objects.filter(is_primary=False).count() > 0.05 * dataset.persons
    assert PersonName.objects.filter(is_primary=True).count() == dataset.persons
    assert Person.objects.filter(date_of_birth__isnull=True).exists()
    assert Person.objects.filter(date_of_birth=PLACEHOLDER_DOB).exists()
    assert PLACEHOLDER_DOB in keys.PLACEHOLDER_DOBS


def test_markers_on_people_and_places_and_restricted_addresses(dataset):
    kinds = set(Marker.objects.values_list("kind", flat=True))
    assert {MarkerKind.VIOLENCE, MarkerKind.CHILDREN_AT_ADDRESS} <= kinds
    assert Marker.objects.filter(person__isnull=False).exists()
    assert Marker.objects.filter(address__isnull=False).exists()
    restricted = Address.objects.filter(is_restricted=True)
    assert restricted.exists()
    for address in restricted:
        assert address.markers.filter(kind=MarkerKind.RESTRICTED_ADDRESS).exists()
        assert address.residents.exists()


# --- Keys: computed by the matching engine's own functions ----------------------------------


def test_name_keys_are_the_matching_engines(dataset):
    for name in PersonName.objects.select_related("person"):
        expected = keys.name_keys(
            name.given_name, name.family_name, date_of_birth=name.person.date_of_birth
        )
        for column, value in expected.items():
            assert getattr(name, column) == value, (column, name.pk)
        if name.family_name:
            assert name.family_phon


def test_address_and_phone_keys_are_valid(dataset):
    for address in Address.objects.all():
        assert keys.POSTCODE_RE.match(address.postcode_key)
        assert address.postcode_key == keys.postcode_key(address.postcode)
        assert address.postcode == keys.postcode_display(address.postcode)
        assert address.house_key == keys.house_key(address.house)
    numbers = list(PersonPhone.objects.values_list("number", flat=True))
    assert numbers
    assert all(n.startswith("+44") and keys.phone_key(n) == n for n in numbers)
    # One postcode and house number is one dwelling, as the services key it.
    pairs = list(Address.objects.values_list("postcode_key", "house_key"))
    assert len(pairs) == len(set(pairs))


def test_orm_inserts_work_after_a_bulk_load(dataset, call_taker):
    address = Address.objects.create(house="1", postcode="NR1 1AA", postcode_key="NR11AA")
    person = Person.objects.create(given_name="New", family_name="Person", address=address)
    assert address.pk > Address.objects.exclude(pk=address.pk).order_by("-pk")[0].pk
    assert person.pk > Person.objects.exclude(pk=person.pk).order_by("-pk")[0].pk


def test_a_second_load_adds_to_the_first(dataset):
    before = Incident.objects.count()
    more = generate(incidents=50, seed=12, now=NOW)
    assert Incident.objects.count() == before + more.incidents
    assert len(set(Incident.objects.values_list("reference", flat=True))) == before + 50


# --- Persons only, for the matching evaluation ----------------------------------------------


def test_generate_people_returns_ground_truth_for_each_person(db):
    people = generate_people(persons=200, seed=3, now=NOW)
    assert len(people) == Person.objects.count() == 200
    by_id = {p.pk: p for p in Person.objects.prefetch_related("names", "phones")}
    households = defaultdict(set)
    for pk, truth in people:
        person = by_id[pk]
        assert (person.given_name, person.family_name) == (truth.given_name, truth.family_name)
        assert person.date_of_birth == truth.date_of_birth
        aliases = {(n.given_name, n.family_name) for n in person.names.all() if not n.is_primary}
        assert aliases == set(truth.aliases)
        assert {p.number for p in person.phones.all()} == {keys.phone_key(n) for n in truth.phones}
        assert keys.postcode_key(truth.address.postcode) == person.address.postcode_key
        households[truth.household].add(person.address_id)
    assert all(len(addresses) == 1 for addresses in households.values())
    assert any(len([1 for _, t in people if t.household == h]) >= 3 for h in households)
    assert not Incident.objects.exists()


def test_people_truth_rebuilds_a_loaded_set_without_the_database(db):
    people = generate_people(persons=120, seed=4, now=NOW)
    first = people[0][0]
    assert people_truth(persons=120, seed=4, now=NOW, first_id=first) == people


def test_generate_synthetic_command(db):
    out = StringIO()
    call_command("generate_synthetic", "--incidents", "40", "--seed", "2", stdout=out)
    assert Incident.objects.count() == 40
    assert "40 incidents" in out.getvalue()
    call_command("generate_synthetic", "--people-only", "--persons", "25", stdout=out)
    assert "25 persons" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("generate_synthetic", stdout=out)


# --- seed_demo --------------------------------------------------------------------------------


def seed(**kwargs: object) -> str:
    out = StringIO()
    call_command("seed_demo", "--incidents", "150", stdout=out, **kwargs)
    return out.getvalue()


def test_seed_demo_creates_one_user_per_role_and_prints_credentials(db, monkeypatch):
    monkeypatch.setenv("DAPOLICE_DEMO_PASSWORD", "a-demo-password-for-tests")
    output = seed()
    for role in Role:
        holders = User.objects.filter(groups=Group.objects.get(name=role))
        assert holders.filter(username__in=[u.username for u in USERS]).exists(), role
    for spec in USERS:
        user = User.objects.get(username=spec.username)
        assert user.check_password("a-demo-password-for-tests")
        assert user.roles == {spec.role}
        assert spec.username in output
    partner = User.objects.get(username="partner.health")
    assert partner.is_partner
    assert partner.agency.kind == "health"
    admin = User.objects.get(username="admin")
    assert (admin.is_superuser, admin.is_staff, admin.roles) == (False, True, {"sysadmin"})
    assert (
        Agency.objects.filter(kind__in=["health", "housing", "childrens_services", "idva"]).count()
        == 4
    )
    assert "a-demo-password-for-tests" in output


def test_seed_demo_loads_data_with_stories_and_an_open_board(db):
    output = seed()
    assert Incident.objects.count() > 150
    assert Incident.objects.filter(status=IncidentStatus.AWAITING).exists()
    for title, (given, family), _note in STORY_PEOPLE:
        assert title in output
        assert f"{given} {family}" in output
    sarah = Person.objects.get(given_name="Sarah", family_name="Whitmore")
    refs = list(Incident.objects.filter(people__person=sarah).values_list("reference", flat=True))
    assert len(refs) == 5
    assert all(r in output for r in refs)
    emma = Person.objects.get(given_name="Emma", family_name="Clarke")
    assert emma.address.is_restricted
    wayne = Person.objects.get(given_name="Wayne", family_name="Kettle")
    victims = set(
        IncidentPerson.objects.filter(
            role=PersonRole.VICTIM, incident__people__person=wayne
        ).values_list("person_id", flat=True)
    )
    assert len(victims) == 3


def test_seed_demo_is_idempotent(db):
    seed()
    counts = (
        User.objects.count(),
        Agency.objects.count(),
        Incident.objects.count(),
        Person.objects.count(),
        AuditEvent.objects.count(),
    )
    output = seed()
    assert (
        User.objects.count(),
        Agency.objects.count(),
        Incident.objects.count(),
        Person.objects.count(),
        AuditEvent.objects.count(),
    ) == counts
    assert "already present" in output


def test_seed_demo_refuses_in_production(db, settings):
    settings.DAPOLICE_ENV = "production"
    with pytest.raises(CommandError, match="production"):
        seed()
    assert not User.objects.filter(username="calltaker").exists()
    assert not Incident.objects.exists()


# --- Large loads on PostgreSQL --------------------------------------------------------------


def _schema() -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    from django.db import connection

    tables = [m._meta.db_table for m in (Address, Person, PersonName, PersonPhone, Marker)]
    tables += [Incident._meta.db_table, IncidentPerson._meta.db_table]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)", [tables]
        )
        indexes = set(cursor.fetchall())
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = ANY(%s::regclass[])",
            [tables],
        )
        constraints = set(cursor.fetchall())
    return indexes, constraints


@pytest.mark.postgres
def test_a_large_load_rebuilds_the_same_indexes_and_constraints(db, monkeypatch):
    from dapolice.demo import generator

    before = _schema()
    monkeypatch.setattr(generator, "REBUILD_INDEXES_FROM", 1)
    messages: list[str] = []
    stats = generate(incidents=120, seed=9, now=NOW, progress=messages.append)
    assert any(m.startswith("rebuilt ") for m in messages)
    assert _schema() == before
    assert stats.incidents == Incident.objects.count() == 120
    # The unique constraints hold again: a duplicate reference is refused.
    from django.db import IntegrityError, transaction

    incident = Incident.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Incident.objects.filter(pk=Incident.objects.last().pk).update(reference=incident.reference)
