"""``mash.services`` edge by edge: each refusal's message, field and code, each audit row, the
clocks, and what a refused change leaves untouched. Pinned here at the service, not through a
page (``make mutate MODULE=mash/services.py`` runs against these and the other service tests)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.test import override_settings

from dapolice.accounts.models import Agency
from dapolice.alerts.models import Deadline
from dapolice.audit.models import AuditEvent
from dapolice.common.errors import Conflict, DomainError
from incidents.inputs import PersonInput
from mash import services, signals
from mash.choices import (
    COMPLETE_DEADLINE,
    ENCOMPASS_DEADLINE,
    OUT_OF_HOURS_DEADLINE,
    REFERRAL_DEADLINE,
    SILENT_VICTIM_DEADLINE,
    START_DEADLINE,
    Duty,
    EntryReason,
    Team,
)
from mash.inputs import ActionInput, ContactPlanInput
from mash.models import (
    Contact,
    ContactPlan,
    EncompassNotice,
    InformationEntry,
    MashCase,
    OwnershipPeriod,
    Referral,
)

#: A Tuesday in winter (GMT): 10:00 local is MASH hours, and local time is UTC.
DAY = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
#: How the services write a moment in a message.
DAY_TEXT = "10:00, 1 Dec 2026"


def _audit(action, subject):
    return AuditEvent.objects.filter(
        action=action, subject_type=subject._meta.label_lower, subject_id=str(subject.pk)
    )


def _refused(kind, call, *, message, field=None, code=None):
    """``call()`` is refused with exactly this message, field and code."""
    with pytest.raises(kind) as raised:
        call()
    error = raised.value
    expected_code = code or ("conflict" if kind is Conflict else "invalid")
    assert (error.message, error.field, error.code) == (message, field, expected_code)
    assert type(error) is kind
    return error


def _deadline(kind, subject):
    return Deadline.objects.get(
        kind=kind, subject_type=subject._meta.label_lower, subject_id=str(subject.pk)
    )


@pytest.fixture
def idva_agency(db):
    return Agency.objects.create(name="IDVA service", code="idva-e", kind="idva")


# --- Entering the queue ---------------------------------------------------------------------


def test_a_medium_dash_is_decided_in_with_no_sample_draw_audited(review, system):
    with time_machine.travel(DAY, tick=False):
        assessment = review("medium")
    event = _audit("mash.entry.decided", assessment).get()
    assert event.actor_id == system.pk
    assert event.changes == {"level": [None, "medium"], "queued": [None, "medium"]}
    c = MashCase.objects.get(assessment=assessment)
    assert (c.reason, c.sample_percent, c.priority, c.dash_level) == ("medium", None, 2, "medium")
    assert (c.incident_id, c.victim_id) == (assessment.incident_id, assessment.victim_id)
    assert c.children_present is False
    assert not EncompassNotice.objects.filter(case=c).exists()


@override_settings(DAPOLICE_MASH_SAMPLE_PERCENT=100)
def test_a_sampled_standard_dash_records_the_draw_and_the_rate(review, system):
    from mash import rules

    with time_machine.travel(DAY, tick=False):
        assessment = review("standard")
    event = _audit("mash.entry.decided", assessment).get()
    assert event.changes == {
        "level": [None, "standard"],
        "queued": [None, "sample"],
        "sample_draw": [None, round(rules.sample_draw(assessment.pk), 6)],
        "sample_percent": [None, 100.0],
    }
    c = MashCase.objects.get(assessment=assessment)
    assert (c.reason, c.sample_percent, c.priority) == (EntryReason.SAMPLE, 100.0, 1)


def test_the_sample_is_drawn_for_this_assessment_whichever_draw_is_lower(review, system, settings):
    """The rate set between this DASH's draw and another's: only this one's draw decides (the
    other drawn here for the id ``None``, as a slip in the call would)."""
    from mash import rules

    settings.DAPOLICE_MASH_SAMPLE_PERCENT = 0
    with time_machine.travel(DAY, tick=False):
        assessment = review("standard")
    assert not MashCase.objects.filter(assessment=assessment).exists()
    mine, other = rules.sample_draw(assessment.pk), rules.sample_draw(None)
    assert mine != other
    settings.DAPOLICE_MASH_SAMPLE_PERCENT = (mine + other) / 2 * 100
    opened = services.case_open_from_review(
        actor=system, assessment_id=assessment.pk, level="standard", children_present=False
    )
    assert (opened is not None) is (mine < other)
    assert MashCase.objects.filter(assessment=assessment).exists() is (mine < other)


def test_opening_a_case_is_audited_with_its_fields(review, system, officer):
    with time_machine.travel(DAY, tick=False):
        assessment = review("high")
    c = MashCase.objects.get(assessment=assessment)
    event = _audit("mash.case.opened", c).get()
    assert event.actor_id == system.pk
    assert event.kind == AuditEvent.Kind.CREATE
    assert event.changes == {
        "assessment": [None, assessment.pk],
        "reason": [None, "high"],
        "sample_percent": [None, None],
        "level": [None, "high"],
        "team": [None, "mash"],
        "duty_officer": [None, None],
        "owner": [None, officer.pk],
        "offer_to": [None, None],
        "offer_to_team": [None, "mash"],
        "start_due_at": [None, "2026-12-01T11:00:00+00:00"],
        "due_at": [None, "2026-12-02T10:00:00+00:00"],
    }
    assert (c.offer_at, c.offer_by_id, c.offer_to_id) == (DAY, officer.pk, None)
    assert (c.arrived_at, c.priority, c.claimed_by_id) == (DAY, 3, None)
    assert not Deadline.objects.filter(kind=OUT_OF_HOURS_DEADLINE).exists()


def test_the_owner_owns_it_from_their_arrival_at_the_incident(
    log_incident, call_taker, officer, supervisor, django_capture_on_commit_callbacks
):
    """Safeguarding is the attending officer's from the moment they arrived, not from the
    review hours later: the ledger has no gap before the case reached the MASH."""
    from incidents import services as incident_services
    from risk import services as risk_services
    from tests.mash.conftest import YES
    from tests.risk.conftest import complete_input

    arrived = DAY - timedelta(hours=3)
    with time_machine.travel(arrived - timedelta(minutes=20), tick=False):
        incident = incident_services.incident_dispatch(
            actor=call_taker, incident=log_incident(), officer=officer
        )
    with time_machine.travel(arrived, tick=False):
        incident = incident_services.incident_record_arrival(actor=officer, incident=incident)
    with time_machine.travel(arrived + timedelta(hours=1), tick=False):
        assessment = risk_services.assessment_start(actor=officer, incident=incident)
        risk_services.assessment_submit(
            actor=officer, assessment=assessment, data=complete_input(YES["medium"])
        )
    with (
        time_machine.travel(DAY, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        risk_services.assessment_review(actor=supervisor, assessment=assessment, decision="agree")
    c = MashCase.objects.get(assessment=assessment)
    assert c.owner_since == arrived
    period = OwnershipPeriod.objects.get(case=c)
    assert (period.owner_id, period.started_at, period.how) == (officer.pk, arrived, "opened")


def test_without_an_arrival_the_owner_owns_it_from_the_dash(
    log_incident, call_taker, officer, supervisor, django_capture_on_commit_callbacks
):
    from incidents import services as incident_services
    from risk import services as risk_services
    from tests.mash.conftest import YES
    from tests.risk.conftest import complete_input

    started = DAY - timedelta(hours=2)
    with time_machine.travel(started, tick=False):
        incident = incident_services.incident_dispatch(
            actor=call_taker, incident=log_incident(), officer=officer
        )
        assessment = risk_services.assessment_start(actor=officer, incident=incident)
        risk_services.assessment_submit(
            actor=officer, assessment=assessment, data=complete_input(YES["medium"])
        )
    assert incident.arrived_at is None
    with (
        time_machine.travel(DAY, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        risk_services.assessment_review(actor=supervisor, assessment=assessment, decision="agree")
    c = MashCase.objects.get(assessment=assessment)
    assert c.owner_since == started == OwnershipPeriod.objects.get(case=c).started_at


def test_out_of_hours_the_sergeant_is_offered_it_and_told_at_once(case, make_user, rota, officer):
    night = DAY.replace(hour=23)
    sergeant = make_user("investigator")
    rota(sergeant, Duty.DETECTIVE_SERGEANT, night - timedelta(hours=1), night + timedelta(hours=8))
    with time_machine.travel(night, tick=False):
        c = case("high")
    assert (c.team, c.duty_officer_id, c.offer_to_id, c.offer_to_team) == (
        Team.DUTY_DS,
        sergeant.pk,
        sergeant.pk,
        "",
    )
    assert (c.offer_by_id, c.offer_at) == (officer.pk, night)
    assert _deadline(OUT_OF_HOURS_DEADLINE, c).due_at == night
    event = _audit("mash.case.opened", c).get()
    assert event.changes["team"] == [None, "duty_ds"]
    assert event.changes["duty_officer"] == [None, sergeant.pk]
    assert event.changes["offer_to"] == [None, sergeant.pk]
    assert event.changes["offer_to_team"] == [None, ""]


def test_out_of_hours_when_the_sergeant_on_duty_is_the_owner_it_goes_to_the_team(
    case, rota, officer
):
    """The attending officer is the sergeant on the rota: nothing to hand over to themselves,
    so the handover is offered to the duty sergeants' team."""
    night = DAY.replace(hour=23)
    rota(officer, Duty.DETECTIVE_SERGEANT, night - timedelta(hours=1), night + timedelta(hours=8))
    with time_machine.travel(night, tick=False):
        c = case("high")
    assert (c.duty_officer_id, c.owner_id) == (officer.pk, officer.pk)
    assert (c.offer_to_id, c.offer_to_team) == (None, Team.DUTY_DS)


