"""MARAC pages through the Django test client: the role matrix of every route, partners of
another agency get 404 (the same as a missing case), partners see only their agency's actions
and never an address, forms keep what was typed, the PDF, the CSV, audit rows, query budgets."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from dapolice.accounts.models import Agency
from dapolice.audit.models import AuditEvent
from incidents.services import address_mark_restricted
from marac import services
from marac.models import Action
from tests import dates
from tests.incidents.helpers import victim_of

ROUTES = [
    "cases", "refer", "case", "housing-action", "health-action", "meetings", "meeting",
    "agenda-pdf", "tracker", "return",
]  # fmt: skip


@pytest.fixture
def world(listed, log_incident, add_action, agency_housing, agency_health, health_user):
    """A case listed on a meeting inviting housing and health, an action for each, research by
    health; the victim lives at the incident's address (12 Mill Road)."""
    rosa = {"given_name": "Rosa", "family_name": "Reed", "lives_at_location": True}
    incident = log_incident(victim=rosa)
    case = listed(person=victim_of(incident), incident=incident)
    housing = add_action(case, agency_housing, description="Fit extra locks")
    health = add_action(case, agency_health, description="GP to flag the records")
    services.research_add(
        actor=health_user, case=case, known_on=timezone.localdate(), summary="Seen at A&E twice"
    )
    return {"case": case, "housing": housing, "health": health, "meeting": case.meeting}


def _urls(w: dict[str, Any]) -> list[str]:
    return [
        reverse("marac:cases"),
        reverse("marac:refer"),
        reverse("marac:case-detail", args=[w["case"].pk]),
        reverse("marac:action-report", args=[w["housing"].pk]),
        reverse("marac:action-report", args=[w["health"].pk]),
        reverse("marac:meetings"),
        reverse("marac:meeting-detail", args=[w["meeting"].pk]),
        reverse("marac:agenda-pdf", args=[w["meeting"].pk]),
        reverse("marac:tracker"),
        reverse("marac:return"),
    ]


F = 403
N = 404
NONE = (F,) * 10
EXPECTED = {
    "marac_coordinator": (200,) * 10,
    # Partners: their cases, refer, the case, their own agency's action only.
    "housing": (200, 200, 200, 200, N, F, F, F, F, F),
    "health": (200, 200, 200, N, 200, F, F, F, F, F),
    # A partner whose agency was not invited: the case and its actions do not exist for them.
    "other_partner": (200, 200, N, N, N, F, F, F, F, F),
    # Analysts: the quarterly return (counts only).
    "analyst": (F, F, F, F, F, F, F, F, F, 200),
    **{
        role: NONE
        for role in (
            "call_taker",
            "control_supervisor",
            "attending_officer",
            "supervisor",
            "mash",
            "investigator",
            "sysadmin",
            "outsider",
        )  # fmt: skip
    },
}


def _user(role, personas, make_user, housing_user, health_user):
    if role == "housing":
        return housing_user
    if role == "health":
        return health_user
    if role == "other_partner":
        other = Agency.objects.create(name="Probation", code="probation", kind="probation")
        return make_user("partner", agency=other)
    return personas[role]


@pytest.mark.parametrize("role", list(EXPECTED))
def test_role_matrix_for_every_marac_page(
    personas, client_for, world, make_user, housing_user, health_user, role
):
    client = client_for(_user(role, personas, make_user, housing_user, health_user))
    got = tuple(client.get(url).status_code for url in _urls(world))
    assert dict(zip(ROUTES, got, strict=True)) == dict(zip(ROUTES, EXPECTED[role], strict=True))


POSTS = ["research", "discussion", "action", "close", "agenda", "report-housing"]


def _posts(w: dict[str, Any], agency: Agency) -> list[tuple[str, dict[str, str]]]:
    c = w["case"].pk
    today = timezone.localdate()
    return [
        (
            reverse("marac:research-add", args=[c]),
            {**dates.typed("known_on", today), "summary": "x"},
        ),
        (reverse("marac:discussion", args=[c]), {"discussion": "x"}),
        (
            reverse("marac:action-add", args=[c]),
            {
                "agency": str(agency.pk),
                "description": "x",
                "done_means": "y",
                **dates.typed("due_on", today),
            },
        ),
        (reverse("marac:case-close", args=[c]), {"level_after": "medium", "outcome": "same"}),
        (reverse("marac:agenda-build", args=[w["meeting"].pk]), {}),
        (
            reverse("marac:action-report", args=[w["housing"].pk]),
            {"kind": "done", "note": "x"},
        ),
    ]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("other_partner", (N, F, F, F, F, N)),
        ("health", (302, F, F, F, F, N)),
        ("mash", (F,) * 6),
        ("analyst", (F,) * 6),
    ],
)
def test_posts_are_refused_to_who_may_not_and_change_nothing(
    personas,
    client_for,
    world,
    make_user,
    housing_user,
    health_user,
    agency_housing,
    role,
    expected,
):
    client = client_for(_user(role, personas, make_user, housing_user, health_user))
    got = tuple(client.post(url, data).status_code for url, data in _posts(world, agency_housing))
    assert dict(zip(POSTS, got, strict=True)) == dict(zip(POSTS, expected, strict=True))
    assert Action.objects.filter(case=world["case"]).count() == 2
    world["housing"].refresh_from_db()
    assert world["housing"].status == "open"


