"""The duty inspector rota (issue 9): an unattended incident's escalation goes to the inspector on
duty, or to ``DAPOLICE_DUTY_INSPECTOR_ROLE`` when nobody is. A shift covers [from, until).
Frozen clock: category B is due 60 minutes after the call, escalated 15 minutes later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from dapolice.accounts.choices import Role
from dapolice.accounts.models import User
from dapolice.alerts.models import Alert
from dapolice.alerts.services import deadlines_sweep
from dapolice.audit.models import AuditEvent
from dapolice.common.errors import Conflict, DomainError
from incidents import selectors, services
from incidents.choices import ATTENDANCE_ESCALATION
from incidents.models import DutyInspectorShift
from tests import dates

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ESCALATES = NOW + timedelta(minutes=75)
SEC = timedelta(seconds=1)
HOUR = timedelta(hours=1)


@pytest.fixture
def sergeant(make_user):
    return make_user(Role.SUPERVISOR)


@pytest.fixture
def inspector(make_user):
    return make_user(Role.SUPERVISOR)


def escalation_to(log_incident) -> Alert:
    with time_machine.travel(NOW, tick=False) as clock:
        log_incident(category="B")
        clock.move_to(ESCALATES)
        deadlines_sweep()
    return Alert.objects.get(kind=ATTENDANCE_ESCALATION)


def test_escalation_goes_to_the_inspector_on_duty(log_incident, sergeant, inspector):
    services.inspector_shift_add(
        actor=sergeant, user=inspector, starts_at=NOW - HOUR, ends_at=NOW + 8 * HOUR
    )
    alert = escalation_to(log_incident)
    assert (alert.recipient_id, alert.recipient_role) == (inspector.pk, "")
    assert alert.severity == "urgent"


def test_a_shift_starting_at_the_escalation_takes_it(log_incident, sergeant, inspector):
    services.inspector_shift_add(
        actor=sergeant, user=inspector, starts_at=ESCALATES, ends_at=ESCALATES + HOUR
    )
    assert escalation_to(log_incident).recipient_id == inspector.pk


def test_a_shift_ending_at_the_escalation_does_not(log_incident, sergeant, inspector, settings):
    settings.DAPOLICE_DUTY_INSPECTOR_ROLE = Role.SUPERVISOR
    services.inspector_shift_add(
        actor=sergeant, user=inspector, starts_at=NOW - HOUR, ends_at=ESCALATES
    )
    alert = escalation_to(log_incident)
    assert (alert.recipient_id, alert.recipient_role) == (None, Role.SUPERVISOR)


def test_nobody_on_duty_falls_back_to_the_configured_role(log_incident):
    alert = escalation_to(log_incident)
    assert alert.recipient_role == Role.CONTROL_SUPERVISOR  # the default setting


def test_overlapping_shifts_the_incoming_inspector_takes_it(sergeant, inspector, make_user):
    incoming = make_user(Role.SUPERVISOR)
    services.inspector_shift_add(
        actor=sergeant, user=inspector, starts_at=NOW - 8 * HOUR, ends_at=NOW + HOUR
    )
    services.inspector_shift_add(
        actor=sergeant, user=incoming, starts_at=NOW - HOUR, ends_at=NOW + 8 * HOUR
    )
    assert selectors.duty_inspector_at(NOW - HOUR - SEC) == inspector.pk
    assert selectors.duty_inspector_at(NOW - HOUR) == incoming.pk
    assert selectors.duty_inspector_at(NOW + 8 * HOUR - SEC) == incoming.pk
    assert selectors.duty_inspector_at(NOW + 8 * HOUR) is None


def test_a_deactivated_inspector_is_not_on_duty(sergeant, inspector):
    services.inspector_shift_add(
        actor=sergeant, user=inspector, starts_at=NOW - HOUR, ends_at=NOW + HOUR
    )
    User.objects.filter(pk=inspector.pk).update(is_active=False)
    assert selectors.duty_inspector_at(NOW) is None


def test_ending_a_shift_early_hands_back_to_the_role_and_is_audited(
    log_incident, sergeant, inspector
):
    shift = services.inspector_shift_add(
        actor=sergeant, user=inspector, starts_at=NOW - HOUR, ends_at=NOW + 8 * HOUR
    )
    ended = services.inspector_shift_end(actor=sergeant, shift=shift, at=NOW + HOUR)
    assert ended is not None
    assert ended.ends_at == NOW + HOUR
    assert escalation_to(log_incident).recipient_role == Role.CONTROL_SUPERVISOR
    with pytest.raises(Conflict):
        services.inspector_shift_end(actor=sergeant, shift=shift, at=NOW + 2 * HOUR)
    actions = set(
        AuditEvent.objects.filter(subject_id=str(shift.pk), actor=sergeant).values_list(
            "action", flat=True
        )
    )
    assert actions == {"incidents.inspector_shift.created", "incidents.inspector_shift.ended"}


def test_a_shift_not_yet_started_is_removed(sergeant, inspector):
    shift = services.inspector_shift_add(
        actor=sergeant, user=inspector, starts_at=NOW + HOUR, ends_at=NOW + 2 * HOUR
    )
    assert services.inspector_shift_end(actor=sergeant, shift=shift, at=NOW) is None
    assert not DutyInspectorShift.objects.exists()
    assert AuditEvent.objects.filter(action="incidents.inspector_shift.removed").exists()


def test_only_supervisors_and_administrators_keep_the_rota(make_user, inspector):
    for role in (Role.CALL_TAKER, Role.ATTENDING_OFFICER, Role.MASH, Role.ANALYST):
        with pytest.raises(PermissionDenied):
            services.inspector_shift_add(
                actor=make_user(role), user=inspector, starts_at=NOW, ends_at=NOW + HOUR
            )
    for role in (Role.SUPERVISOR, Role.CONTROL_SUPERVISOR, Role.SYSADMIN):
        services.inspector_shift_add(
            actor=make_user(role), user=inspector, starts_at=NOW, ends_at=NOW + HOUR
        )
    with pytest.raises(DomainError):
        services.inspector_shift_add(
            actor=make_user(Role.SUPERVISOR), user=inspector, starts_at=NOW, ends_at=NOW
        )


def test_the_rota_page_adds_a_shift_and_re_renders_what_was_typed(
    client_for, control_supervisor, inspector
):
    client = client_for(control_supervisor)
    assert client.get("/incidents/inspector-rota/").status_code == 200
    typed = {
        "user": str(inspector.pk),
        **dates.typed("starts_at", "2 3 2026", "18:00"),
        **dates.typed("ends_at", "2 3 2026", "17:00"),
    }
    refused = client.post("/incidents/inspector-rota/", typed)
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "The shift must end after it starts." in body
    assert 'name="starts_at_time" value="18:00"' in body
    assert 'name="starts_at_2" value="2026"' in body
    typed.update(dates.typed("ends_at", "3 3 2026", "02:00"))
    assert client.post("/incidents/inspector-rota/", typed).status_code == 302
    shift = DutyInspectorShift.objects.get()
    assert (shift.user_id, shift.created_by_id) == (inspector.pk, control_supervisor.pk)
    london = timezone.get_current_timezone()
    assert shift.starts_at == datetime(2026, 3, 2, 18, 0, tzinfo=london)
    assert shift.ends_at == datetime(2026, 3, 3, 2, 0, tzinfo=london)


def test_the_rota_page_uses_the_govuk_date_input_and_a_24_hour_time(client_for, control_supervisor):
    body = client_for(control_supervisor).get("/incidents/inspector-rota/").content.decode()
    assert 'type="datetime-local"' not in body
    for name in ("starts_at", "ends_at"):
        for part in ("_0", "_1", "_2", "_time"):
            assert f'name="{name}{part}"' in body
    assert "24-hour clock, for example 18:30" in body


def test_an_invalid_rota_date_keeps_what_was_typed_and_names_the_field(
    client_for, control_supervisor, inspector
):
    typed = {
        "user": str(inspector.pk),
        **dates.typed("starts_at", "31 2 2026", "18:00"),
        **dates.typed("ends_at", "1 3 2026", "7pm"),
    }
    refused = client_for(control_supervisor).post("/incidents/inspector-rota/", typed)
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "From must be a real date." in body
    assert "Until: enter the time on the 24-hour clock, like 18:30." in body
    assert 'name="starts_at_0" value="31"' in body
    assert 'name="ends_at_time" value="7pm"' in body
    assert 'href="#id_starts_at_0"' in body or 'href="#id_starts_at"' in body


def test_an_empty_rota_form_says_which_field_is_missing(client_for, control_supervisor):
    """Found in the walk: three "This field is required." in the summary, naming no field."""
    refused = client_for(control_supervisor).post("/incidents/inspector-rota/", {})
    assert refused.status_code == 400
    body = refused.content.decode()
    for message in (
        "Choose the inspector",
        "Enter the day, month and year the shift starts",
        "Enter the day, month and year the shift ends",
    ):
        assert message in body
    assert "This field is required." not in body