@override_settings(DAPOLICE_MASH_SAMPLE_PERCENT=0)
def test_one_encompass_notice_per_child_named_on_the_call_in_order(review, log_incident, system):
    others = (
        PersonInput(role="child", given_name="Sam", family_name="Timson"),
        PersonInput(role="child", given_name="Alex", family_name="Timson"),
        PersonInput(role="other", given_name="Nia", family_name="Next-Door"),
    )
    with time_machine.travel(DAY, tick=False):
        assessment = review("standard", children=True, others=others)
    c = MashCase.objects.get(assessment=assessment)
    assert c.reason == EntryReason.CHILDREN
    assert c.children_present is True
    notices = list(EncompassNotice.objects.filter(case=c).order_by("pk"))
    assert [n.child_name for n in notices] == ["Sam Timson", "Alex Timson"]
    assert [n.child.given_name for n in notices] == ["Sam", "Alex"]
    due = datetime(2026, 12, 2, 8, 30, tzinfo=UTC)  # before the next school day
    for notice in notices:
        assert (notice.present, notice.due_at, notice.status) == (True, due, "pending")
        assert notice.incident_at == c.incident.received_at
        assert _deadline(ENCOMPASS_DEADLINE, notice).due_at == due
        event = _audit("mash.encompass.opened", notice).get()
        assert event.actor_id == system.pk
        assert event.changes == {
            "case": [None, c.pk],
            "child": [None, notice.child_id],
            "incident_at": [None, c.incident.received_at.isoformat()],
            "due_at": [None, "2026-12-02T08:30:00+00:00"],
        }


def test_without_a_child_named_one_blank_notice_is_opened(case):
    with time_machine.travel(DAY, tick=False):
        c = case("medium", children=True)
    notice = EncompassNotice.objects.get(case=c)
    assert (notice.child_id, notice.child_name, notice.present) == (None, "", None)
    assert _deadline(ENCOMPASS_DEADLINE, notice)


# --- Claiming -------------------------------------------------------------------------------


def test_next_case_on_an_empty_queue_is_refused_as_empty(mash_officer):
    _refused(
        DomainError,
        lambda: services.case_claim_next(actor=mash_officer),
        message="Nothing is waiting in the queue.",
        code="empty",
    )


def test_claims_are_audited_and_stop_the_start_clock(case, mash_officer, mash_officer2):
    with time_machine.travel(DAY, tick=False):
        first, second = case("high"), case("high")
    with time_machine.travel(DAY + timedelta(minutes=5), tick=False):
        claimed = services.case_claim_next(actor=mash_officer)
        services.case_claim(actor=mash_officer2, case=second)
    assert claimed.pk == first.pk
    for c, how, who in ((first, "claimed_next", mash_officer), (second, "claimed", mash_officer2)):
        c.refresh_from_db()
        assert (c.status, c.claimed_by_id, c.claimed_at) == (
            "in_progress",
            who.pk,
            DAY + timedelta(minutes=5),
        )
        event = _audit(f"mash.case.{how}", c).get()
        assert event.actor_id == who.pk
        assert event.changes == {
            "status": ["waiting", "in_progress"],
            "claimed_by": [None, who.pk],
            "claimed_at": [None, "2026-12-01T10:05:00+00:00"],
        }
        assert _deadline(START_DEADLINE, c).cancelled_at is not None
        assert _deadline(COMPLETE_DEADLINE, c).cancelled_at is None