def test_a_partner_sees_only_their_agencys_action_and_no_address_or_incident(
    client_for, world, housing_user, control_supervisor
):
    case = world["case"]
    address_mark_restricted(
        actor=control_supervisor, address=case.victim.address, reason="Refuge placement"
    )
    html = client_for(housing_user).get(reverse("marac:case-detail", args=[case.pk])).content
    assert b"Fit extra locks" in html
    assert b"GP to flag the records" not in html
    assert str(case.victim).encode() in html  # the minimum: who the case is about
    assert b"Mill Road" not in html
    assert b"Restricted address" not in html  # partners are shown no address at all
    assert case.incident.reference.encode() not in html
    # Research: before the meeting is held, only their own agency's (none).
    assert b"Seen at A&amp;E twice" not in html


def test_agencies_present_at_the_held_meeting_read_each_others_research(
    client_for, world, housing_user, coordinator, agency_housing
):
    meeting = world["meeting"]
    url = reverse("marac:case-detail", args=[world["case"].pk])
    with time_machine.travel(meeting.held_at + timedelta(hours=1)):
        services.meeting_record_held(actor=coordinator, meeting=meeting, attended=[agency_housing])
        html = client_for(housing_user).get(url).content
    assert b"Seen at A&amp;E twice" in html


def test_the_coordinator_never_sees_a_refuge_address_in_clear(
    client_for, world, coordinator, control_supervisor
):
    case = world["case"]
    address_mark_restricted(
        actor=control_supervisor, address=case.victim.address, reason="Refuge placement"
    )
    client = client_for(coordinator)
    for url in (
        reverse("marac:case-detail", args=[case.pk]),
        reverse("marac:meeting-detail", args=[world["meeting"].pk]),
    ):
        html = client.get(url).content
        assert b"Mill Road" not in html
        assert b"Restricted address" in html
    pdf = client.get(reverse("marac:agenda-pdf", args=[world["meeting"].pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    from marac.pdf import agenda_pdf
    from marac.selectors import agenda

    raw = agenda_pdf(world["meeting"], agenda(user=coordinator, meeting=world["meeting"]),
                     compress=False)  # fmt: skip
    assert b"Restricted address" in raw
    assert b"Mill Road" not in raw


def test_the_agenda_pdf_is_marked_and_audited(client_for, world, coordinator):
    from marac.pdf import agenda_pdf
    from marac.selectors import agenda

    rows = agenda(user=coordinator, meeting=world["meeting"])
    raw = agenda_pdf(world["meeting"], rows, compress=False)
    assert raw.count(b"OFFICIAL-SENSITIVE") >= 2
    assert world["case"].reference.encode() in raw
    response = client_for(coordinator).get(reverse("marac:agenda-pdf", args=[world["meeting"].pk]))
    assert response.status_code == 200
    assert f"marac-agenda-{world['meeting'].pk}.pdf" in response["Content-Disposition"]
    assert AuditEvent.objects.filter(actor=coordinator, action="marac.agenda.pdf").exists()
    exported = AuditEvent.objects.get(actor=coordinator, action="marac.agenda.exported")
    assert str(world["case"].pk) in [str(i) for i in exported.object_ids]


def test_every_read_of_a_case_and_an_action_is_audited(client_for, world, housing_user):
    client = client_for(housing_user)
    client.get(reverse("marac:case-detail", args=[world["case"].pk]))
    client.get(reverse("marac:action-report", args=[world["housing"].pk]))
    client.get(reverse("marac:cases"))
    actions = set(AuditEvent.objects.filter(actor=housing_user).values_list("action", flat=True))
    assert {"marac.case.read", "marac.action.read", "marac.case.listed"} <= actions
    listed = AuditEvent.objects.get(actor=housing_user, action="marac.action.listed")
    assert [str(i) for i in listed.object_ids] == [str(world["housing"].pk)]


def test_report_back_refused_keeps_what_was_typed(client_for, world, housing_user):
    url = reverse("marac:action-report", args=[world["housing"].pk])
    response = client_for(housing_user).post(url, {"kind": "done", "note": ""})
    assert response.status_code == 400
    assert b"Give the update." in response.content
    checked = re.search(rb'<input[^>]*value="done"[^>]*checked', response.content)
    assert checked is not None  # the choice typed is kept


def test_report_back_done_by_the_agency(client_for, world, housing_user):
    url = reverse("marac:action-report", args=[world["housing"].pk])
    response = client_for(housing_user).post(url, {"kind": "done", "note": "Locks fitted"})
    assert response.status_code == 302
    world["housing"].refresh_from_db()
    assert world["housing"].status == "done"


def test_an_action_refused_keeps_what_was_typed(client_for, world, coordinator, agency_housing):
    url = reverse("marac:action-add", args=[world["case"].pk])
    response = client_for(coordinator).post(
        url,
        {
            "agency": str(agency_housing.pk),
            "description": "Move the victim to a safe house",
            "done_means": "",
            **dates.typed("due_on", "1 1 2020"),
        },
    )
    assert response.status_code == 400
    assert b"Move the victim to a safe house" in response.content
    assert b"means for this action" in response.content


def test_closing_with_unreported_actions_is_refused_on_the_page(client_for, world, coordinator):
    url = reverse("marac:case-close", args=[world["case"].pk])
    response = client_for(coordinator).post(
        url, {"level_after": "medium", "outcome": "reduced", "note": "Moved house"}
    )
    assert response.status_code == 400
    assert b"not yet reported back on" in response.content
    assert b"Moved house" in response.content
    world["case"].refresh_from_db()
    assert world["case"].status == "discussed"


def test_the_meeting_form_keeps_what_was_typed(client_for, coordinator):
    response = client_for(coordinator).post(
        reverse("marac:meetings"),
        {**dates.typed("first_at", "1 1 2001", "10:00"), "count": "2", "venue": "Hall 2"},
    )
    assert response.status_code == 400
    assert b"must be in the future" in response.content
    assert b"Hall 2" in response.content
    assert b'name="first_at_2" value="2001"' in response.content


# --- Dates: the GOV.UK date input (issue 8 item 8) --------------------------------------------


def test_an_invalid_meeting_date_keeps_what_was_typed_and_names_the_field(client_for, coordinator):
    response = client_for(coordinator).post(
        reverse("marac:meetings"),
        {**dates.typed("first_at", "12 1 2031", "25:00"), "count": "2", "venue": "Hall 2"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Date of the (first) meeting: enter the time on the 24-hour clock, like 18:30." in html
    assert 'name="first_at_time" value="25:00"' in html
    assert 'name="first_at_0" value="12"' in html
    assert 'href="#id_first_at_time"' in html
    assert 'type="datetime-local"' not in html


def test_a_meeting_typed_as_a_date_and_a_24_hour_time(client_for, coordinator):
    from marac.models import Meeting

    response = client_for(coordinator).post(
        reverse("marac:meetings"),
        {**dates.typed("first_at", "14 7 2031", "10:00"), "count": "1", "venue": "Hall 2"},
    )
    assert response.status_code == 302
    london = timezone.get_current_timezone()
    assert Meeting.objects.get().held_at == datetime(2031, 7, 14, 10, 0, tzinfo=london)


def test_an_invalid_research_date_keeps_what_was_typed_and_names_the_field(
    client_for, world, coordinator
):
    url = reverse("marac:research-add", args=[world["case"].pk])
    response = client_for(coordinator).post(
        url, {**dates.typed("known_on", "32 1 2026"), "summary": "Known to housing"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Date of the information must be a real date." in html
    assert 'name="known_on_0" value="32"' in html
    assert "Known to housing" in html


def test_an_action_without_a_due_date_says_so_and_keeps_the_rest(
    client_for, world, coordinator, agency_housing
):
    url = reverse("marac:action-add", args=[world["case"].pk])
    response = client_for(coordinator).post(
        url,
        {
            "agency": str(agency_housing.pk),
            "description": "Fit locks",
            "done_means": "Locks fitted",
            **dates.typed("due_on", "", ""),
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter the date the action is due by." in html
    assert "Fit locks" in html
    assert 'href="#id_due_on_0"' in html


def test_the_quarterly_return_as_csv(client_for, coordinator):
    response = client_for(coordinator).get(
        reverse("marac:return"), {"year": "2026", "quarter": "2", "format": "csv"}
    )
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "Measure,2026 Q2"
    assert "Cases discussed,0" in lines


@pytest.mark.parametrize("page", ["cases", "tracker", "meeting"])
def test_lists_use_a_constant_number_of_queries(
    client_for, refer, meeting, coordinator, add_action, agency_housing,
    django_assert_max_num_queries, page,
):  # fmt: skip
    m = meeting()

    def add(n: int) -> None:
        for _ in range(n):
            refer()
        services.agenda_build(actor=coordinator, meeting=m)
        for case in m.cases.filter(status="listed"):
            add_action(case, agency_housing)

    url = {
        "cases": reverse("marac:cases"),
        "tracker": reverse("marac:tracker"),
        "meeting": reverse("marac:meeting-detail", args=[m.pk]),
    }[page]
    add(2)
    client = client_for(coordinator)
    client.get(url)
    with django_assert_max_num_queries(30) as small:
        client.get(url)
    add(5)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    marker = b"data-action=" if page == "tracker" else b"data-case="
    assert response.content.count(marker) == 7


def test_the_tracker_filters_by_agency(client_for, world, coordinator, agency_health):
    response = client_for(coordinator).get(reverse("marac:tracker"), {"agency": agency_health.pk})
    html = response.content
    assert b"GP to flag the records" in html
    assert b"Fit extra locks" not in html


def test_a_partner_refers_on_the_page_and_a_refusal_keeps_what_was_typed(
    client_for, housing_user, mash_case, mash_officer, agency_housing
):
    from marac.models import MaracCase
    from mash import services as mash_services

    c = mash_case("high")
    mash_services.referral_make(actor=mash_officer, case=c, kind="housing", agency=agency_housing)
    client = client_for(housing_user)
    url = reverse("marac:refer")
    assert str(c.victim).encode() in client.get(url).content
    refused = client.post(
        url, {"victim": str(c.victim_id), "reason": "Threats to kill", "children_count": "1"}
    )
    assert refused.status_code == 400
    assert b"Choose at least one criterion" in refused.content
    assert b"Threats to kill" in refused.content
    made = client.post(
        url,
        {
            "victim": str(c.victim_id),
            "criteria": ["professional_judgement"],
            "reason": "Threats to kill",
            "children_count": "1",
            "victim_disability": "on",
        },
    )
    assert made.status_code == 302
    case = MaracCase.objects.get(victim_id=c.victim_id)
    assert (case.referring_agency, case.children_count, case.victim_disability) == (
        agency_housing, 1, True,
    )  # fmt: skip


def test_the_case_page_uses_a_constant_number_of_queries(
    client_for, world, coordinator, add_action, agency_housing, health_user,
    django_assert_max_num_queries,
):  # fmt: skip
    url = reverse("marac:case-detail", args=[world["case"].pk])
    client = client_for(coordinator)
    client.get(url)
    with django_assert_max_num_queries(60) as small:
        client.get(url)
    for _ in range(4):
        action = add_action(world["case"], agency_housing)
        services.action_report(actor=coordinator, action=action, kind="update", note="Booked")
        services.research_add(
            actor=health_user, case=world["case"], known_on=timezone.localdate(), summary="More"
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.content.count(b"data-action=") == 6


def test_inviting_an_agency_opens_the_meetings_cases_to_it(
    client_for, world, coordinator, make_user
):
    probation = Agency.objects.create(name="Probation", code="probation", kind="probation")
    member = make_user("partner", agency=probation)
    url = reverse("marac:case-detail", args=[world["case"].pk])
    assert client_for(member).get(url).status_code == 404
    invited = [a.pk for a in world["meeting"].invited.all()] + [probation.pk]
    response = client_for(coordinator).post(
        reverse("marac:meeting-invite", args=[world["meeting"].pk]), {"invited": invited}
    )
    assert response.status_code == 302
    assert client_for(member).get(url).status_code == 200
    assert AuditEvent.objects.filter(action="marac.meeting.invited", actor=coordinator).exists()


def test_a_page_number_out_of_range_is_the_last_page_not_a_500(client_for, coordinator, refer):
    # Issue 7, finding 9: page 99999999999999999999 was an OFFSET out of bigint's range (the
    # MARAC list had a copy of the page parser without the clamp; now the shared one).
    refer()
    huge = "?page=99999999999999999999"
    client = client_for(coordinator)
    assert client.get(reverse("marac:cases") + huge).status_code == 200
    assert client.get(reverse("api-marac-cases") + huge).status_code == 200
