"""Victim follow-ups (issue 9): the medium-risk re-assessment to the SPOC (recommendation 7) and
repeat victims who stopped calling (welfare follow-up). Frozen clock; the alerts sweep fires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from dapolice.accounts.choices import Role
from dapolice.alerts.models import Alert, Deadline
from dapolice.alerts.services import deadline_fire, deadlines_sweep
from dapolice.audit.models import AuditEvent
from dapolice.common.errors import Conflict, DomainError
from incidents.models import IncidentPerson, Person
from mash import services
from mash.choices import SILENT_VICTIM_DEADLINE
from mash.inputs import ContactPlanInput
from risk import services as risk_services
from risk.choices import REASSESS_DEADLINE

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def alerts(kind: str) -> list[Alert]:
    return list(Alert.objects.filter(kind=kind))


def victim_of(assessment) -> Person:
    return Person.objects.get(pk=assessment.victim_id)


def test_medium_risk_victim_is_re_assessed_by_their_spoc_after_28_days(review, mash_officer):
    with time_machine.travel(NOW, tick=False) as clock:
        assessment = review("medium")
        victim = victim_of(assessment)
        services.contact_plan_save(
            actor=mash_officer, person=victim, data=ContactPlanInput(spoc_id=mash_officer.pk)
        )
        clock.move_to(NOW + 28 * DAY - timedelta(seconds=1))
        deadlines_sweep()
        assert alerts(REASSESS_DEADLINE) == []
        clock.move_to(NOW + 28 * DAY)
        deadlines_sweep()
        deadlines_sweep()
    [alert] = alerts(REASSESS_DEADLINE)
    assert alert.recipient_id == mash_officer.pk
    assert alert.title == f"Victim {victim.pk}: medium-risk re-assessment due"
    assert victim.family_name not in alert.title


def test_re_assessment_days_are_a_setting_and_without_a_spoc_the_mash_is_told(review, settings):
    settings.DAPOLICE_REASSESS_MEDIUM_DAYS = 14
    with time_machine.travel(NOW, tick=False):
        review("medium")
    assert Deadline.objects.get(kind=REASSESS_DEADLINE).due_at == NOW + 14 * DAY
    deadlines_sweep(now=NOW + 14 * DAY)
    [alert] = alerts(REASSESS_DEADLINE)
    assert alert.recipient_role == Role.MASH
    assert alert.title.endswith("(no SPOC named)")


def test_a_later_high_or_standard_dash_cancels_the_re_assessment(review):
    with time_machine.travel(NOW, tick=False) as clock:
        first = review("medium")
        clock.move_to(NOW + 3 * DAY)
        review("high", victim=victim_of(first))
        deadlines_sweep(now=NOW + 60 * DAY)
    assert alerts(REASSESS_DEADLINE) == []
    assert Deadline.objects.get(kind=REASSESS_DEADLINE).cancelled_at == NOW + 3 * DAY


def test_standard_risk_sets_no_re_assessment(review):
    with time_machine.travel(NOW, tick=False):
        review("standard")
    assert not Deadline.objects.filter(kind=REASSESS_DEADLINE).exists()


# --- The re-assessment recurs until the follow-up is closed ------------------------------------


def reassess_row() -> Deadline:
    return Deadline.objects.get(kind=REASSESS_DEADLINE)


def test_re_assessment_recurs_every_28_days_after_the_last_assessment(review, mash_officer):
    with time_machine.travel(NOW, tick=False) as clock:
        victim = victim_of(review("medium"))
        services.contact_plan_save(
            actor=mash_officer, person=victim, data=ContactPlanInput(spoc_id=mash_officer.pk)
        )
        clock.move_to(NOW + 28 * DAY)
        deadlines_sweep()
        deadlines_sweep()
        assert len(alerts(REASSESS_DEADLINE)) == 1
        assert reassess_row().due_at == NOW + 56 * DAY
        assert reassess_row().fired_at is None
        clock.move_to(NOW + 56 * DAY - timedelta(seconds=1))
        deadlines_sweep()
        assert len(alerts(REASSESS_DEADLINE)) == 1
        clock.move_to(NOW + 56 * DAY)
        deadlines_sweep()
        deadlines_sweep()
    second = alerts(REASSESS_DEADLINE)
    assert len(second) == 2
    assert {a.recipient_id for a in second} == {mash_officer.pk}
    # Every round stays in the inbox; only the newest keeps the row.
    assert sorted(a.deadline_id is None for a in second) == [False, True]
    assert reassess_row().due_at == NOW + 84 * DAY


def test_re_assessment_interval_setting_applies_to_every_round(review, settings):
    settings.DAPOLICE_REASSESS_MEDIUM_DAYS = 10
    with time_machine.travel(NOW, tick=False):
        review("medium")
    for n in (1, 2, 3):
        deadlines_sweep(now=NOW + 10 * n * DAY)
        assert len(alerts(REASSESS_DEADLINE)) == n
    assert reassess_row().due_at == NOW + 40 * DAY


def test_a_sweep_late_by_several_rounds_raises_one_alert_and_keeps_the_rhythm(review):
    with time_machine.travel(NOW, tick=False):
        review("medium")
    deadlines_sweep(now=NOW + 100 * DAY)  # rounds due at 28, 56 and 84 days: one alert
    assert len(alerts(REASSESS_DEADLINE)) == 1
    assert reassess_row().due_at == NOW + 112 * DAY


def test_a_re_assessment_fired_by_its_task_recurs_too(review):
    with time_machine.travel(NOW, tick=False):
        review("medium")
    row = reassess_row()
    assert deadline_fire(deadline_id=row.pk, now=NOW + 28 * DAY)
    assert not deadline_fire(deadline_id=row.pk, now=NOW + 28 * DAY)
    assert len(alerts(REASSESS_DEADLINE)) == 1
    assert reassess_row().due_at == NOW + 56 * DAY


def test_a_new_medium_assessment_moves_the_next_round(review):
    with time_machine.travel(NOW, tick=False) as clock:
        first = review("medium")
        clock.move_to(NOW + 28 * DAY)
        deadlines_sweep()
        clock.move_to(NOW + 40 * DAY)
        review("medium", victim=victim_of(first))
        assert reassess_row().due_at == NOW + 68 * DAY
        clock.move_to(NOW + 56 * DAY)
        deadlines_sweep()
        assert len(alerts(REASSESS_DEADLINE)) == 1
        clock.move_to(NOW + 68 * DAY)
        deadlines_sweep()
    assert len(alerts(REASSESS_DEADLINE)) == 2


def test_closing_the_follow_up_stops_the_rounds_and_is_audited(review, supervisor):
    with time_machine.travel(NOW, tick=False) as clock:
        victim = victim_of(review("medium"))
        clock.move_to(NOW + 28 * DAY)
        deadlines_sweep()
        clock.move_to(NOW + 30 * DAY)
        assert risk_services.reassessment_close(
            actor=supervisor, victim=victim, reason="Moved out of area; case closed"
        )
        deadlines_sweep(now=NOW + 400 * DAY)
    assert len(alerts(REASSESS_DEADLINE)) == 1
    assert reassess_row().cancelled_at == NOW + 30 * DAY
    event = AuditEvent.objects.get(action="risk.reassessment.closed")
    assert (event.actor_id, event.subject_id) == (supervisor.pk, str(victim.pk))
    assert event.reason == "Moved out of area; case closed"
    with pytest.raises(Conflict):
        risk_services.reassessment_close(actor=supervisor, victim=victim, reason="again")


def test_closing_needs_a_reason_and_a_supervisor_or_the_mash(review, supervisor, officer):
    with time_machine.travel(NOW, tick=False):
        victim = victim_of(review("medium"))
    with pytest.raises(DomainError):
        risk_services.reassessment_close(actor=supervisor, victim=victim, reason="  ")
    with pytest.raises(PermissionDenied):
        risk_services.reassessment_close(actor=officer, victim=victim, reason="done")
    assert reassess_row().cancelled_at is None


def test_the_history_page_shows_the_next_round_and_closes_the_follow_up(
    review, supervisor, officer, client_for
):
    with time_machine.travel(NOW, tick=False):
        victim = victim_of(review("medium"))
    page = client_for(supervisor).get(f"/risk/victims/{victim.pk}/history/").content.decode()
    assert "Next re-assessment due 30 Mar 2026" in page
    url = f"/risk/victims/{victim.pk}/reassessment/close/"
    blank = client_for(supervisor).post(url, {"reason": "   "})
    assert blank.status_code == 400
    refused = client_for(officer).post(url, {"reason": "Officer typed this"})
    assert refused.status_code == 403
    assert "Officer typed this" in refused.content.decode()
    assert reassess_row().cancelled_at is None
    done = client_for(supervisor).post(url, {"reason": "Risk reduced; case closed by MASH"})
    assert done.status_code == 302
    assert reassess_row().cancelled_at is not None


# --- Repeat victims who stopped calling -------------------------------------------------------


def repeat_victim(log_incident, times: list[datetime]) -> Person:
    first = log_incident(received_at=times[0])
    victim = IncidentPerson.objects.get(incident=first, role="victim").person
    for at in times[1:]:
        log_incident(victim=victim, received_at=at)
    return victim


def test_repeat_victim_not_heard_from_for_3_months_gets_a_welfare_follow_up(log_incident):
    with time_machine.travel(NOW, tick=False) as clock:
        quiet = repeat_victim(log_incident, [NOW - 150 * DAY, NOW - 140 * DAY, NOW - 100 * DAY])
        repeat_victim(log_incident, [NOW - 150 * DAY, NOW - 140 * DAY])  # only two incidents
        assert services.welfare_deadlines_refresh() == 1
        deadlines_sweep()
        # Refreshed again (hourly) and swept again: still one follow-up for this silence.
        clock.shift(timedelta(hours=1))
        services.welfare_deadlines_refresh()
        deadlines_sweep()
    [alert] = alerts(SILENT_VICTIM_DEADLINE)
    assert alert.subject_id == str(quiet.pk)
    assert alert.recipient_role == Role.MASH  # no SPOC named
    assert "3 months" in alert.title


def test_a_logged_contact_restarts_the_silence(log_incident, mash_officer):
    with time_machine.travel(NOW, tick=False) as clock:
        victim = repeat_victim(log_incident, [NOW - 150 * DAY, NOW - 140 * DAY, NOW - 100 * DAY])
        services.contact_log(
            actor=mash_officer, person=victim, channel="phone", outcome="spoke", at=NOW - DAY
        )
        services.welfare_deadlines_refresh()
        deadlines_sweep()
        assert alerts(SILENT_VICTIM_DEADLINE) == []
        due = Deadline.objects.get(kind=SILENT_VICTIM_DEADLINE).due_at
        assert due == datetime(2026, 6, 1, 10, 0, tzinfo=UTC)  # three calendar months on
        clock.move_to(due)
        deadlines_sweep()
    assert len(alerts(SILENT_VICTIM_DEADLINE)) == 1