def test_claiming_again_ones_own_claim_changes_nothing(case, mash_officer):
    with time_machine.travel(DAY, tick=False):
        c = services.case_claim(actor=mash_officer, case=case())
    with time_machine.travel(DAY + timedelta(hours=1), tick=False):
        again = services.case_claim(actor=mash_officer, case=c)
    assert again.claimed_at == DAY
    assert AuditEvent.objects.filter(action__startswith="mash.case.claimed").count() == 1


def test_a_claim_refused_says_who_claimed_it_and_when(case, mash_officer, mash_officer2):
    with time_machine.travel(DAY - timedelta(hours=1), tick=False):
        c = case()
    with time_machine.travel(DAY, tick=False):
        c = services.case_claim(actor=mash_officer, case=c)
    with time_machine.travel(DAY + timedelta(hours=1), tick=False):
        # A later change to the case (the handover accepted) is not the time of the claim.
        services.ownership_accept(actor=mash_officer, case=c)
    _refused(
        Conflict,
        lambda: services.case_claim(actor=mash_officer2, case=c),
        message=f"{mash_officer} claimed this case at {DAY_TEXT}.",
        code="already_claimed",
    )


def test_an_assessed_case_cannot_be_claimed_or_assessed_again(case, mash_officer, mash_officer2):
    c = services.case_assess(actor=mash_officer, case=case(), final_level="medium", notes="Done.")
    for who in (mash_officer, mash_officer2):
        _refused(
            Conflict,
            lambda who=who: services.case_claim(actor=who, case=c),
            message="This case's secondary assessment is already complete.",
        )
    _refused(
        Conflict,
        lambda: services.case_assess(actor=mash_officer, case=c, final_level="medium", notes="x"),
        message="This case's secondary assessment is already complete.",
    )


# --- The secondary assessment ---------------------------------------------------------------


def test_assessment_refusals_name_their_field(case, mash_officer, mash_officer2):
    c = case("medium")
    _refused(
        DomainError,
        lambda: services.case_assess(actor=mash_officer, case=c, final_level="severe", notes="x"),
        message="Choose high, medium or standard.",
        field="final_level",
    )
    _refused(
        DomainError,
        lambda: services.case_assess(
            actor=mash_officer, case=c, final_level="high", reason="   ", notes="x"
        ),
        message="Give the reason the MASH level differs from the DASH's (medium).",
        field="reason",
    )
    _refused(
        DomainError,
        lambda: services.case_assess(actor=mash_officer, case=c, final_level="medium", notes=" "),
        message="Summarise the secondary assessment.",
        field="notes",
    )
    _refused(
        DomainError,
        lambda: services.case_assess(actor=mash_officer, case=c, final_level="medium"),
        message="Summarise the secondary assessment.",
        field="notes",
    )
    # Refused before anything is written: still waiting, nobody's claim.
    c.refresh_from_db()
    assert (c.status, c.claimed_by_id) == ("waiting", None)
    with time_machine.travel(DAY, tick=False):
        services.case_claim(actor=mash_officer, case=c)
    _refused(
        Conflict,
        lambda: services.case_assess(actor=mash_officer2, case=c, final_level="medium", notes="x"),
        message=f"{mash_officer} claimed this case at {DAY_TEXT}.",
        code="already_claimed",
    )


def test_the_assessment_is_audited_with_its_reason_and_stops_both_clocks(case, mash_officer):
    with time_machine.travel(DAY, tick=False):
        c = case("high")
    with time_machine.travel(DAY + timedelta(minutes=30), tick=False):
        c = services.case_assess(
            actor=mash_officer,
            case=c,
            final_level="medium",
            reason="  Perpetrator remanded  ",
            notes="  Checked with health.  ",
        )
    c.refresh_from_db()
    assert (c.status, c.final_level, c.level, c.priority) == ("assessed", "medium", "medium", 2)
    assert (c.level_reason, c.assessment_notes) == ("Perpetrator remanded", "Checked with health.")
    assert (c.assessed_by_id, c.assessed_at) == (mash_officer.pk, DAY + timedelta(minutes=30))
    assert c.claimed_by_id == mash_officer.pk
    assert _audit("mash.case.claimed", c).get().actor_id == mash_officer.pk
    event = _audit("mash.case.assessed", c).get()
    assert (event.actor_id, event.reason) == (mash_officer.pk, "Perpetrator remanded")
    assert event.changes == {
        "status": ["in_progress", "assessed"],
        "final_level": ["", "medium"],
        "level": ["high", "medium"],
        "priority": [3, 2],
        "level_reason": ["", "Perpetrator remanded"],
        "assessment_notes": ["", "Checked with health."],
        "assessed_by": [None, mash_officer.pk],
        "assessed_at": [None, "2026-12-01T10:30:00+00:00"],
    }
    assert _deadline(START_DEADLINE, c).cancelled_at is not None
    assert _deadline(COMPLETE_DEADLINE, c).cancelled_at is not None
    c.incident.refresh_from_db()
    assert c.incident.risk_level == "medium"


def test_agreeing_with_the_incidents_level_leaves_the_incident_alone(case, mash_officer):
    c = case("medium")
    services.case_claim(actor=mash_officer, case=c)
    services.case_assess(actor=mash_officer, case=c, final_level="medium", notes="Agreed.")
    assert not AuditEvent.objects.filter(
        action="incidents.incident.risk_level_set", actor=mash_officer
    ).exists()
    assert _audit("mash.case.claimed", c).count() == 1  # claimed already: not claimed twice


# --- Information ----------------------------------------------------------------------------


def test_information_refusals_name_their_field(case, mash_officer):
    c = case()
    with time_machine.travel(DAY, tick=False):
        _refused(
            DomainError,
            lambda: services.information_add(
                actor=mash_officer, case=c, source="gossip", received_on=DAY.date(), summary="x"
            ),
            message="Choose the agency.",
            field="source",
        )
        _refused(
            DomainError,
            lambda: services.information_add(
                actor=mash_officer, case=c, source="health", received_on=DAY.date(), summary="  "
            ),
            message="Write what the agency told you.",
            field="summary",
        )
        _refused(
            DomainError,
            lambda: services.information_add(
                actor=mash_officer,
                case=c,
                source="health",
                received_on=DAY.date() + timedelta(days=1),
                summary="x",
            ),
            message="The date cannot be in the future.",
            field="received_on",
        )
    assert not InformationEntry.objects.exists()


