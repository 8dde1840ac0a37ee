"""Flags the call taker sees at once: repeat victim, known and serial perpetrator, markers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from incidents import services
from incidents.choices import MarkerKind, RiskLevel
from incidents.models import Marker
from incidents.selectors import months_before, person_flags
from tests.incidents.helpers import suspect_of, victim_of

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
YEAR_AGO = datetime(2025, 11, 23, 14, 0, tzinfo=UTC)

# Flags are a 12-month window before a moment: every test here runs at NOW (its fixtures too),
# so the calls it logs at NOW - n days are in the past on any machine, whatever its clock says.
pytestmark = pytest.mark.time_machine(NOW, tick=False)


def test_months_before_is_calendar_months_and_clamps_month_ends():
    assert months_before(NOW, 12) == YEAR_AGO
    assert months_before(datetime(2026, 3, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert months_before(datetime(2025, 2, 28, tzinfo=UTC), 12) == datetime(2024, 2, 28, tzinfo=UTC)


def test_months_before_is_what_relativedelta_gives():
    """Every day of a leap year and the years around it, back and forward up to 40 months
    (the risk rules count forward with a negative number), with its time and zone kept."""
    from dateutil.relativedelta import relativedelta

    day = datetime(2023, 1, 1, 23, 59, 59, 999999, tzinfo=UTC)
    while day.year < 2026:
        for months in (*range(-40, 41), 120, -120):
            assert months_before(day, months) == day - relativedelta(months=months), (day, months)
        day += timedelta(days=1)
    assert months_before(date(2024, 2, 29), 12) == date(2023, 2, 28)


@pytest.mark.parametrize(
    ("earlier", "repeat"),
    [
        (YEAR_AGO, True),  # exactly 12 months before: inside the window
        (YEAR_AGO + timedelta(minutes=1), True),
        (YEAR_AGO - timedelta(minutes=1), False),  # just over 12 months: a new victim again
        (NOW - timedelta(days=2), True),
    ],
)
def test_repeat_victim_window_edges(log_incident, earlier, repeat):
    first = log_incident(received_at=earlier)
    victim = victim_of(first)
    assert person_flags([victim.pk], at=NOW)[victim.pk].repeat_victim is repeat


def test_repeat_victim_window_is_configuration(log_incident, settings):
    settings.DAPOLICE_REPEAT_VICTIM_MONTHS = 6
    victim = victim_of(log_incident(received_at=NOW - timedelta(days=200)))
    assert person_flags([victim.pk], at=NOW)[victim.pk].repeat_victim is False


def test_being_a_suspect_before_does_not_make_a_repeat_victim(log_incident):
    incident = log_incident(received_at=NOW - timedelta(days=30), suspect={"family_name": "Roe"})
    suspect = suspect_of(incident)
    flags = person_flags([suspect.pk], at=NOW)[suspect.pk]
    assert flags.repeat_victim is False
    assert flags.known_perpetrator is True


def test_an_incidents_own_people_are_flagged_as_of_the_call(log_incident):
    first = log_incident(received_at=NOW - timedelta(days=400))
    victim = victim_of(first)
    second = log_incident(victim=victim, received_at=NOW - timedelta(days=10))
    # Counting the second call itself would make everyone a repeat victim.
    flags = person_flags([victim.pk], at=second.received_at, exclude_incident_id=second.pk)
    assert flags[victim.pk].repeat_victim is False


def test_serial_perpetrator_needs_two_different_victims(log_incident):
    first = log_incident(
        victim={"given_name": "Ann", "family_name": "One"},
        suspect={"given_name": "Pat", "family_name": "Cruel"},
        received_at=NOW - timedelta(days=30),
    )
    pat = suspect_of(first)
    ann = victim_of(first)
    log_incident(victim=ann, suspect=pat, received_at=NOW - timedelta(days=20))  # same victim
    flags = person_flags([pat.pk], at=NOW + timedelta(days=1))[pat.pk]
    assert (flags.known_perpetrator, flags.serial_perpetrator, flags.victim_count) == (
        True,
        False,
        1,
    )
    log_incident(
        victim={"given_name": "Bea", "family_name": "Two"},
        suspect=pat,
        received_at=NOW - timedelta(days=10),
    )
    flags = person_flags([pat.pk], at=NOW + timedelta(days=1))[pat.pk]
    assert (flags.serial_perpetrator, flags.victim_count) == (True, 2)


def test_serial_perpetrator_counts_victims_not_incidents(log_incident):
    # Two calls against Ann and one against Bea: two victims (not three incidents), so serial.
    pat_and_ann = log_incident(
        victim={"given_name": "Ann", "family_name": "One"},
        suspect={"given_name": "Pat", "family_name": "Cruel"},
        received_at=NOW - timedelta(days=30),
    )
    pat, ann = suspect_of(pat_and_ann), victim_of(pat_and_ann)
    log_incident(victim=ann, suspect=pat, received_at=NOW - timedelta(days=20))
    log_incident(
        victim={"given_name": "Bea", "family_name": "Two"},
        suspect=pat,
        received_at=NOW - timedelta(days=10),
    )
    flags = person_flags([pat.pk], at=NOW)[pat.pk]
    assert (flags.serial_perpetrator, flags.victim_count) == (True, 2)


@pytest.mark.parametrize(("threshold", "serial"), [(2, True), (3, False)])
def test_serial_perpetrator_threshold_is_configuration(log_incident, settings, threshold, serial):
    settings.DAPOLICE_SERIAL_PERPETRATOR_VICTIMS = threshold
    first = log_incident(suspect={"given_name": "Pat", "family_name": "Cruel"})
    pat = suspect_of(first)
    log_incident(victim={"given_name": "Bea", "family_name": "Two"}, suspect=pat)
    flags = person_flags([pat.pk])[pat.pk]
    assert (flags.serial_perpetrator, flags.victim_count) == (serial, 2)


def test_highest_risk_and_incident_count_in_the_last_12_months(log_incident, call_taker):
    old = log_incident(received_at=NOW - timedelta(days=500))
    victim = victim_of(old)
    services.incident_set_risk_level(actor=call_taker, incident=old, level=RiskLevel.HIGH)
    recent = log_incident(victim=victim, received_at=NOW - timedelta(days=20))
    services.incident_set_risk_level(actor=call_taker, incident=recent, level=RiskLevel.MEDIUM)
    flags = person_flags([victim.pk], at=NOW)[victim.pk]
    assert flags.recent_incidents == 1
    assert flags.highest_risk == RiskLevel.MEDIUM  # the high one is older than 12 months


def test_markers_on_the_person_and_their_address_are_shown(log_incident, call_taker, make_user):
    incident = log_incident(
        victim={"given_name": "Val", "family_name": "Hope", "lives_at_location": True}
    )
    victim = victim_of(incident)
    supervisor = make_user("control_supervisor")
    services.marker_add(actor=supervisor, kind=MarkerKind.TREAT_AS_EMERGENCY, person=victim)
    services.marker_add(
        actor=supervisor, kind=MarkerKind.FIREARM_CERTIFICATE, address=incident.location
    )
    kinds = {m.kind for m in person_flags([victim.pk])[victim.pk].markers}
    assert kinds == {MarkerKind.TREAT_AS_EMERGENCY, MarkerKind.FIREARM_CERTIFICATE}


def test_flags_for_many_people_take_a_constant_number_of_queries(
    log_incident, django_assert_max_num_queries
):
    def victim_logged(days_ago: int) -> int:
        return victim_of(log_incident(received_at=NOW - timedelta(days=days_ago))).pk

    # Calls inside the window (before NOW), so the budget is measured over rows it must read.
    ids = [victim_logged(days) for days in (1, 2, 3)]
    with django_assert_max_num_queries(4):
        flags = person_flags(ids[:1], at=NOW)
    assert flags[ids[0]].recent_incidents == 1
    ids += [victim_logged(days) for days in range(4, 14)]
    with django_assert_max_num_queries(4):
        flags = person_flags(ids, at=NOW)
    assert [flags[pk].recent_incidents for pk in ids] == [1] * len(ids)


def test_victims_of_incidents_before_the_window_count_and_flags_take_two_queries(
    log_incident, django_assert_num_queries
):
    # Serial against Ann three years ago and Bea last month: the history window is 12 months,
    # "known" and "serial" are for ever; Ann's own flags as of now come in the same two queries.
    old = log_incident(
        victim={"given_name": "Ann", "family_name": "One"},
        suspect={"given_name": "Pat", "family_name": "Cruel"},
        received_at=NOW - timedelta(days=3 * 365),
    )
    pat, ann = suspect_of(old), victim_of(old)
    log_incident(
        victim={"given_name": "Bea", "family_name": "Two"},
        suspect=pat,
        received_at=NOW - timedelta(days=30),
    )
    homes = {pat.pk: pat.address_id, ann.pk: ann.address_id}
    with django_assert_num_queries(2):
        flags = person_flags([pat.pk, ann.pk], at=NOW, address_ids=homes)
    assert (flags[pat.pk].serial_perpetrator, flags[pat.pk].victim_count) == (True, 2)
    assert flags[pat.pk].recent_incidents == 1
    assert (flags[ann.pk].known_perpetrator, flags[ann.pk].recent_incidents) == (False, 0)


def test_no_one_to_flag_reads_nothing(django_assert_num_queries, db):
    with django_assert_num_queries(0):
        assert person_flags([]) == {}


def test_a_repeat_window_longer_than_the_history_window_still_counts(log_incident, settings):
    settings.DAPOLICE_REPEAT_VICTIM_MONTHS = 24
    victim = victim_of(log_incident(received_at=NOW - timedelta(days=500)))
    flags = person_flags([victim.pk], at=NOW)[victim.pk]
    assert (flags.repeat_victim, flags.recent_incidents) == (True, 0)


def test_a_history_window_longer_than_the_repeat_window_still_counts(log_incident, settings):
    settings.DAPOLICE_REPEAT_VICTIM_MONTHS = 6
    victim = victim_of(log_incident(received_at=NOW - timedelta(days=200)))
    flags = person_flags([victim.pk], at=NOW)[victim.pk]
    assert (flags.repeat_victim, flags.recent_incidents) == (False, 1)


def test_a_record_on_its_own_needs_two_victim_incidents_and_counts_one_at_the_moment(
    log_incident,
):
    first = log_incident(received_at=NOW - timedelta(days=40))
    victim = victim_of(first)
    flags = person_flags([victim.pk], at=first.received_at, new_call=False)[victim.pk]
    assert (flags.repeat_victim, flags.recent_incidents) == (False, 1)
    assert flags.recent_roles == {"victim"}
    log_incident(victim=victim, received_at=NOW - timedelta(days=10))
    assert person_flags([victim.pk], at=NOW, new_call=False)[victim.pk].repeat_victim is True
    # Not yet on the record as of the first call: the second is after it.
    later = person_flags([victim.pk], at=first.received_at, new_call=False)[victim.pk]
    assert later.recent_incidents == 1


def test_markers_are_in_kind_order_and_only_active_ones(log_incident, call_taker):
    incident = log_incident(
        victim={"given_name": "Val", "family_name": "Hope", "lives_at_location": True}
    )
    victim = victim_of(incident)
    weapons = services.marker_add(actor=call_taker, kind=MarkerKind.WEAPONS, person=victim)
    children = services.marker_add(
        actor=call_taker, kind=MarkerKind.CHILDREN_AT_ADDRESS, address=incident.location
    )
    gone = services.marker_add(actor=call_taker, kind=MarkerKind.VIOLENCE, person=victim)
    Marker.objects.filter(pk=gone.pk).update(active=False)
    flags = person_flags([victim.pk])[victim.pk]
    assert flags.markers == [children, weapons]
    given = person_flags([victim.pk], address_ids={victim.pk: None})[victim.pk]
    assert given.markers == [weapons]


def test_flags_carry_the_history_window_in_months(log_incident, settings):
    settings.DAPOLICE_MATCH_HISTORY_MONTHS = 18
    victim = victim_of(log_incident(received_at=NOW - timedelta(days=2)))
    assert person_flags([victim.pk], at=NOW)[victim.pk].history_months == 18


def test_recent_incidents_are_counted_one_by_one(log_incident):
    victim = victim_of(log_incident(received_at=NOW - timedelta(days=20)))
    log_incident(victim=victim, received_at=NOW - timedelta(days=10))
    assert person_flags([victim.pk], at=NOW)[victim.pk].recent_incidents == 2
