"""Bail, custody and release (HMIC recommendation 12; issue 9): recording a suspect's bail or
custody change sets the deadline to tell the victim (Victims' Code, working days) and a
re-assessment task in its transaction; "victim informed" cancels the first. Frozen clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.html import escape

from dapolice.accounts.choices import Role
from dapolice.alerts.models import Alert, Deadline
from dapolice.alerts.services import deadlines_sweep
from dapolice.audit.models import AuditEvent
from dapolice.common.errors import Conflict, DomainError
from incidents import rules, services
from incidents.choices import CUSTODY_REASSESS_DEADLINE, CUSTODY_TELL_VICTIM_DEADLINE
from incidents.models import IncidentPerson, PersonPhone
from mash import services as mash_services
from mash.inputs import ContactPlanInput
from tests import dates
from tests.incidents.test_api import api_for

FRIDAY = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)  # GMT
MONDAY = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)
SEC = timedelta(seconds=1)
UNSAFE = "07700 900111"
SAFE = "07700 900999"


@pytest.fixture
def officer(make_user):
    return make_user(Role.ATTENDING_OFFICER)


@pytest.fixture
def bail(log_incident, officer):
    """``bail(kind="bail_granted", at=None) -> (event, victim)`` on a new incident with a
    suspect; the victim has an unsafe phone number on record."""

    def do(kind="bail_granted", **kw):
        incident = log_incident(suspect={"given_name": "Sam", "family_name": "Suspectson"})
        suspect = IncidentPerson.objects.get(incident=incident, role="suspect").person
        victim = IncidentPerson.objects.get(incident=incident, role="victim").person
        PersonPhone.objects.get_or_create(person=victim, number=UNSAFE)
        event = services.custody_event_record(
            actor=officer, incident=incident, suspect=suspect, kind=kind, **kw
        )
        return event, victim

    return do


def alerts(kind):
    return list(Alert.objects.filter(kind=kind).order_by("pk"))


def test_bail_sets_the_tell_victim_deadline_one_working_day_on_and_a_reassessment_now(
    bail, officer
):
    with time_machine.travel(FRIDAY, tick=False):
        event, _victim = bail("bail_granted")
    assert event.tell_victim_by == MONDAY  # Friday 15:00 -> Monday 15:00: one working day
    rows = {d.kind: d for d in Deadline.objects.filter(subject_id=str(event.pk))}
    assert rows[CUSTODY_TELL_VICTIM_DEADLINE].due_at == MONDAY
    assert rows[CUSTODY_REASSESS_DEADLINE].due_at == FRIDAY
    deadlines_sweep(now=FRIDAY)
    [task] = alerts(CUSTODY_REASSESS_DEADLINE)
    assert task.recipient_id == officer.pk  # the officer in the case; no SPOC named
    assert task.title.startswith(event.incident.reference)
    assert "re-assess" in task.title
    assert "09 Mar 15:00" in task.title
    deadlines_sweep(now=MONDAY - SEC)
    assert alerts(CUSTODY_TELL_VICTIM_DEADLINE) == []
    deadlines_sweep(now=MONDAY)
    deadlines_sweep(now=MONDAY)
    [late] = alerts(CUSTODY_TELL_VICTIM_DEADLINE)
    assert late.severity == "urgent"
    assert len(alerts(CUSTODY_REASSESS_DEADLINE)) == 1


def test_recording_the_victim_informed_cancels_the_deadline_and_is_audited(bail, make_user):
    spoc = make_user(Role.MASH)
    with time_machine.travel(FRIDAY, tick=False) as clock:
        event, _victim = bail("released_prison")
        clock.move_to(FRIDAY + timedelta(hours=2))
        done = services.custody_victim_informed(actor=spoc, event=event)
        deadlines_sweep(now=MONDAY + timedelta(days=10))
        with pytest.raises(Conflict):
            services.custody_victim_informed(actor=spoc, event=done)
    assert done.victim_informed_at == FRIDAY + timedelta(hours=2)
    assert alerts(CUSTODY_TELL_VICTIM_DEADLINE) == []
    tell = Deadline.objects.get(kind=CUSTODY_TELL_VICTIM_DEADLINE)
    assert tell.cancelled_at == FRIDAY + timedelta(hours=2)
    assert AuditEvent.objects.filter(
        action="incidents.custody.victim_informed", actor=spoc, subject_id=str(event.pk)
    ).exists()
    assert AuditEvent.objects.filter(
        action="incidents.custody.recorded", subject_id=str(event.pk)
    ).exists()


def test_alerts_go_to_the_spoc_and_never_carry_or_link_to_the_unsafe_number(
    bail, officer, make_user, client_for
):
    spoc = make_user(Role.MASH)
    with time_machine.travel(FRIDAY, tick=False):
        event, victim = bail("bail_varied")
        mash_services.contact_plan_save(
            actor=spoc, person=victim, data=ContactPlanInput(spoc_id=spoc.pk, safe_phone=SAFE)
        )
        deadlines_sweep(now=MONDAY)
    raised = alerts(CUSTODY_REASSESS_DEADLINE) + alerts(CUSTODY_TELL_VICTIM_DEADLINE)
    assert {a.recipient_id for a in raised} == {spoc.pk, officer.pk}
    for alert in raised:
        assert alert.link == f"/mash/victims/{victim.pk}/contacts/"
        assert "07700" not in alert.title
        assert victim.family_name not in alert.title
    # The page the task opens shows the safe number and not the unsafe one.
    page = client_for(spoc).get(raised[0].link).content.decode()
    assert SAFE in page
    assert UNSAFE not in page


def test_victims_code_working_days_skip_weekends_bank_holidays_and_keep_the_local_hour():
    # Thursday before Easter (BST): Good Friday and Easter Monday are bank holidays.
    assert rules.working_days_after(datetime(2026, 4, 2, 9, 0, tzinfo=UTC), 1) == datetime(
        2026, 4, 7, 9, 0, tzinfo=UTC
    )
    # Friday 15:00 GMT -> Monday 15:00 BST (the clocks went forward on Sunday 29 March).
    assert rules.working_days_after(datetime(2026, 3, 27, 15, 0, tzinfo=UTC), 1) == datetime(
        2026, 3, 30, 14, 0, tzinfo=UTC
    )
    # A Saturday event: Monday.
    assert rules.working_days_after(datetime(2026, 3, 7, 11, 0, tzinfo=UTC), 1) == datetime(
        2026, 3, 9, 11, 0, tzinfo=UTC
    )


def test_the_timescale_is_a_setting(bail, settings):
    settings.DAPOLICE_CUSTODY_TELL_VICTIM_WORKING_DAYS = 5  # the standard (not enhanced) right
    with time_machine.travel(FRIDAY, tick=False):
        event, _victim = bail("released_custody")
    assert event.tell_victim_by == FRIDAY + timedelta(days=7)


def test_only_police_roles_in_the_case_record_custody(log_incident, make_user, call_taker):
    incident = log_incident(suspect={"given_name": "Sam", "family_name": "Suspectson"})
    suspect = IncidentPerson.objects.get(incident=incident, role="suspect").person
    for role in (Role.CALL_TAKER, Role.MASH, Role.CONTROL_SUPERVISOR):
        with pytest.raises(PermissionDenied):
            services.custody_event_record(
                actor=make_user(role), incident=incident, suspect=suspect, kind="bail_granted"
            )
    for role in (Role.ATTENDING_OFFICER, Role.INVESTIGATOR, Role.SUPERVISOR):
        services.custody_event_record(
            actor=make_user(role), incident=incident, suspect=suspect, kind="bail_granted"
        )
    assert incident.custody.count() == 3


def test_custody_needs_a_suspect_of_the_incident_a_past_time_and_notes_without_numbers(
    log_incident, officer
):
    incident = log_incident(suspect={"given_name": "Sam", "family_name": "Suspectson"})
    victim = IncidentPerson.objects.get(incident=incident, role="victim").person
    suspect = IncidentPerson.objects.get(incident=incident, role="suspect").person
    record = services.custody_event_record
    with pytest.raises(DomainError) as exc:
        record(actor=officer, incident=incident, suspect=victim, kind="bail_granted")
    assert exc.value.field == "suspect"
    with pytest.raises(DomainError) as exc:
        record(actor=officer, incident=incident, suspect=suspect, kind="escaped")
    assert exc.value.field == "kind"
    with time_machine.travel(FRIDAY, tick=False):
        with pytest.raises(DomainError) as exc:
            record(
                actor=officer,
                incident=incident,
                suspect=suspect,
                kind="bail_granted",
                occurred_at=FRIDAY + timedelta(hours=1),
            )
        assert exc.value.field == "occurred_at"
        with pytest.raises(DomainError) as exc:
            record(
                actor=officer,
                incident=incident,
                suspect=suspect,
                kind="bail_granted",
                notes=f"Call victim on {UNSAFE}",
            )
        assert exc.value.field == "notes"
    assert not Deadline.objects.filter(kind=CUSTODY_TELL_VICTIM_DEADLINE).exists()


def test_an_event_recorded_late_raises_the_overdue_alert_on_the_next_sweep(bail):
    with time_machine.travel(MONDAY + timedelta(days=1), tick=False):
        event, _victim = bail("charged_remanded", occurred_at=FRIDAY)
        assert event.tell_victim_by == MONDAY
        deadlines_sweep()
    assert len(alerts(CUSTODY_TELL_VICTIM_DEADLINE)) == 1


def test_the_incident_page_lists_the_events_and_the_alerts_they_raised(bail, officer, client_for):
    with time_machine.travel(FRIDAY, tick=False):
        event, _victim = bail("released_custody")
        deadlines_sweep()
        page = client_for(officer).get(f"/incidents/{event.incident_id}/").content.decode()
    assert 'data-testid="custody-events"' in page
    assert "Released from custody" in page
    [task] = alerts(CUSTODY_REASSESS_DEADLINE)
    assert escape(task.title) in page
    assert UNSAFE not in page


# --- The page form ------------------------------------------------------------------------------


def test_the_page_form_records_custody_and_re_renders_what_was_typed_on_error(
    log_incident, officer, client_for
):
    incident = log_incident(suspect={"given_name": "Sam", "family_name": "Suspectson"})
    suspect = IncidentPerson.objects.get(incident=incident, role="suspect").person
    client = client_for(officer)
    page = client.get(f"/incidents/{incident.pk}/")
    assert 'id="custody-record"' in page.content.decode()
    typed = {
        "custody-suspect": str(suspect.pk),
        "custody-kind": "bail_varied",
        "custody-notes": f"New condition; ring {UNSAFE}",
    }
    refused = client.post(f"/incidents/{incident.pk}/custody/", typed)
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "Leave phone numbers out of the notes" in body
    assert "New condition; ring" in body  # what was typed comes back
    assert not incident.custody.exists()
    typed["custody-notes"] = "Curfew 19:00 to 07:00 added by the court"
    done = client.post(f"/incidents/{incident.pk}/custody/", typed)
    assert done.status_code == 302
    event = incident.custody.get()
    assert (event.kind, event.notes) == ("bail_varied", typed["custody-notes"])
    assert Deadline.objects.filter(subject_id=str(event.pk)).count() == 2


def test_the_victim_told_button_stops_the_clock_and_a_bad_time_comes_back(
    bail, officer, client_for
):
    with time_machine.travel(FRIDAY, tick=False):
        event, _victim = bail("bail_cancelled")
    client = client_for(officer)
    url = f"/incidents/{event.incident_id}/custody/{event.pk}/informed/"
    bad = client.post(url, dates.typed("at", "1 1 2020", "10:00", prefix="informed"))
    assert bad.status_code == 400
    body = bad.content.decode()
    assert 'name="informed-at_2" value="2020"' in body
    assert 'name="informed-at_time" value="10:00"' in body
    assert client.post(url, dates.typed("at", "", "", prefix="informed")).status_code == 302
    event.refresh_from_db()
    assert event.victim_informed_by_id == officer.pk
    assert Deadline.objects.get(kind=CUSTODY_TELL_VICTIM_DEADLINE).cancelled_at is not None


def test_an_invalid_custody_date_keeps_what_was_typed_and_names_the_field(
    log_incident, officer, client_for
):
    incident = log_incident(suspect={"given_name": "Sam", "family_name": "Suspectson"})
    suspect = IncidentPerson.objects.get(incident=incident, role="suspect").person
    typed = {
        "custody-suspect": str(suspect.pk),
        "custody-kind": "bail_varied",
        "custody-notes": "Curfew added",
        **dates.typed("occurred_at", "30 2 2026", "09:15", prefix="custody"),
    }
    refused = client_for(officer).post(f"/incidents/{incident.pk}/custody/", typed)
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "When must be a real date." in body
    assert 'name="custody-occurred_at_0" value="30"' in body
    assert 'name="custody-occurred_at_time" value="09:15"' in body
    assert "Curfew added" in body
    assert not incident.custody.exists()


def test_a_custody_time_is_a_govuk_date_and_a_24_hour_time(log_incident, officer, client_for):
    incident = log_incident(suspect={"given_name": "Sam", "family_name": "Suspectson"})
    suspect = IncidentPerson.objects.get(incident=incident, role="suspect").person
    at = timezone.localtime() - timedelta(hours=2)
    typed = {
        "custody-suspect": str(suspect.pk),
        "custody-kind": "bail_varied",
        "custody-notes": "Curfew added",
        **dates.typed("occurred_at", at.replace(second=0, microsecond=0), prefix="custody"),
    }
    assert client_for(officer).post(f"/incidents/{incident.pk}/custody/", typed).status_code == 302
    assert incident.custody.get().occurred_at == at.replace(second=0, microsecond=0)


def test_victim_told_with_a_time_but_no_date_names_the_date(bail, officer, client_for):
    with time_machine.travel(FRIDAY, tick=False):
        event, _victim = bail("bail_cancelled")
    url = f"/incidents/{event.incident_id}/custody/{event.pk}/informed/"
    bad = client_for(officer).post(url, dates.typed("at", "", "10:00", prefix="informed"))
    assert bad.status_code == 400
    body = bad.content.decode()
    assert "Told at: enter the day, month and year, or leave the time empty." in body
    assert 'name="informed-at_time" value="10:00"' in body


def test_a_call_taker_cannot_record_custody_from_the_page(log_incident, call_taker, client_for):
    incident = log_incident(suspect={"given_name": "Sam", "family_name": "Suspectson"})
    suspect = IncidentPerson.objects.get(incident=incident, role="suspect").person
    response = client_for(call_taker).post(
        f"/incidents/{incident.pk}/custody/",
        {"custody-suspect": str(suspect.pk), "custody-kind": "bail_granted"},
    )
    assert response.status_code == 403
    assert not incident.custody.exists()


# --- The API ------------------------------------------------------------------------------------


def test_the_api_records_custody_and_the_victim_told(log_incident, officer):
    incident = log_incident(suspect={"given_name": "Sam", "family_name": "Suspectson"})
    suspect = IncidentPerson.objects.get(incident=incident, role="suspect").person
    victim = IncidentPerson.objects.get(incident=incident, role="victim").person
    api = api_for(officer)
    url = f"/api/incidents/{incident.pk}/custody/"
    wrong = api.post(url, {"suspect": victim.pk, "kind": "bail_granted"}, format="json")
    assert wrong.status_code == 400
    assert "suspect" in wrong.json()["errors"]
    made = api.post(
        url, {"suspect": suspect.pk, "kind": "released_prison", "notes": "Licence"}, format="json"
    )
    assert made.status_code == 201
    event_id = made.json()["id"]
    assert made.json()["tell_victim_by"]
    told = api.post(f"{url}{event_id}/informed/", {}, format="json")
    assert told.status_code == 200
    assert told.json()["victim_informed_by"] == officer.pk
    again = api.post(f"{url}{event_id}/informed/", {}, format="json")
    assert again.status_code == 409


def test_seed_demo_bails_a_suspect_once(db):
    from io import StringIO

    from django.core.management import call_command

    from incidents.models import CustodyEvent

    out = StringIO()
    call_command("seed_demo", "--incidents", "150", stdout=out)
    event = CustodyEvent.objects.get()
    assert event.recorded_by.username == "officer"
    assert f"Bail recorded on {event.incident.reference}" in out.getvalue()
    call_command("seed_demo", "--incidents", "150", stdout=StringIO())
    assert CustodyEvent.objects.count() == 1