def test_information_from_today_is_kept_stripped_and_audited(case, mash_officer):
    c = case()
    with time_machine.travel(DAY, tick=False):
        entry = services.information_add(
            actor=mash_officer, case=c, source="health", received_on=DAY.date(), summary=" A&E "
        )
    entry = InformationEntry.objects.get(pk=entry.pk)
    assert (entry.case_id, entry.source, entry.received_on, entry.summary) == (
        c.pk,
        "health",
        DAY.date(),
        "A&E",
    )
    assert (entry.recorded_by_id, entry.recorded_at, entry.agency_id) == (
        mash_officer.pk,
        DAY,
        None,
    )
    event = _audit("mash.information.added", entry).get()
    assert event.actor_id == mash_officer.pk
    assert event.changes == {
        "case": [None, c.pk],
        "source": [None, "health"],
        "received_on": [None, "2026-12-01"],
        "summary": [None, "A&E"],
        "agency": [None, None],
    }


def test_a_partners_information_carries_their_agency(case, mash_officer, make_user, agency_health):
    c = case()
    services.referral_make(actor=mash_officer, case=c, kind="health", agency=agency_health)
    partner = make_user("partner", agency=agency_health)
    entry = services.information_add(
        actor=partner, case=c, source="health", received_on=date(2026, 11, 1), summary="GP notes"
    )
    assert InformationEntry.objects.get(pk=entry.pk).agency_id == agency_health.pk
    assert _audit("mash.information.added", entry).get().changes["agency"] == [
        None,
        agency_health.pk,
    ]


# --- The safeguarding plan ------------------------------------------------------------------


def _action(text="Refer to IDVA", owner="Jo Marsh", agency="idva", due=date(2026, 12, 3), **kw):
    return ActionInput(description=text, owner_name=owner, owner_agency=agency, due_on=due, **kw)


@pytest.mark.parametrize(
    ("action", "message", "field"),
    [
        (_action(text=" "), "Say what the action is.", "actions-1-description"),
        (_action(owner=" "), "Name who owns the action.", "actions-1-owner_name"),
        (_action(agency="gossip"), "Choose the owner's agency.", "actions-1-owner_agency"),
        (_action(due=None), "Give the date it is due.", "actions-1-due_on"),
    ],
)
def test_each_action_refusal_names_the_row_and_field(case, mash_officer, action, message, field):
    c = case()
    blank = _action(text=" ", owner=" ", due=None)  # an empty row of the form: skipped
    _refused(
        DomainError,
        lambda: services.plan_save(
            actor=mash_officer, case=c, version=0, summary="S", actions=[_action(), blank, action]
        ),
        message=message,
        field=field,
    )
    c.refresh_from_db()
    assert (c.plan_version, c.plan_summary) == (0, "")
    assert not c.actions.exists()


def test_a_row_with_only_a_due_date_is_not_an_empty_row(case, mash_officer):
    _refused(
        DomainError,
        lambda: services.plan_save(
            actor=mash_officer,
            case=case(),
            version=0,
            summary="S",
            actions=[_action(text="", owner="", agency="")],
        ),
        message="Say what the action is.",
        field="actions-0-description",
    )


def test_a_row_with_only_an_owner_is_not_an_empty_row(case, mash_officer):
    _refused(
        DomainError,
        lambda: services.plan_save(
            actor=mash_officer,
            case=case(),
            version=0,
            summary="S",
            actions=[_action(text="", due=None)],
        ),
        message="Say what the action is.",
        field="actions-0-description",
    )


def test_the_plan_is_saved_in_order_stripped_and_audited(case, mash_officer):
    c = case()
    with time_machine.travel(DAY, tick=False):
        c = services.plan_save(
            actor=mash_officer,
            case=c,
            version=0,
            summary="  Keep her safe  ",
            actions=[
                _action(" Alarm ", " PC Reed ", "police", date(2026, 12, 2)),
                _action(text="", owner="", due=None),
                _action(done=True),
            ],
        )
    c.refresh_from_db()
    assert (c.plan_summary, c.plan_version, c.plan_updated_by_id, c.plan_updated_at) == (
        "Keep her safe",
        1,
        mash_officer.pk,
        DAY,
    )
    rows = list(
        c.actions.values_list(
            "position", "description", "owner_name", "owner_agency", "due_on", "done"
        )
    )
    assert rows == [
        (0, "Alarm", "PC Reed", "police", date(2026, 12, 2), False),
        (1, "Refer to IDVA", "Jo Marsh", "idva", date(2026, 12, 3), True),
    ]
    event = _audit("mash.plan.saved", c).get()
    assert event.actor_id == mash_officer.pk
    assert event.changes == {
        "plan_summary": ["", "Keep her safe"],
        "plan_version": [0, 1],
        "actions": [
            [],
            [
                "Alarm | PC Reed (police) | 2026-12-02",
                "Refer to IDVA | Jo Marsh (idva) | 2026-12-03 | done",
            ],
        ],
    }


def test_saving_the_same_actions_again_audits_no_action_change(case, mash_officer):
    c = case()
    services.plan_save(actor=mash_officer, case=c, version=0, summary="A", actions=[_action()])
    services.plan_save(actor=mash_officer, case=c, version=1, summary="B", actions=[_action()])
    second = _audit("mash.plan.saved", c).order_by("pk").last()
    assert second.changes == {"plan_summary": ["A", "B"], "plan_version": [1, 2]}
    services.plan_save(actor=mash_officer, case=c, version=2, summary="B", actions=[])
    third = _audit("mash.plan.saved", c).order_by("pk").last()
    assert third.changes == {
        "plan_version": [2, 3],
        "actions": [["Refer to IDVA | Jo Marsh (idva) | 2026-12-03"], []],
    }
    assert not c.actions.exists()


def test_a_stale_plan_is_refused_naming_who_saved_and_when(case, mash_officer, mash_officer2):
    c = case()
    with time_machine.travel(DAY, tick=False):
        services.plan_save(actor=mash_officer, case=c, version=0, summary="A", actions=[])
    _refused(
        Conflict,
        lambda: services.plan_save(
            actor=mash_officer2, case=c, version=0, summary="B", actions=[_action()]
        ),
        message=(
            f"{mash_officer} saved this plan at {DAY_TEXT}, after you opened it. Your changes "
            "are not saved: they are below, with the plan as it is now."
        ),
        code="plan_changed",
    )
    # A version from the future is stale too.
    with pytest.raises(Conflict):
        services.plan_save(actor=mash_officer2, case=c, version=5, summary="B", actions=[])
    c.refresh_from_db()
    assert (c.plan_summary, c.plan_version) == ("A", 1)


# --- Referrals ------------------------------------------------------------------------------


