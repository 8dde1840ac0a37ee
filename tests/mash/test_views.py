"""MASH pages through the Django test client: the role matrix of every route, partners of
another agency get 404, forms keep what was typed, audit rows, and query budgets."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from dapolice.accounts.models import Agency
from dapolice.audit.models import AuditEvent
from incidents.services import address_mark_restricted
from mash import services
from mash.inputs import ContactPlanInput
from mash.models import Contact, EncompassNotice, MashCase
from tests import dates

ROUTES = [
    "queue", "case", "assess", "plan", "information", "referral-create", "notice",
    "handover", "referrals", "referral", "contacts", "contact-plan",
]  # fmt: skip


@pytest.fixture
def world(case, mash_officer, agency_health):
    """A medium case with children (so a notice), referred to health, with a contact plan."""
    c = case("medium", children=True)
    referral = services.referral_make(
        actor=mash_officer, case=c, kind="health", agency=agency_health
    )
    services.contact_plan_save(
        actor=mash_officer, person=c.victim, data=ContactPlanInput(no_voicemail=True)
    )
    return {"case": c, "referral": referral, "notice": EncompassNotice.objects.get(case=c)}


def _urls(w: dict[str, Any]) -> list[str]:
    c, r, n = w["case"], w["referral"], w["notice"]
    return [
        reverse("mash:queue"),
        reverse("mash:case-detail", args=[c.pk]),
        reverse("mash:case-assess", args=[c.pk]),
        reverse("mash:plan-edit", args=[c.pk]),
        reverse("mash:information-add", args=[c.pk]),
        reverse("mash:referral-create", args=[c.pk]),
        reverse("mash:notice-send", args=[c.pk, n.pk]),
        reverse("mash:ownership-offer", args=[c.pk]),
        reverse("mash:referrals"),
        reverse("mash:referral-detail", args=[r.pk]),
        reverse("mash:contacts", args=[c.victim_id]),
        reverse("mash:contact-plan", args=[c.victim_id]),
    ]


F = 403
N = 404
EXPECTED = {
    "mash": (200,) * 12,
    # Police who meet victims: contacts only (a case they are not named on is 404).
    "attending_officer": (F, N, F, F, F, F, F, N, F, F, 200, F),
    # Either may be the duty detective sergeant: they work only their out-of-hours cases.
    "supervisor": (F, N, N, N, N, N, N, N, F, F, 200, F),
    "investigator": (F, N, N, N, N, N, N, N, F, F, 200, F),
    "marac_coordinator": (F, N, F, F, F, F, F, N, F, F, 200, F),
    "control_supervisor": (F, N, F, F, F, F, F, N, F, F, 200, F),
    "call_taker": (F,) * 12,
    "analyst": (F,) * 12,
    "sysadmin": (F,) * 12,
    "outsider": (F,) * 12,
    # The health partner the case was referred to: the referral, information, contacts.
    "partner": (F, F, F, F, 200, F, F, F, 200, 200, 200, F),
    # The attending officer who owns safeguarding sees the case and may offer the handover.
    "owner": (F, 200, F, F, F, F, F, 200, F, F, 200, F),
    # A partner of another agency: 404 for what belongs to another agency.
    "other_partner": (F, F, F, F, N, F, F, F, 200, N, N, F),
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_role_matrix_for_every_mash_page(personas, client_for, world, officer, make_user, role):
    if role == "owner":
        user = officer
    elif role == "other_partner":
        other = Agency.objects.create(name="Other Housing", code="oh", kind="housing")
        user = make_user("partner", agency=other)
    else:
        user = personas[role]
    client = client_for(user)
    got = tuple(client.get(url).status_code for url in _urls(world))
    assert dict(zip(ROUTES, got, strict=True)) == dict(zip(ROUTES, EXPECTED[role], strict=True))


@pytest.mark.parametrize("role", ["analyst", "outsider", "call_taker", "sysadmin"])
def test_roles_without_access_never_see_names(personas, client_for, world, role):
    client = client_for(personas[role])
    for url in _urls(world):
        assert str(world["case"].victim.family_name).encode() not in client.get(url).content


def test_a_partner_of_another_agency_cannot_answer_or_add_information(client_for, world, make_user):
    other = Agency.objects.create(name="Other Health", code="oh2", kind="health")
    client = client_for(make_user("partner", agency=other))
    r, c = world["referral"], world["case"]
    assert (
        client.post(
            reverse("mash:referral-respond", args=[r.pk]), {"status": "accepted"}
        ).status_code
        == 404
    )
    post = client.post(
        reverse("mash:information-add", args=[c.pk]),
        {"source": "health", **dates.typed("received_on", "1 11 2026"), "summary": "x"},
    )
    assert post.status_code == 404
    r.refresh_from_db()
    assert r.status == "made"


def test_partner_sees_only_their_own_information_entries(client_for, world, personas, mash_officer):
    c = world["case"]
    from datetime import date

    services.information_add(
        actor=mash_officer, case=c, source="police", received_on=date(2026, 11, 1),
        summary="Police intelligence: firearms licence",
    )  # fmt: skip
    partner = personas["partner"]
    client = client_for(partner)
    response = client.post(
        reverse("mash:information-add", args=[c.pk]),
        {
            "source": "health",
            **dates.typed("received_on", "2 11 2026"),
            "summary": "Seen at A&E twice",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("mash:information-add", args=[c.pk])).content.decode()
    assert "Seen at A&amp;E twice" in page
    assert "firearms licence" not in page


def test_partner_answers_their_referral(client_for, world, personas):
    r = world["referral"]
    client = client_for(personas["partner"])
    bad = client.post(reverse("mash:referral-respond", args=[r.pk]), {"status": "declined"})
    assert bad.status_code == 400
    assert b"Say why the referral is declined" in bad.content
    ok = client.post(reverse("mash:referral-respond", args=[r.pk]), {"status": "accepted"})
    assert ok.status_code == 302
    r.refresh_from_db()
    assert r.status == "accepted"


def test_restricted_address_is_never_shown_in_clear(
    client_for, case, personas, control_supervisor, mash_officer, agency_health
):
    victim = {"given_name": "Rosa", "family_name": "Reed", "lives_at_location": True}
    c = case("high", victim=victim)
    referral = services.referral_make(
        actor=mash_officer, case=c, kind="health", agency=agency_health
    )
    address = c.victim.address
    address_mark_restricted(actor=control_supervisor, address=address, reason="Refuge placement")
    for user in (personas["mash"], personas["partner"]):
        client = client_for(user)
        for url in (
            reverse("mash:case-detail", args=[c.pk]),
            reverse("mash:referral-detail", args=[referral.pk]),
        ):
            response = client.get(url)
            if response.status_code != 200:
                continue
            html = response.content.decode()
            assert address.street not in html
            assert "Restricted address" in html


# --- Claiming, assessing, referring on the pages ---------------------------------------------


def test_next_case_claims_and_opens_the_case(client_for, world, mash_officer):
    client = client_for(mash_officer)
    response = client.post(reverse("mash:next"))
    c = world["case"]
    assert response["Location"] == reverse("mash:case-detail", args=[c.pk])
    c.refresh_from_db()
    assert c.claimed_by_id == mash_officer.pk
    empty = client.post(reverse("mash:next"), follow=True)
    assert b"Nothing is waiting in the queue." in empty.content


def test_assess_form_keeps_what_was_typed_when_refused(client_for, world, mash_officer):
    c = world["case"]
    response = client_for(mash_officer).post(
        reverse("mash:case-assess", args=[c.pk]),
        {"final_level": "high", "notes": "Strangulation disclosed to health"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Give the reason the MASH level differs" in html
    assert "Strangulation disclosed to health" in html
    assert 'href="#id_reason"' in html


def test_plan_conflict_keeps_what_was_typed_and_shows_the_plan_now(
    client_for, world, mash_officer, mash_officer2
):
    c = world["case"]
    data = {
        "version": "0",
        "summary": "My plan",
        "actions-TOTAL_FORMS": "1",
        "actions-INITIAL_FORMS": "0",
        "actions-0-description": "Fit a panic alarm",
        "actions-0-owner_name": "PC Hughes",
        "actions-0-owner_agency": "police",
        **dates.typed("due_on", "5 12 2026", prefix="actions-0"),
    }
    services.plan_save(actor=mash_officer2, case=c, version=0, summary="Theirs", actions=[])
    response = client_for(mash_officer).post(reverse("mash:plan-edit", args=[c.pk]), data)
    assert response.status_code == 409
    html = response.content.decode()
    assert str(mash_officer2) in html
    assert "saved this plan" in html
    assert "Fit a panic alarm" in html
    assert "My plan" in html
    assert 'data-testid="current-summary">Theirs' in html  # the plan as it is now
    c.refresh_from_db()
    assert c.plan_summary == "Theirs"


def test_referral_page_makes_a_referral(client_for, world, mash_officer):
    c = world["case"]
    response = client_for(mash_officer).post(
        reverse("mash:referral-create", args=[c.pk]), {"kind": "sanctuary"}
    )
    assert response.status_code == 302
    assert c.referrals.filter(kind="sanctuary").exists()
    again = client_for(mash_officer).post(
        reverse("mash:referral-create", args=[c.pk]), {"kind": "sanctuary", "notes": "Again"}
    )
    assert again.status_code == 409
    assert b"already open" in again.content
    assert b"Again" in again.content


def test_owner_accepts_on_the_page(client_for, world, mash_officer):
    c = world["case"]
    client = client_for(mash_officer)
    page = client.get(reverse("mash:case-detail", args=[c.pk])).content.decode()
    assert "Accept ownership" in page
    client.post(reverse("mash:ownership-accept", args=[c.pk]))
    c.refresh_from_db()
    assert c.owner_id == mash_officer.pk


# --- Contacts -------------------------------------------------------------------------------


def test_contact_page_warns_of_recent_contacts_by_others_and_shows_the_instructions(
    client_for, world, mash_officer, officer
):
    c = world["case"]
    services.contact_log(actor=officer, person=c.victim, channel="phone", outcome="spoke")
    html = client_for(mash_officer).get(reverse("mash:contacts", args=[c.victim_id])).content
    html = html.decode()
    assert 'data-testid="recent-warning"' in html
    assert str(officer) in html
    assert "No voicemail" in html


def test_contact_logged_by_someone_else_while_typing_is_a_conflict_with_the_form_kept(
    client_for, world, mash_officer, officer
):
    c = world["case"]
    client = client_for(mash_officer)
    url = reverse("mash:contacts", args=[c.victim_id])
    client.get(url)
    services.contact_log(actor=officer, person=c.victim, channel="phone", outcome="spoke")
    post = {"seen_up_to": "0", "channel": "phone", "outcome": "spoke", "notes": "Called her"}
    response = client.post(url, post)
    assert response.status_code == 409
    assert b"while you were typing" in response.content
    assert b"Called her" in response.content
    # Having now seen it, the same post goes through.
    seen = max(Contact.objects.values_list("pk", flat=True))
    assert client.post(url, {**post, "seen_up_to": str(seen)}).status_code == 302


def test_no_voicemail_is_refused_on_the_page(client_for, world, officer):
    c = world["case"]
    response = client_for(officer).post(
        reverse("mash:contacts", args=[c.victim_id]),
        {"seen_up_to": "0", "channel": "phone", "outcome": "voicemail"},
    )
    assert response.status_code == 400
    assert b"no voicemail" in response.content


# --- Audit and queries ----------------------------------------------------------------------


def test_queue_views_and_reads_are_audited(client_for, world, mash_officer):
    c = world["case"]
    client = client_for(mash_officer)
    client.get(reverse("mash:queue") + "?level=medium")
    client.get(reverse("mash:case-detail", args=[c.pk]))
    client.get(reverse("mash:contacts", args=[c.victim_id]))
    client.get(reverse("mash:referrals"))
    events = AuditEvent.objects.filter(actor=mash_officer)
    queue = events.get(action="mash.case.queue_viewed")
    assert queue.object_ids == [str(c.pk)]
    assert queue.changes["filters"] == [None, ["level", "status"]]
    assert events.filter(action="mash.case.read", subject_id=str(c.pk)).exists()
    assert events.filter(action="mash.contacts.read", subject_id=str(c.victim_id)).exists()
    assert events.get(action="mash.referral.listed").object_ids == [str(world["referral"].pk)]


# A Monday at 10:00, in MASH hours: out of hours a high-risk case is routed to the duty DS, so
# the "team" filter's answer depends on the time of day (it failed at 00:30 on a Sunday).
@pytest.mark.time_machine(datetime(2026, 3, 2, 10, 0, tzinfo=UTC), tick=False)
def test_queue_filters(client_for, case, mash_officer):
    high, medium = case("high"), case("medium")
    client = client_for(mash_officer)

    def ids(query: str) -> list[int]:
        html = client.get(reverse("mash:queue") + query).content.decode()
        return [c.pk for c in (high, medium) if f'data-case="{c.pk}"' in html]

    assert ids("") == [high.pk, medium.pk]
    assert ids("?level=high") == [high.pk]
    assert ids("?reason=medium") == [medium.pk]
    assert ids("?team=duty_ds") == []
    assert ids("?overdue=true") == []
    services.case_assess(actor=mash_officer, case=medium, final_level="medium", notes="Done")
    assert ids("") == [high.pk]
    assert ids("?status=assessed") == [medium.pk]


@pytest.mark.parametrize("page", ["mash:queue", "mash:referrals"])
def test_lists_use_a_constant_number_of_queries(
    client_for, case, mash_officer, agency_health, django_assert_max_num_queries, page
):
    def add(n: int) -> None:
        for _ in range(n):
            c = case("high")
            services.referral_make(actor=mash_officer, case=c, kind="health", agency=agency_health)

    add(2)
    client = client_for(mash_officer)
    client.get(reverse(page))
    with django_assert_max_num_queries(20) as small:
        client.get(reverse(page))
    add(6)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse(page))
    marker = b"data-case=" if page == "mash:queue" else b"data-referral="
    assert response.content.count(marker) == 8


def test_case_page_and_contacts_use_a_constant_number_of_queries(
    client_for, case, mash_officer, officer, django_assert_max_num_queries
):
    c = case("high", children=True)
    services.contact_log(actor=officer, person=c.victim, channel="phone", outcome="spoke")
    client = client_for(mash_officer)
    urls = [reverse("mash:case-detail", args=[c.pk]), reverse("mash:contacts", args=[c.victim_id])]
    for url in urls:
        client.get(url)
    counts = []
    for url in urls:
        with django_assert_max_num_queries(40) as q:
            client.get(url)
        counts.append(len(q.captured_queries))
    for kind in ("idva", "housing", "health"):
        services.referral_make(actor=mash_officer, case=c, kind=kind)
    for _ in range(4):
        services.contact_log(actor=officer, person=c.victim, channel="text", outcome="message_sent")
    for url, count in zip(urls, counts, strict=True):
        with django_assert_max_num_queries(count):
            client.get(url)
    assert MashCase.objects.count() == 1


# --- Dates: the GOV.UK date input (issue 8 item 8) --------------------------------------------


def test_an_invalid_information_date_keeps_what_was_typed_and_names_the_field(
    client_for, world, mash_officer
):
    c = world["case"]
    refused = client_for(mash_officer).post(
        reverse("mash:information-add", args=[c.pk]),
        {"source": "health", **dates.typed("received_on", "31 9 2026"), "summary": "Seen at A&E"},
    )
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "Date of the information must be a real date." in html
    assert 'name="received_on_0" value="31"' in html
    assert 'href="#id_received_on_0"' in html
    assert "Seen at A&amp;E" in html


def test_a_plan_action_with_an_invalid_due_date_keeps_the_row_and_names_the_field(
    client_for, world, mash_officer
):
    c = world["case"]
    data = {
        "version": str(c.plan_version),
        "summary": "My plan",
        "actions-TOTAL_FORMS": "1",
        "actions-INITIAL_FORMS": "0",
        "actions-0-description": "Fit a panic alarm",
        "actions-0-owner_name": "PC Hughes",
        "actions-0-owner_agency": "police",
        **dates.typed("due_on", "5 13 2026", prefix="actions-0"),
    }
    refused = client_for(mash_officer).post(reverse("mash:plan-edit", args=[c.pk]), data)
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "Due by must be a real date." in html
    assert 'name="actions-0-due_on_1" value="13"' in html
    assert "Fit a panic alarm" in html
    assert 'type="date"' not in html
    data.update(dates.typed("due_on", "5 12 2026", prefix="actions-0"))
    assert (
        client_for(mash_officer).post(reverse("mash:plan-edit", args=[c.pk]), data).status_code
        == 302
    )
    page = client_for(mash_officer).get(reverse("mash:plan-edit", args=[c.pk])).content.decode()
    assert 'name="actions-0-due_on_2" value="2026"' in page  # the saved date shown to edit


def test_a_referral_due_time_is_a_date_and_a_24_hour_time(client_for, world, mash_officer):
    c = world["case"]
    url = reverse("mash:referral-create", args=[c.pk])
    refused = client_for(mash_officer).post(
        url, {"kind": "sanctuary", **dates.typed("due_at", "4 12 2026", "9am"), "notes": "Asap"}
    )
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "Due by: enter the time on the 24-hour clock, like 18:30." in html
    assert 'name="due_at_time" value="9am"' in html
    assert 'name="due_at_0" value="4"' in html
    assert 'type="datetime-local"' not in html
    with time_machine.travel(datetime(2026, 12, 3, 12, 0, tzinfo=UTC), tick=False):
        done = client_for(mash_officer).post(
            url,
            {"kind": "sanctuary", **dates.typed("due_at", "4 12 2026", "09:00"), "notes": "Asap"},
        )
    assert done.status_code == 302
    referral = c.referrals.get(kind="sanctuary")
    assert referral.due_at == datetime(2026, 12, 4, 9, 0, tzinfo=UTC)  # GMT in December
