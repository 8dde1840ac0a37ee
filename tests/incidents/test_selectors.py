"""The call-intake selectors called directly (no page): what each returns, and its audit row.

Pages check a role and shape what they show, so a selector that returned one row too many (a
refuge's address, another incident's call) could pass every page test. These pin the selectors
themselves; ``make mutate MODULE=incidents/selectors.py`` runs against them (with the flags and
visibility tests) in seconds a mutant.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dapolice.accounts.choices import Role
from dapolice.alerts.choices import Severity
from dapolice.audit.models import AuditEvent
from incidents import selectors, services
from incidents.choices import (
    ATTENDANCE_BREACH,
    ATTENDANCE_ESCALATION,
    ATTENDANCE_WARNING,
    SAFETY_MARKERS,
    MarkerKind,
)
from incidents.inputs import AddressInput
from incidents.matching.engine import MatchQuery, match_persons
from incidents.models import DutyInspectorShift, Marker
from tests.incidents.helpers import suspect_of, victim_of

ELSEWHERE = AddressInput(house="3", street="Elm Row", town="Norwich", postcode="NR2 4PQ")
ELSEWHERE_2 = AddressInput(house="8", street="Oak Lane", town="Norwich", postcode="NR3 1AA")

pytestmark = pytest.mark.django_db


def test_address_lookup_finds_the_address_on_record_and_audits_the_search(log_incident, call_taker):
    incident = log_incident()  # 12 Mill Road, NR1 2AB
    found = selectors.address_lookup(user=call_taker, postcode="nr12ab", house="12")
    assert found == incident.location
    audit = AuditEvent.objects.filter(action="incidents.address.looked_up").get()
    assert (audit.kind, audit.object_ids) == (AuditEvent.Kind.SEARCH, [str(found.pk)])


def test_address_lookup_never_finds_a_restricted_address(log_incident, call_taker, make_user):
    incident = log_incident()
    services.address_mark_restricted(
        actor=make_user(Role.MASH), address=incident.location, reason="Refuge placement"
    )
    assert selectors.address_lookup(user=call_taker, postcode="NR1 2AB", house="12") is None
    assert not AuditEvent.objects.filter(action="incidents.address.looked_up").exists()


def test_address_lookup_needs_both_house_and_postcode(log_incident, call_taker):
    log_incident()
    assert selectors.address_lookup(user=call_taker, postcode="NR1 2AB", house="") is None
    assert selectors.address_lookup(user=call_taker, postcode="", house="12") is None


def _refuge(log_incident, make_user):
    """An incident at an address then restricted (a refuge placement)."""
    incident = log_incident()
    services.address_mark_restricted(
        actor=make_user(Role.MASH), address=incident.location, reason="Refuge placement"
    )
    incident.location.refresh_from_db()
    return incident


def test_address_for_reveal_gives_a_restricted_address_and_audits_any_other_id(
    log_incident, make_user
):
    sergeant = make_user(Role.SUPERVISOR)
    refuge = _refuge(log_incident, make_user).location
    ordinary = log_incident(location=ELSEWHERE).location
    assert selectors.address_for_reveal(user=sergeant, pk=refuge.pk) == refuge
    assert not AuditEvent.objects.filter(action="incidents.address.reveal_refused").exists()
    assert selectors.address_for_reveal(user=sergeant, pk=ordinary.pk) is None
    refused = AuditEvent.objects.get(action="incidents.address.reveal_refused")
    assert (refused.subject_type, refused.subject_id) == ("incidents.address", str(ordinary.pk))
    assert selectors.address_for_reveal(user=sergeant, pk=10**9) is None
    assert AuditEvent.objects.filter(action="incidents.address.reveal_refused").count() == 2


def test_address_revealed_while_the_reveal_lasts_and_only_to_its_revealer(log_incident, make_user):
    sergeant, other = make_user(Role.SUPERVISOR), make_user(Role.SUPERVISOR)
    incident = _refuge(log_incident, make_user)
    refuge = incident.location
    assert selectors.address_revealed(user=sergeant, incident=incident, pk=refuge.pk) is None
    services.address_reveal(
        actor=sergeant, incident=incident, address=refuge, reason="Welfare visit arranged"
    )
    shown = selectors.address_revealed(user=sergeant, incident=incident, pk=refuge.pk)
    assert shown is not None
    assert shown[0] == refuge
    assert AuditEvent.objects.filter(
        action="incidents.address.revealed_viewed", actor=sergeant, subject_id=str(refuge.pk)
    ).exists()
    assert selectors.address_revealed(user=other, incident=incident, pk=refuge.pk) is None


def test_attendance_alerts_warning_breach_and_escalation(log_incident, settings, make_user):
    settings.DAPOLICE_ATTENDANCE_WARNING_MINUTES = 7
    settings.DAPOLICE_DUTY_INSPECTOR_ROLE = Role.SUPERVISOR
    incident = log_incident(category="B")
    link = reverse("incidents:detail", args=[incident.pk])
    (warning,) = selectors.attendance_alerts(incident_id=incident.pk, kind=ATTENDANCE_WARNING)
    assert (warning.title, warning.recipient_role, warning.severity) == (
        f"{incident.reference}: attendance due in 7 minutes",
        Role.CONTROL_SUPERVISOR,
        Severity.WARNING,
    )
    assert warning.link == link
    (breach,) = selectors.attendance_alerts(incident_id=incident.pk, kind=ATTENDANCE_BREACH)
    assert (breach.title, breach.recipient_role, breach.severity) == (
        f"{incident.reference}: attendance deadline passed, not attended",
        Role.CONTROL_SUPERVISOR,
        Severity.URGENT,
    )
    (escalated,) = selectors.attendance_alerts(incident_id=incident.pk, kind=ATTENDANCE_ESCALATION)
    assert (escalated.title, escalated.recipient_role, escalated.severity) == (
        f"{incident.reference}: still not attended, escalated to the duty inspector",
        Role.SUPERVISOR,
        Severity.URGENT,
    )
    assert escalated.link == link
    assert escalated.recipient_id is None
    services.incident_record_arrival(actor=make_user(Role.CONTROL_SUPERVISOR), incident=incident)
    assert selectors.attendance_alerts(incident_id=incident.pk, kind=ATTENDANCE_BREACH) == []


def test_incident_detail_flags_its_people_as_of_the_call_with_markers_and_history(
    log_incident, call_taker, make_user
):
    first = log_incident(
        received_at=timezone.now() - timedelta(days=30),
        suspect={"given_name": "Pat", "family_name": "Cruel"},
    )
    victim = victim_of(first)
    second = log_incident(victim=victim, suspect=suspect_of(first))
    services.marker_add(actor=call_taker, kind=MarkerKind.WEAPONS, address=second.location)
    gone = services.marker_add(actor=call_taker, kind=MarkerKind.VIOLENCE, address=second.location)
    Marker.objects.filter(pk=gone.pk).update(active=False)
    reader = make_user(Role.SUPERVISOR)
    detail = selectors.incident_detail(user=reader, incident=second)
    assert [(p.role, p.person_id) for p in detail.people] == sorted(
        (p.role, p.person_id) for p in second.people.all()
    )
    # This call is not counted twice: one earlier victim incident plus this call is a repeat.
    assert detail.flags[victim.pk].repeat_victim is True
    assert detail.flags[victim.pk].recent_incidents == 1
    assert detail.flags[suspect_of(first).pk].victim_count == 1
    assert [m.kind for m in detail.location_markers] == [MarkerKind.WEAPONS]
    assert [e.action for e in detail.history][:1] == ["incidents.incident.created"]
    assert {e.subject_id for e in detail.history} == {str(second.pk)}
    listed = AuditEvent.objects.filter(action="incidents.person.listed", actor=reader).get()
    assert sorted(listed.object_ids) == sorted(str(p.person_id) for p in detail.people)


def test_custody_events_and_suspects_are_the_incidents_own(log_incident, make_user):
    officer = make_user(Role.ATTENDING_OFFICER)
    one = log_incident(suspect={"given_name": "Sam", "family_name": "Suspectson"})
    two = log_incident(location=ELSEWHERE, suspect={"given_name": "Al", "family_name": "Other"})
    sam, al = suspect_of(one), suspect_of(two)
    assert selectors.incident_suspects(incident=one) == [sam]
    event = services.custody_event_record(
        actor=officer, incident=one, suspect=sam, kind="bail_granted"
    )
    elsewhere = services.custody_event_record(
        actor=officer, incident=two, suspect=al, kind="bail_granted"
    )
    assert selectors.custody_events_for(user=officer, incident=one) == [event]
    got = selectors.custody_event_get_for_user(user=officer, incident=one, pk=event.pk)
    assert got == event
    with pytest.raises(Http404):
        selectors.custody_event_get_for_user(user=officer, incident=one, pk=elsewhere.pk)


def test_inspector_rota_lists_shifts_ended_within_the_week_in_order(make_user):
    sergeant, inspector = make_user(Role.SUPERVISOR), make_user(Role.SUPERVISOR)
    now = timezone.now()
    week = timedelta(days=7)

    def shift(starts_at, ends_at):
        return DutyInspectorShift.objects.create(
            user=inspector, starts_at=starts_at, ends_at=ends_at, created_by=sergeant
        )

    old = shift(now - week - timedelta(hours=9), now - week)  # ended exactly a week ago
    later = shift(now + timedelta(hours=2), now + timedelta(hours=10))
    recent = shift(now - week - timedelta(hours=8), now - week + timedelta(seconds=1))
    assert old.pk
    assert selectors.inspector_rota(user=sergeant, now=now) == [recent, later]
    listed = AuditEvent.objects.get(action="incidents.inspector_shift.listed")
    assert listed.object_ids == [str(recent.pk), str(later.pk)]
    assert selectors.inspector_shift_get(pk=later.pk) == later
    with pytest.raises(Http404):
        selectors.inspector_shift_get(pk=10**9)


def test_incident_ids_excluded_for_a_user_on_a_must_not_see_list(log_incident, make_user):
    officer, supervisor = make_user(Role.ATTENDING_OFFICER), make_user(Role.SUPERVISOR)
    named = log_incident()
    through_person = log_incident(
        location=ELSEWHERE, victim={"given_name": "Liz", "family_name": "Kin"}
    )
    other = log_incident(location=ELSEWHERE, victim={"given_name": "Bo", "family_name": "Free"})
    services.exclusion_add(actor=supervisor, user=officer, reason="Related", incident=named)
    services.exclusion_add(
        actor=supervisor, user=officer, reason="Neighbour", person=victim_of(through_person)
    )
    excluded = set(selectors.incident_ids_excluded_for(officer).values_list("pk", flat=True))
    assert excluded == {named.pk, through_person.pk}
    assert other.pk not in excluded
    assert not selectors.incident_ids_excluded_for(supervisor).exists()


def test_incident_calls_are_the_incidents_own_in_the_order_taken(log_incident, call_taker):
    one, two = log_incident(), log_incident(location=ELSEWHERE)

    def call(incident, note):
        return services.incident_add_call(
            actor=call_taker, incident=incident, note=note, idempotency_key=uuid.uuid4()
        )

    first, _other, second = call(one, "First"), call(two, "Other"), call(one, "Second")
    assert selectors.incident_calls(user=call_taker, incident=one) == [first, second]


def test_incident_board_is_open_incidents_nearest_deadline_first_up_to_the_limit(
    log_incident, call_taker, settings
):
    slow = log_incident(category="C")
    fast = log_incident(location=ELSEWHERE, category="A")
    closed = log_incident(location=ELSEWHERE_2, category="A")
    services.incident_record_arrival(actor=call_taker, incident=closed)
    assert selectors.incident_board(user=call_taker) == [fast, slow]
    assert selectors.incident_board(user=call_taker, limit=1) == [fast]
    settings.DAPOLICE_BOARD_LIMIT = 1
    assert selectors.incident_board(user=call_taker) == [fast]
    board = AuditEvent.objects.filter(action="incidents.incident.board_viewed").latest("pk")
    assert board.object_ids == [str(fast.pk)]


def test_person_match_rows_with_flags_phones_and_residents_all_audited(log_incident, call_taker):
    first = log_incident(
        victim={"given_name": "Elizabeth", "family_name": "Jones", "phones": ("07700 900789",)},
        received_at=timezone.now() - timedelta(days=50),
        suspect={"given_name": "Ron", "family_name": "Jones"},
    )
    liz, ron = victim_of(first), suspect_of(first)
    query = MatchQuery(given_name="Elizabeth", family_name="Jones", postcode="NR1 2AB", house="12")
    found = selectors.person_match(user=call_taker, query=query, with_names_and_phones=True)
    top, (engine, *_) = found.rows[0], match_persons(query, limit=5)
    assert top.person == liz
    assert (top.score, top.flagged, top.reasons) == (engine.score, engine.flagged, engine.reasons)
    assert top.flags.repeat_victim is True
    assert top.phones == ("+447700900789",)
    assert ("Elizabeth", "Jones", True) in top.names
    shown = {r.person.pk for r in found.rows}
    assert (found.address, found.residents) == (None, [])  # nobody has it as their address
    matched = AuditEvent.objects.get(action="incidents.person.matched")
    assert matched.kind == AuditEvent.Kind.SEARCH
    assert sorted(matched.object_ids) == sorted(
        str(pk) for pk in [*shown, *(p.pk for p in found.residents)]
    )
    assert matched.changes == {"shown_at_address": [None, [p.pk for p in found.residents]]}
    plain = selectors.person_match(user=call_taker, query=query)
    assert plain.rows[0].phones == ()
    assert ron.pk not in {r.person.pk for r in plain.rows[:1]}


def test_person_match_at_a_refuge_lists_nobody_there_and_audits_the_typing(
    log_incident, call_taker, make_user
):
    incident = _refuge(log_incident, make_user)
    query = MatchQuery(given_name="Vic", family_name="Timson", postcode="NR1 2AB", house="12")
    found = selectors.person_match(user=call_taker, query=query)
    assert (found.address, found.residents) == (None, [])
    typed = AuditEvent.objects.get(action="incidents.address.restricted_typed")
    assert typed.subject_id == str(incident.location.pk)
    assert typed.changes == {"sensitive": [None, True], "where": [None, "match"]}


def test_reveal_queue_is_other_peoples_unreviewed_reveals_oldest_first(log_incident, make_user):
    sergeant, reviewer = make_user(Role.SUPERVISOR), make_user(Role.SUPERVISOR)
    incident = _refuge(log_incident, make_user)
    services.address_reveal(
        actor=sergeant, incident=incident, address=incident.location, reason="Welfare visit"
    )
    services.address_reveal(
        actor=reviewer, incident=incident, address=incident.location, reason="Own reveal"
    )
    (reveal,) = selectors.reveal_queue(user=reviewer)
    assert reveal.revealed_by == sergeant
    assert selectors.reveal_get_for_user(user=reviewer, pk=reveal.pk) == reveal
    services.reveal_review(actor=reviewer, reveal=reveal, outcome="justified", note="")
    assert selectors.reveal_queue(user=reviewer) == []


def test_address_lookup_needs_the_same_house_and_the_same_postcode(log_incident, call_taker):
    log_incident(location=AddressInput(house="12", street="Elm Row", postcode="NR2 4PQ"))
    log_incident(location=AddressInput(house="14", street="Mill Road", postcode="NR1 2AB"))
    log_incident(location=AddressInput(house="", street="Mill Road", postcode="NR1 2AB"))
    home = log_incident().location  # 12 Mill Road, NR1 2AB: the newest of the four
    assert selectors.address_lookup(user=call_taker, postcode="NR1 2AB", house="12") == home
    assert selectors.address_lookup(user=call_taker, postcode="NR1 2AB", house="") is None
    assert selectors.address_lookup(user=call_taker, postcode="NR1 2AB", house="13") is None
    assert selectors.address_lookup(user=call_taker, postcode="NR9 9ZZ", house="12") is None


def test_incident_ids_attached_to_nobody_are_not_an_officers(log_incident, make_user):
    log_incident()  # nobody dispatched: no attending officer
    officer = make_user(Role.ATTENDING_OFFICER)
    assert not selectors.incident_ids_attached_to(officer).exists()


def test_person_match_shows_five_by_default_and_reads_phones_with_the_persons(
    log_incident, call_taker
):
    for n in range(6):
        log_incident(
            location=AddressInput(house=str(n + 1), street="Elm Row", postcode="NR2 4PQ"),
            victim={"given_name": "Ann", "family_name": "Jones", "phones": (f"07700 90010{n}",)},
        )
    query = MatchQuery(given_name="Ann", family_name="Jones")
    assert len(selectors.person_match(user=call_taker, query=query).rows) == 5
    assert len(selectors.person_match(user=call_taker, query=query, limit=6).rows) == 6
    with CaptureQueriesContext(connection) as queries:
        rows = selectors.person_match(user=call_taker, query=query, with_names_and_phones=True)
    assert all(r.phones for r in rows.rows)
    # On PostgreSQL the phones come in the persons' own query (an array subquery).
    reads = [q["sql"] for q in queries.captured_queries if "incidents_personphone" in q["sql"]]
    assert len(reads) == 1
    assert "ARRAY" in reads[0].upper()


def test_person_match_lists_a_match_living_at_the_address_as_a_match_only(log_incident, call_taker):
    resident = {"given_name": "Liz", "family_name": "Jones", "lives_at_location": True}
    other = {"given_name": "Bob", "family_name": "Smith", "lives_at_location": True}
    incident = log_incident(victim=resident, suspect=other)
    liz, bob = victim_of(incident), suspect_of(incident)
    query = MatchQuery(given_name="Liz", family_name="Jones", postcode="NR1 2AB", house="12")
    found = selectors.person_match(user=call_taker, query=query)
    assert liz in [r.person for r in found.rows]
    assert bob in found.residents
    assert liz not in found.residents
    assert found.address == incident.location


def test_incident_open_for_the_typed_address_or_the_linked_people_nearest_deadline_first(
    log_incident, call_taker, make_user
):
    slow = log_incident(category="C")  # 12 Mill Road, NR1 2AB
    linked = log_incident(location=ELSEWHERE, category="A")
    log_incident(location=AddressInput(house="12", street="Elm Row", postcode="NR2 4PQ"))
    log_incident(location=AddressInput(house="14", street="Mill Road", postcode="NR1 2AB"))
    log_incident(location=ELSEWHERE_2)
    found = selectors.incident_open_for(
        user=call_taker, postcode="NR1 2AB", house="12", person_ids=[victim_of(linked).pk]
    )
    assert found == [linked, slow]
    search = AuditEvent.objects.get(action="incidents.incident.open_matched")
    assert search.kind == AuditEvent.Kind.SEARCH
    assert search.object_ids == [str(linked.pk), str(slow.pk)]


def test_incident_open_for_never_matches_a_refuge_or_a_postcode_alone(
    log_incident, call_taker, make_user
):
    _refuge(log_incident, make_user)  # 12 Mill Road, NR1 2AB, restricted
    log_incident(location=AddressInput(house="", street="Mill Road", postcode="NR1 2AB"))
    assert (
        selectors.incident_open_for(user=call_taker, postcode="NR1 2AB", house="12", person_ids=[])
        == []
    )
    assert (
        selectors.incident_open_for(user=call_taker, postcode="NR1 2AB", house="", person_ids=[])
        == []
    )


def test_people_at_address_by_family_then_given_name_with_markers_by_kind(log_incident, call_taker):
    incident = log_incident(
        victim={"given_name": "Cy", "family_name": "Smith", "lives_at_location": True},
        suspect={"given_name": "Al", "family_name": "Zed", "lives_at_location": True},
    )
    log_incident(
        location=AddressInput(house="12", street="Elm Row", postcode="NR2 4PQ"),
        victim={"given_name": "Di", "family_name": "Apart", "lives_at_location": True},
    )
    log_incident(
        location=AddressInput(house="", street="Mill Road", postcode="NR1 2AB"),
        victim={"given_name": "Ed", "family_name": "Nohouse", "lives_at_location": True},
    )
    bob = log_incident(
        victim={"given_name": "Bob", "family_name": "Smith", "lives_at_location": True}
    )
    weapons = services.marker_add(
        actor=call_taker, kind=MarkerKind.WEAPONS, address=incident.location
    )
    children = services.marker_add(
        actor=call_taker, kind=MarkerKind.CHILDREN_AT_ADDRESS, address=incident.location
    )
    found = selectors.people_at_address(user=call_taker, postcode="NR1 2AB", house="12")
    names = [(p.family_name, p.given_name) for p in found.residents]
    assert names == [("Smith", "Bob"), ("Smith", "Cy"), ("Zed", "Al")]
    assert victim_of(bob) in found.residents
    assert found.markers == [children, weapons]
    assert selectors.people_at_address(user=call_taker, postcode="NR1 2AB", house="") == (
        selectors.AtAddress()
    )
    query = MatchQuery(given_name="Zoe", family_name="Quill", postcode="NR1 2AB", house="12")
    assert selectors.person_match(user=call_taker, query=query).address_markers == [
        children,
        weapons,
    ]


def test_person_list_is_audited_as_a_list_read_of_the_persons_shown(log_incident, call_taker):
    incident = log_incident(suspect={"given_name": "Al", "family_name": "Zed"})
    ids = [victim_of(incident).pk, suspect_of(incident).pk]
    persons = selectors.person_list(user=call_taker, ids=[*ids, 10**9])
    assert [p.pk for p in persons] == sorted(ids)
    listed = AuditEvent.objects.get(action="incidents.person.listed", actor=call_taker)
    assert listed.object_ids == [str(pk) for pk in sorted(ids)]


def test_incident_detail_flags_as_of_its_own_call_not_of_today(log_incident, make_user):
    now = timezone.now()
    first = log_incident(received_at=now - timedelta(days=60))
    victim = victim_of(first)
    middle = log_incident(victim=victim, received_at=now - timedelta(days=30))
    log_incident(victim=victim)  # after the middle call: not known when it came in
    detail = selectors.incident_detail(user=make_user(Role.SUPERVISOR), incident=middle)
    assert detail.flags[victim.pk].recent_incidents == 1


def test_person_get_for_user_reads_the_one_asked_for_and_audits_it(log_incident, call_taker):
    incident = log_incident(suspect={"given_name": "Al", "family_name": "Zed"})
    al = suspect_of(incident)
    assert selectors.person_get_for_user(user=call_taker, pk=al.pk) == al
    read = AuditEvent.objects.get(action="incidents.person.read")
    assert read.subject_id == str(al.pk)


def test_address_revealed_is_the_address_asked_for_and_ends_with_its_restriction(
    log_incident, make_user
):
    sergeant, mash = make_user(Role.SUPERVISOR), make_user(Role.MASH)
    other = _refuge(log_incident, make_user)
    services.address_reveal(
        actor=sergeant, incident=other, address=other.location, reason="Welfare visit"
    )
    incident = log_incident(location=ELSEWHERE)
    services.address_mark_restricted(actor=mash, address=incident.location, reason="Refuge")
    incident.location.refresh_from_db()
    services.address_reveal(
        actor=sergeant, incident=incident, address=incident.location, reason="Welfare visit"
    )
    shown = selectors.address_revealed(user=sergeant, incident=incident, pk=incident.location.pk)
    assert shown is not None
    assert shown[0] == incident.location
    services.address_unrestrict(actor=mash, address=incident.location, reason="Moved on")
    assert (
        selectors.address_revealed(user=sergeant, incident=incident, pk=incident.location.pk)
        is None
    )


def test_duty_inspector_the_shift_that_started_last_then_the_newest(make_user):
    sergeant = make_user(Role.SUPERVISOR)
    incoming, outgoing, newest = (make_user(Role.SUPERVISOR) for _ in range(3))
    now = timezone.now()

    def shift(user, starts_at):
        DutyInspectorShift.objects.create(
            user=user, starts_at=starts_at, ends_at=now + timedelta(hours=4), created_by=sergeant
        )

    shift(incoming, now - timedelta(minutes=10))  # added first, started last
    shift(outgoing, now - timedelta(hours=8))
    assert selectors.duty_inspector_at(now) == incoming.pk
    shift(newest, now - timedelta(minutes=10))  # the same start, added later
    assert selectors.duty_inspector_at(now) == newest.pk


def test_address_get_for_user_the_one_asked_for_restricted_only_when_asked(log_incident, make_user):
    sergeant = make_user(Role.SUPERVISOR)
    ordinary = log_incident(location=ELSEWHERE).location
    refuge = _refuge(log_incident, make_user).location
    got = selectors.address_get_for_user(user=sergeant, pk=refuge.pk, restricted_only=True)
    assert got == refuge
    assert selectors.address_get_for_user(user=sergeant, pk=ordinary.pk) == ordinary
    reads = AuditEvent.objects.filter(action="incidents.address.read").order_by("pk")
    assert [e.subject_id for e in reads] == [str(refuge.pk), str(ordinary.pk)]


def test_reveal_queue_oldest_reveal_first_and_audited(log_incident, make_user):
    first_by, second_by, reviewer = (make_user(Role.SUPERVISOR) for _ in range(3))
    incident = _refuge(log_incident, make_user)
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        services.address_reveal(
            actor=first_by, incident=incident, address=incident.location, reason="Welfare visit"
        )
    with time_machine.travel(now - timedelta(hours=1), tick=False):
        services.address_reveal(
            actor=second_by, incident=incident, address=incident.location, reason="Earlier visit"
        )
    queue = selectors.reveal_queue(user=reviewer)
    assert [r.revealed_by for r in queue] == [second_by, first_by]
    listed = AuditEvent.objects.get(action="incidents.reveal.listed", actor=reviewer)
    assert listed.object_ids == [str(r.pk) for r in queue]


def test_escalation_to_the_inspector_on_duty_links_to_the_incident(log_incident, make_user):
    inspector = make_user(Role.SUPERVISOR)
    now = timezone.now()
    DutyInspectorShift.objects.create(
        user=inspector,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=8),
        created_by=make_user(Role.SUPERVISOR),
    )
    incident = log_incident(category="B")
    (escalated,) = selectors.attendance_alerts(incident_id=incident.pk, kind=ATTENDANCE_ESCALATION)
    assert (escalated.recipient_id, escalated.severity) == (inspector.pk, Severity.URGENT)
    assert escalated.link == reverse("incidents:detail", args=[incident.pk])


def test_incident_get_for_user_is_audited_as_a_read(log_incident, call_taker):
    incident = log_incident()
    assert selectors.incident_get_for_user(user=call_taker, pk=incident.pk) == incident
    read = AuditEvent.objects.get(action="incidents.incident.read")
    assert read.subject_id == str(incident.pk)


def test_incident_queryset_newest_call_first_with_the_api_filters_by_default(
    log_incident, call_taker
):
    now = timezone.now()
    newer = log_incident()
    older = log_incident(location=ELSEWHERE, received_at=now - timedelta(days=1))
    assert list(selectors.incident_queryset(user=call_taker)) == [newer, older]
    # The API's filter takes a moment (UTC ISO 8601); the list page's a day.
    since = {"received_after": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert list(selectors.incident_queryset(user=call_taker, filters=since)) == [newer]


def test_incident_queryset_sorted_for_the_list_page(log_incident, call_taker):
    now = timezone.now()
    newer = log_incident()
    older = log_incident(location=ELSEWHERE, received_at=now - timedelta(days=1))
    oldest_first = selectors.incident_queryset(
        user=call_taker, filters={"sort": "received"}, for_list_page=True
    )
    assert list(oldest_first) == [older, newer]


def test_incident_list_audits_the_names_of_the_filters_used(log_incident, call_taker):
    log_incident()
    filters = {"category": "B", "risk_level": "", "page": "1"}
    selectors.incident_list(user=call_taker, filters=filters)
    listed = AuditEvent.objects.filter(action="incidents.incident.listed").latest("pk")
    assert listed.changes == {"filters": [None, ["category"]]}


def test_incident_list_unfiltered_is_a_list_read_with_no_filters_noted(log_incident, call_taker):
    incident = log_incident()
    page = selectors.incident_list(user=call_taker)
    assert list(page) == [incident]
    listed = AuditEvent.objects.filter(action="incidents.incident.listed").latest("pk")
    assert listed.kind == AuditEvent.Kind.LIST
    assert not listed.changes
    selectors.incident_list(user=call_taker, search="Timson")
    searched = AuditEvent.objects.filter(action="incidents.incident.listed").latest("pk")
    assert searched.kind == AuditEvent.Kind.SEARCH
    assert searched.changes == {"filters": [None, ["search"]]}


def test_one_record_getters_read_the_one_asked_for_and_audit_it(log_incident, make_user):
    sergeant, reviewer = make_user(Role.SUPERVISOR), make_user(Role.SUPERVISOR)
    log_incident(location=ELSEWHERE)
    incident = _refuge(log_incident, make_user)
    services.address_reveal(
        actor=sergeant, incident=incident, address=incident.location, reason="Welfare visit"
    )
    assert selectors.incident_get_for_user(user=sergeant, pk=incident.pk) == incident
    (reveal,) = selectors.reveal_queue(user=reviewer)
    assert selectors.reveal_get_for_user(user=reviewer, pk=reveal.pk) == reveal
    read = AuditEvent.objects.get(action="incidents.reveal.read")
    assert read.subject_id == str(reveal.pk)
    (alert,) = selectors.attendance_alerts(incident_id=incident.pk, kind=ATTENDANCE_BREACH)
    assert alert.title.startswith(incident.reference)
    detail = selectors.incident_detail(user=sergeant, incident=incident)
    assert detail.incident == incident
    kinds = {e.kind for e in detail.history}
    assert kinds <= {AuditEvent.Kind.CREATE, AuditEvent.Kind.CHANGE}


def test_a_refuge_typed_keeps_its_safety_markers_only(log_incident, call_taker, make_user):
    incident = _refuge(log_incident, make_user)
    weapons = services.marker_add(
        actor=call_taker, kind=MarkerKind.WEAPONS, address=incident.location
    )
    children = services.marker_add(
        actor=call_taker, kind=MarkerKind.CHILDREN_AT_ADDRESS, address=incident.location
    )
    other = log_incident(location=ELSEWHERE)
    services.marker_add(actor=call_taker, kind=MarkerKind.WEAPONS, address=other.location)
    found = selectors.people_at_address(user=call_taker, postcode="NR1 2AB", house="12")
    assert (found.address, found.residents) == (None, [])
    assert weapons.kind in SAFETY_MARKERS
    assert children.kind not in SAFETY_MARKERS
    assert found.markers == [weapons]
    assert found.restricted_typed == incident.location
    elsewhere = selectors.people_at_address(user=call_taker, postcode="NR2 4PQ", house="3")
    assert [m.address_id for m in elsewhere.markers] == [other.location_id]


def test_recent_incidents_count_one_exactly_at_the_start_of_the_window(log_incident, settings):
    settings.DAPOLICE_REPEAT_VICTIM_MONTHS = 6
    now = timezone.now()
    start = now - relativedelta(months=settings.DAPOLICE_MATCH_HISTORY_MONTHS)
    victim = victim_of(log_incident(received_at=start))
    flags = selectors.person_flags([victim.pk], at=now)[victim.pk]
    assert flags.recent_incidents == 1


# --- Defaults and edges left by the mutation run (README, "Mutation testing") ---------------


def test_incident_list_without_a_page_is_the_first_page(log_incident, call_taker):
    now = timezone.now()
    older = log_incident(received_at=now - timedelta(hours=2))
    newer = log_incident(received_at=now - timedelta(hours=1))
    assert list(selectors.incident_list(user=call_taker, page_size=1)) == [newer]
    assert list(selectors.incident_list(user=call_taker, page=2, page_size=1)) == [older]


def test_reveal_queue_shows_at_most_200_reveals_by_default(log_incident, make_user):
    from incidents.models import AddressReveal

    sergeant, reviewer = make_user(Role.SUPERVISOR), make_user(Role.SUPERVISOR)
    incident = _refuge(log_incident, make_user)
    now = timezone.now()
    AddressReveal.objects.bulk_create(
        AddressReveal(
            address=incident.location,
            incident=incident,
            revealed_by=sergeant,
            revealed_at=now - timedelta(minutes=i),
            reason="Welfare visit",
        )
        for i in range(201)
    )
    queue = selectors.reveal_queue(user=reviewer)
    assert len(queue) == 200
    assert queue[0].revealed_at == now - timedelta(minutes=200)  # the oldest kept, the newest cut
    assert len(selectors.reveal_queue(user=reviewer, limit=201)) == 201


def test_incident_history_is_the_incidents_own_rows_not_another_records_with_its_id(
    log_incident, call_taker
):
    from dapolice.audit.services import record_change
    from incidents.models import Person

    incident = log_incident()
    namesake = Person(pk=incident.pk)  # another record type whose id is the incident's
    record_change(actor=call_taker, action="incidents.person.changed", subject=namesake)
    detail = selectors.incident_detail(user=call_taker, incident=incident)
    assert detail.history
    assert {e.subject_type for e in detail.history} == {"incidents.incident"}


def test_people_at_address_shows_no_markers_to_a_user_who_may_see_no_address(
    log_incident, call_taker, make_user
):
    incident = log_incident()  # 12 Mill Road, NR1 2AB
    services.marker_add(actor=call_taker, kind=MarkerKind.WEAPONS, address=incident.location)
    outsider = make_user(Role.SYSADMIN)  # sees no address (address_visibility)
    found = selectors.people_at_address(user=outsider, postcode="NR1 2AB", house="12")
    assert found == selectors.AtAddress()
    query = MatchQuery(given_name="Vic", family_name="Timson", postcode="NR1 2AB", house="12")
    matched = selectors.person_match(user=outsider, query=query)
    assert (matched.rows, matched.address, matched.address_markers) == ([], None, [])