def test_referral_refusals_name_their_field(case, mash_officer, agency_housing):
    c = case()
    with time_machine.travel(DAY, tick=False):
        _refused(
            DomainError,
            lambda: services.referral_make(actor=mash_officer, case=c, kind="astrologer"),
            message="Choose who the referral is to.",
            field="kind",
        )
        _refused(
            DomainError,
            lambda: services.referral_make(
                actor=mash_officer, case=c, kind="health", agency=agency_housing
            ),
            message="That agency does not take this kind of referral.",
            field="agency",
        )
        _refused(
            DomainError,
            lambda: services.referral_make(
                actor=mash_officer, case=c, kind="sanctuary", agency=agency_housing
            ),
            message="That agency does not take this kind of referral.",
            field="agency",
        )
        _refused(
            DomainError,
            lambda: services.referral_make(
                actor=mash_officer, case=c, kind="housing", due_at=DAY - timedelta(seconds=1)
            ),
            message="The due date cannot be in the past.",
            field="due_at",
        )
    assert not Referral.objects.exists()


def test_a_referral_is_kept_with_its_due_time_audited_and_watched(
    case, mash_officer, agency_housing
):
    c = case()
    with time_machine.travel(DAY, tick=False):
        r = services.referral_make(
            actor=mash_officer,
            case=c,
            kind="housing",
            agency=agency_housing,
            due_at=DAY,  # due at once: not in the past
            notes="  Emergency move  ",
        )
    r = Referral.objects.get(pk=r.pk)
    assert (r.case_id, r.kind, r.agency_id, r.made_by_id, r.made_at, r.due_at, r.notes) == (
        c.pk,
        "housing",
        agency_housing.pk,
        mash_officer.pk,
        DAY,
        DAY,
        "Emergency move",
    )
    assert r.status == "made"
    event = _audit("mash.referral.made", r).get()
    assert event.actor_id == mash_officer.pk
    assert event.changes == {
        "case": [None, c.pk],
        "kind": [None, "housing"],
        "agency": [None, agency_housing.pk],
        "status": [None, "made"],
        "due_at": [None, "2026-12-01T10:00:00+00:00"],
    }
    assert _deadline(REFERRAL_DEADLINE, r).due_at == DAY


def test_a_second_open_referral_of_a_kind_is_refused_and_a_closed_one_is_not(
    case, mash_officer, agency_housing
):
    c = case()
    first = services.referral_make(actor=mash_officer, case=c, kind="housing")
    _refused(
        Conflict,
        lambda: services.referral_make(actor=mash_officer, case=c, kind="housing"),
        message="A Housing referral is already open for this case.",
        field="kind",
    )
    services.referral_respond(actor=mash_officer, referral=first, status="accepted")
    with pytest.raises(Conflict):
        services.referral_make(actor=mash_officer, case=c, kind="housing")
    services.referral_make(actor=mash_officer, case=c, kind="health")  # another kind: fine
    services.referral_respond(actor=mash_officer, referral=first, status="completed")
    again = services.referral_make(actor=mash_officer, case=c, kind="housing")
    assert again.pk != first.pk


def test_only_a_marac_referral_sends_the_marac_signal(
    case, mash_officer, django_capture_on_commit_callbacks
):
    heard = []

    def receiver(sender, **kwargs):
        heard.append(kwargs["referral_id"])

    signals.marac_referral_made.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.referral_make(actor=mash_officer, case=case(), kind="idva")
        assert heard == []
    finally:
        signals.marac_referral_made.disconnect(receiver)


def test_answer_refusals_name_their_field_and_the_status(case, mash_officer):
    r = services.referral_make(actor=mash_officer, case=case(), kind="housing")
    _refused(
        DomainError,
        lambda: services.referral_respond(actor=mash_officer, referral=r, status="made"),
        message="Choose accepted, declined or completed.",
        field="status",
    )
    _refused(
        DomainError,
        lambda: services.referral_respond(
            actor=mash_officer, referral=r, status="declined", note="  "
        ),
        message="Say why the referral is declined.",
        field="note",
    )
    services.referral_respond(actor=mash_officer, referral=r, status="accepted")
    _refused(
        Conflict,
        lambda: services.referral_respond(actor=mash_officer, referral=r, status="accepted"),
        message="This referral is already accepted.",
        code="referral_closed",
    )
    services.referral_respond(actor=mash_officer, referral=r, status="declined", note="Moved")
    for status in ("accepted", "completed"):
        _refused(
            Conflict,
            lambda status=status: services.referral_respond(
                actor=mash_officer, referral=r, status=status
            ),
            message="This referral is already declined.",
            code="referral_closed",
        )


def test_a_referral_made_can_be_completed_at_once(case, mash_officer):
    r = services.referral_make(actor=mash_officer, case=case(), kind="housing")
    r = services.referral_respond(actor=mash_officer, referral=r, status="completed")
    assert Referral.objects.get(pk=r.pk).status == "completed"


def test_answers_are_audited_and_only_closing_stops_the_clock(case, mash_officer, make_user):
    idva = Agency.objects.create(name="IDVA", code="idva-z", kind="idva")
    partner = make_user("partner", agency=idva)
    r = services.referral_make(actor=mash_officer, case=case(), kind="idva", agency=idva)
    with time_machine.travel(DAY, tick=False):
        services.referral_respond(actor=partner, referral=r, status="accepted", note=" Yes ")
    assert _deadline(REFERRAL_DEADLINE, r).cancelled_at is None
    r.refresh_from_db()
    assert (r.status, r.response_note, r.responded_by_id, r.responded_at) == (
        "accepted",
        "Yes",
        partner.pk,
        DAY,
    )
    event = _audit("mash.referral.answered", r).get()
    assert (event.actor_id, event.reason) == (partner.pk, "Yes")
    assert event.changes == {
        "status": ["made", "accepted"],
        "response_note": ["", "Yes"],
        "responded_by": [None, partner.pk],
        "responded_at": [None, "2026-12-01T10:00:00+00:00"],
    }
    services.referral_respond(actor=partner, referral=r, status="declined", note="Moved away")
    assert _deadline(REFERRAL_DEADLINE, r).cancelled_at is not None


# --- Operation Encompass --------------------------------------------------------------------


def _notice(case):
    return EncompassNotice.objects.get(case=case("medium", children=True))


def test_notice_refusals_name_their_field(case, mash_officer):
    notice = _notice(case)
    for child, school, message, field in (
        (" ", "Park", "Name the child.", "child_name"),
        ("Sam", " ", "Name the child's school.", "school"),
    ):
        _refused(
            DomainError,
            lambda child=child, school=school: services.notice_send(
                actor=mash_officer,
                notice=notice,
                child_name=child,
                school=school,
                present=True,
                welfare_check=False,
            ),  # fmt: skip
            message=message,
            field=field,
        )
    assert EncompassNotice.objects.get(pk=notice.pk).status == "pending"


def test_sending_a_notice_is_audited_and_a_second_send_says_who_and_when(
    case, mash_officer, mash_officer2
):
    notice = _notice(case)
    with time_machine.travel(DAY, tick=False):
        services.notice_send(
            actor=mash_officer, notice=notice, child_name=" Sam ", school=" Park ",
            present=False, welfare_check=True,
        )  # fmt: skip
    notice.refresh_from_db()
    assert (notice.child_name, notice.school, notice.present, notice.welfare_check) == (
        "Sam",
        "Park",
        False,
        True,
    )
    assert (notice.status, notice.sent_by_id, notice.sent_at) == ("sent", mash_officer.pk, DAY)
    event = _audit("mash.encompass.sent", notice).get()
    assert event.actor_id == mash_officer.pk
    assert event.changes == {
        "status": ["pending", "sent"],
        "child_name": ["", "Sam"],
        "school": ["", "Park"],
        "present": [None, False],
        "welfare_check": [None, True],
        "sent_by": [None, mash_officer.pk],
        "sent_at": [None, "2026-12-01T10:00:00+00:00"],
    }
    _refused(
        Conflict,
        lambda: services.notice_send(
            actor=mash_officer2,
            notice=notice,
            child_name="Sam",
            school="Park",
            present=True,
            welfare_check=True,
        ),  # fmt: skip
        message=f"{mash_officer} recorded this notice as sent at {DAY_TEXT}.",
    )


# --- Ownership of safeguarding --------------------------------------------------------------


def _owned_by(case, mash_officer):
    """A case whose team offer the MASH officer accepted (no offer pending)."""
    return services.ownership_accept(actor=mash_officer, case=case())


@pytest.mark.parametrize(
    "who",
    [
        lambda make_user: make_user("analyst"),  # no MASH permission
        lambda make_user: make_user("partner", agency=Agency.objects.get(code="health")),
        lambda make_user: _inactive(make_user("investigator")),
    ],
)
def test_a_handover_goes_only_to_an_active_officer_who_works_mash_cases(
    case, mash_officer, make_user, agency_health, who
):
    c = _owned_by(case, mash_officer)
    _refused(
        DomainError,
        lambda: services.ownership_offer(actor=mash_officer, case=c, to=who(make_user)),
        message="Offer it to a police officer who can work MASH cases.",
        field="to",
    )


def _inactive(user):
    user.is_active = False
    user.save(update_fields=["is_active"])
    return user


def test_offer_refusals_say_why(case, officer, mash_officer, make_user):
    c = case()
    _refused(
        Conflict,
        lambda: services.ownership_offer(actor=officer, case=c, to=make_user("investigator")),
        message="A handover is already on offer: it must be accepted or withdrawn first.",
        code="offer_pending",
    )
    c = services.ownership_accept(actor=mash_officer, case=c)
    investigator = make_user("investigator")
    services.ownership_offer(actor=mash_officer, case=c, to=investigator)  # no note
    c.refresh_from_db()
    assert c.offer_note == ""
    assert _audit("mash.ownership.offered", c).get().reason == ""
    services.ownership_withdraw(actor=mash_officer, case=c)
    _refused(
        DomainError,
        lambda: services.ownership_offer(actor=mash_officer, case=c, to=mash_officer),
        message="They already own safeguarding of this case.",
        field="to",
    )


def test_an_offer_is_audited_with_its_note(case, mash_officer, make_user):
    c = _owned_by(case, mash_officer)
    investigator = make_user("investigator")
    with time_machine.travel(DAY, tick=False):
        services.ownership_offer(actor=mash_officer, case=c, to=investigator, note="  CID  ")
    c.refresh_from_db()
    assert (c.offer_to_id, c.offer_to_team, c.offer_by_id, c.offer_at, c.offer_note) == (
        investigator.pk,
        "",
        mash_officer.pk,
        DAY,
        "CID",
    )
    assert c.owner_id == mash_officer.pk
    event = _audit("mash.ownership.offered", c).get()
    assert (event.actor_id, event.reason) == (mash_officer.pk, "CID")
    assert event.changes == {
        "offer_to": [None, investigator.pk],
        "offer_by": [None, mash_officer.pk],
        "offer_at": [None, "2026-12-01T10:00:00+00:00"],
        "offer_note": ["", "CID"],
    }


def test_withdraw_refusals_say_why(case, officer, mash_officer):
    c = case()
    _refused(
        DomainError,
        lambda: services.ownership_withdraw(actor=officer, case=c),
        message="A handover to a team stays on offer until it is accepted.",
    )
    c = services.ownership_accept(actor=mash_officer, case=c)
    _refused(
        Conflict,
        lambda: services.ownership_withdraw(actor=mash_officer, case=c),
        message="No handover is on offer.",
        code="no_offer",
    )


@pytest.mark.parametrize("by_recipient", [True, False])
def test_a_withdrawn_or_declined_offer_is_cleared_and_audited(
    case, mash_officer, make_user, by_recipient
):
    c = _owned_by(case, mash_officer)
    investigator = make_user("investigator")
    with time_machine.travel(DAY, tick=False):
        services.ownership_offer(actor=mash_officer, case=c, to=investigator, note="CID")
    actor = investigator if by_recipient else mash_officer
    reason = "  Not mine  " if by_recipient else None
    services.ownership_withdraw(actor=actor, case=c, **({"reason": reason} if reason else {}))
    c.refresh_from_db()
    assert (c.offer_to_id, c.offer_to_team, c.offer_by_id, c.offer_at, c.offer_note) == (
        None,
        "",
        None,
        None,
        "",
    )
    assert c.owner_id == mash_officer.pk
    action = "declined" if by_recipient else "withdrawn"
    event = _audit(f"mash.ownership.{action}", c).get()
    assert (event.actor_id, event.reason) == (actor.pk, "Not mine" if by_recipient else "")
    assert event.changes == {
        "offer_to": [investigator.pk, None],
        "offer_by": [mash_officer.pk, None],
        "offer_at": ["2026-12-01T10:00:00+00:00", None],
        "offer_note": ["CID", ""],
    }


def test_accepting_with_no_offer_says_who_owns_it_since_when(case, mash_officer, mash_officer2):
    with time_machine.travel(DAY, tick=False):
        c = _owned_by(case, mash_officer)
    _refused(
        Conflict,
        lambda: services.ownership_accept(actor=mash_officer2, case=c),
        message=f"No handover is on offer: {mash_officer} owns safeguarding since {DAY_TEXT}.",
        code="no_offer",
    )


def test_the_owner_cannot_accept_their_own_teams_offer(case, officer):
    """An attending officer who is also MASH staff owns the case they attended: the team
    offer is not theirs to accept."""
    from django.contrib.auth.models import Group

    from dapolice.accounts.choices import Role

    c = case()
    officer.groups.add(Group.objects.get(name=Role.MASH))
    officer = type(officer).objects.get(pk=officer.pk)
    _refused(
        DomainError,
        lambda: services.ownership_accept(actor=officer, case=c),
        message="You already own safeguarding of this case.",
    )


def test_accepting_is_audited_and_closes_the_ledger_at_that_moment(case, officer, mash_officer):
    with time_machine.travel(DAY, tick=False):
        c = case()
    with time_machine.travel(DAY + timedelta(hours=2), tick=False):
        services.ownership_accept(actor=mash_officer, case=c)
    c.refresh_from_db()
    assert (c.owner_id, c.owner_since) == (mash_officer.pk, DAY + timedelta(hours=2))
    first, second = OwnershipPeriod.objects.filter(case=c).order_by("started_at", "pk")
    assert first.ended_at == second.started_at == DAY + timedelta(hours=2)
    assert (second.owner_id, second.how, second.offered_by_id, second.note) == (
        mash_officer.pk,
        "accepted",
        officer.pk,
        "",
    )
    event = _audit("mash.ownership.accepted", c).get()
    assert event.actor_id == mash_officer.pk
    assert event.changes == {
        "owner": [officer.pk, mash_officer.pk],
        "owner_since": [c.incident.arrived_at.isoformat(), "2026-12-01T12:00:00+00:00"],
        "offer_to_team": ["mash", ""],
        "offer_by": [officer.pk, None],
        "offer_at": ["2026-12-01T10:00:00+00:00", None],
    }


# --- Contact plan and contacts --------------------------------------------------------------


def test_the_spoc_must_be_active_staff(case, mash_officer, make_user, agency_health):
    c = case()
    for spoc in (_inactive(make_user("mash")), make_user()):
        _refused(
            DomainError,
            lambda spoc=spoc: services.contact_plan_save(
                actor=mash_officer, person=c.victim, data=ContactPlanInput(spoc_id=spoc.pk)
            ),
            message="Choose an active member of staff.",
            field="spoc",
        )
    _refused(
        DomainError,
        lambda: services.contact_plan_save(
            actor=mash_officer, person=c.victim, data=ContactPlanInput(spoc_id=999999)
        ),
        message="Choose an active member of staff.",
        field="spoc",
    )
    partner = make_user("partner", agency=agency_health)
    plan = services.contact_plan_save(
        actor=mash_officer, person=c.victim, data=ContactPlanInput(spoc_id=partner.pk)
    )
    assert plan.spoc_id == partner.pk


@pytest.mark.parametrize(("safe_from", "safe_until"), [(time(9, 0), None), (None, time(17, 0))])
def test_half_a_safe_window_is_refused(case, mash_officer, safe_from, safe_until):
    c = case()
    _refused(
        DomainError,
        lambda: services.contact_plan_save(
            actor=mash_officer,
            person=c.victim,
            data=ContactPlanInput(safe_from=safe_from, safe_until=safe_until),
        ),
        message="Give both ends of the safe times, or neither.",
        field="safe_from",
    )
    assert not ContactPlan.objects.exists()


def test_an_empty_safe_window_is_refused_with_its_message(case, mash_officer):
    c = case()
    _refused(
        DomainError,
        lambda: services.contact_plan_save(
            actor=mash_officer,
            person=c.victim,
            data=ContactPlanInput(safe_from=time(9, 0), safe_until=time(9, 0)),
        ),
        message="The safe times cannot start and end at the same time.",
        field="safe_until",
    )


def test_the_contact_plan_is_stored_stripped_and_audited_only_when_it_changes(case, mash_officer):
    c = case()
    data = ContactPlanInput(
        spoc_id=mash_officer.pk, safe_phone=" 07700 900123 ", safe_email=" s@example.org ",
        safe_from=time(9, 0), safe_until=time(15, 0), safe_times_note=" school run ",
        no_voicemail=True, code_word=" bluebell ", instructions=" text first ",
    )  # fmt: skip
    plan = services.contact_plan_save(actor=mash_officer, person=c.victim, data=data)
    plan = ContactPlan.objects.get(pk=plan.pk)
    assert (plan.person_id, plan.spoc_id, plan.safe_phone, plan.safe_email) == (
        c.victim_id,
        mash_officer.pk,
        "07700 900123",
        "s@example.org",
    )
    assert (plan.safe_from, plan.safe_until, plan.safe_times_note) == (
        time(9, 0),
        time(15, 0),
        "school run",
    )
    assert (plan.no_voicemail, plan.code_word, plan.instructions) == (
        True,
        "bluebell",
        "text first",
    )
    event = _audit("mash.contact_plan.saved", plan).get()
    assert event.actor_id == mash_officer.pk
    assert event.changes == {
        "spoc": [None, mash_officer.pk],
        "safe_phone": ["", "07700 900123"],
        "safe_email": ["", "s@example.org"],
        "safe_from": [None, "09:00:00"],
        "safe_until": [None, "15:00:00"],
        "safe_times_note": ["", "school run"],
        "no_voicemail": [False, True],
        "code_word": [False, True],
        "instructions": ["", "text first"],
    }
    services.contact_plan_save(actor=mash_officer, person=c.victim, data=data)  # the same
    assert _audit("mash.contact_plan.saved", plan).count() == 1
    services.contact_plan_save(
        actor=mash_officer, person=c.victim, data=ContactPlanInput(code_word="daisy")
    )
    last = _audit("mash.contact_plan.saved", plan).order_by("pk").last()
    assert last.changes["code_word"] == [True, True]  # changed, its value never written
    assert last.changes["spoc"] == [mash_officer.pk, None]
    assert ContactPlan.objects.count() == 1


@pytest.mark.parametrize(
    ("channel", "outcome", "at", "message", "field"),
    [
        ("pigeon", "spoke", None, "Choose how you made contact.", "channel"),
        ("phone", "shrug", None, "Choose the outcome.", "outcome"),
        (
            "phone",
            "spoke",
            DAY + timedelta(seconds=1),
            "The time of the contact cannot be in the future.",
            "at",
        ),
    ],
)
def test_contact_refusals_name_their_field(
    case, mash_officer, channel, outcome, at, message, field
):
    c = case()
    with time_machine.travel(DAY, tick=False):
        _refused(
            DomainError,
            lambda: services.contact_log(
                actor=mash_officer, person=c.victim, channel=channel, outcome=outcome, at=at
            ),
            message=message,
            field=field,
        )
    assert not Contact.objects.exists()


def test_no_voicemail_refusal_names_the_outcome(case, mash_officer):
    c = case()
    services.contact_plan_save(
        actor=mash_officer, person=c.victim, data=ContactPlanInput(no_voicemail=True)
    )
    _refused(
        DomainError,
        lambda: services.contact_log(
            actor=mash_officer, person=c.victim, channel="phone", outcome="voicemail"
        ),
        message="The victim's instructions say no voicemail: a message must not be left.",
        field="outcome",
    )
    services.contact_plan_save(
        actor=mash_officer, person=c.victim, data=ContactPlanInput(no_voicemail=False)
    )
    services.contact_log(actor=mash_officer, person=c.victim, channel="phone", outcome="voicemail")


def test_a_contact_is_stored_with_its_case_and_agency_and_audited(
    case, mash_officer, make_user, agency_health
):
    c = case()
    services.referral_make(actor=mash_officer, case=c, kind="health", agency=agency_health)
    partner = make_user("partner", agency=agency_health)
    with time_machine.travel(DAY, tick=False):
        contact = services.contact_log(
            actor=partner, person=c.victim, channel="phone", outcome="spoke",
            notes="  Safe now  ", at=DAY, case=c,
        )  # fmt: skip
        default_time = services.contact_log(
            actor=mash_officer, person=c.victim, channel="text", outcome="message_sent"
        )
    contact = Contact.objects.get(pk=contact.pk)
    assert (contact.person_id, contact.case_id, contact.made_by_id, contact.agency_id) == (
        c.victim_id,
        c.pk,
        partner.pk,
        agency_health.pk,
    )
    assert (contact.at, contact.channel, contact.outcome, contact.notes) == (
        DAY,
        "phone",
        "spoke",
        "Safe now",
    )
    assert Contact.objects.get(pk=default_time.pk).notes == ""
    assert Contact.objects.get(pk=default_time.pk).at == DAY
    event = _audit("mash.contact.logged", contact).get()
    assert event.actor_id == partner.pk
    assert event.changes == {
        "person": [None, c.victim_id],
        "case": [None, c.pk],
        "at": [None, "2026-12-01T10:00:00+00:00"],
        "channel": [None, "phone"],
        "outcome": [None, "spoke"],
    }


def test_a_contact_by_someone_else_while_typing_is_named_in_the_refusal(
    case, mash_officer, officer
):
    c = case()
    with time_machine.travel(DAY, tick=False):
        services.contact_log(
            actor=officer, person=c.victim, channel="phone", outcome="no_answer",
            at=DAY - timedelta(minutes=30),
        )  # fmt: skip
        services.contact_log(
            actor=officer, person=c.victim, channel="in_person", outcome="spoke",
            at=DAY - timedelta(minutes=5),
        )  # fmt: skip
        _refused(
            Conflict,
            lambda: services.contact_log(
                actor=mash_officer,
                person=c.victim,
                channel="phone",
                outcome="spoke",
                seen_up_to=0,
            ),  # fmt: skip
            message=(
                f"{officer} logged a contact with the victim at 09:55, 1 Dec 2026 (in person: "
                "spoke to the victim) while you were typing. Check it before contacting again; "
                "nothing of yours was saved."
            ),
            code="recent_contact",
        )
    assert Contact.objects.count() == 2


@override_settings(DAPOLICE_SILENT_VICTIM_MIN_INCIDENTS=2, DAPOLICE_SILENT_VICTIM_MONTHS=3)
def test_the_welfare_sweep_sets_one_deadline_per_repeat_victim(log_incident):
    from incidents.models import Person

    with time_machine.travel(DAY, tick=False):
        first = log_incident()
        victim = Person.objects.get(involvements__incident=first, involvements__role="victim")
        log_incident(victim=victim, received_at=DAY)
        log_incident()  # another victim, once: not a repeat victim
        assert services.welfare_deadlines_refresh() == 1
    deadline = Deadline.objects.get(kind=SILENT_VICTIM_DEADLINE)
    assert (deadline.subject_type, deadline.subject_id) == ("incidents.person", str(victim.pk))
    assert deadline.due_at == datetime(2027, 3, 1, 10, 0, tzinfo=UTC)


def test_a_police_officers_information_carries_no_agency_even_with_one_on_their_account(
    case, make_user
):
    """Only a partner's entry is tied to their agency (what they read back); a MASH officer
    whose account names an agency still writes for the MASH as a whole."""
    police = Agency.objects.create(name="Constabulary", code="police-x", kind="police")
    seconded = make_user("mash", agency=police)
    entry = services.information_add(
        actor=seconded,
        case=case(),
        source="police",
        received_on=date(2026, 11, 1),
        summary="PNC check",
    )
    assert InformationEntry.objects.get(pk=entry.pk).agency_id is None


def test_ones_own_contact_logged_meanwhile_is_no_conflict(case, mash_officer):
    c = case()
    with time_machine.travel(DAY, tick=False):
        services.contact_log(actor=mash_officer, person=c.victim, channel="phone", outcome="spoke")
        services.contact_log(
            actor=mash_officer, person=c.victim, channel="text", outcome="message_sent",
            seen_up_to=0,
        )  # fmt: skip
    assert Contact.objects.filter(person=c.victim).count() == 2


def test_a_referral_made_without_notes_has_none(case, mash_officer):
    r = services.referral_make(actor=mash_officer, case=case(), kind="housing")
    assert Referral.objects.get(pk=r.pk).notes == ""


def test_notices_are_for_the_children_of_this_incident_only(review):
    earlier = (PersonInput(role="child", given_name="Kim", family_name="Other"),)
    review("standard", children=True, others=earlier)
    mine = (PersonInput(role="child", given_name="Sam", family_name="Timson"),)
    assessment = review("standard", children=True, others=mine)
    c = MashCase.objects.get(assessment=assessment)
    assert [n.child_name for n in EncompassNotice.objects.filter(case=c)] == ["Sam Timson"]


def test_accepting_one_case_leaves_another_cases_ledger_open(case, mash_officer):
    other, c = case(), case()
    services.ownership_accept(actor=mash_officer, case=c)
    assert OwnershipPeriod.objects.filter(case=other, ended_at__isnull=True).count() == 1
    assert OwnershipPeriod.objects.filter(case=c, ended_at__isnull=True).get().owner_id == (
        mash_officer.pk
    )


def test_the_marac_signal_comes_from_the_referral_model(
    case, mash_officer, django_capture_on_commit_callbacks
):
    """Receivers may listen for ``sender=Referral`` only (the MARAC app does)."""
    heard = []

    def receiver(sender, **kwargs):
        heard.append(kwargs["referral_id"])

    signals.marac_referral_made.connect(receiver, sender=Referral)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            r = services.referral_make(actor=mash_officer, case=case("high"), kind="marac")
        assert heard == [r.pk]
    finally:
        signals.marac_referral_made.disconnect(receiver, sender=Referral)
