"""DASH pages through the Django test client: the role matrix of every route, forms that keep
what was typed, conflicts, audit, PDF and query budgets."""

from __future__ import annotations

import re
import zlib
from typing import Any

import pytest
from django.urls import reverse

from dapolice.audit.models import AuditEvent
from risk import services
from risk.choices import Status
from risk.models import Assessment
from tests.risk.conftest import complete_input

ROUTES = ["list", "queue", "start", "detail", "edit", "review", "pdf", "history"]
FORBIDDEN = (403,) * 8
EXPECTED = {
    "call_taker": FORBIDDEN,
    "control_supervisor": FORBIDDEN,
    # An attending officer not attached to the incident sees nothing of its DASH.
    "attending_officer": (200, 403, 403, 404, 404, 403, 404, 200),
    "supervisor": (200, 200, 403, 200, 403, 200, 200, 200),
    "mash": (200, 403, 403, 200, 403, 403, 200, 200),
    "investigator": (200, 403, 403, 200, 403, 403, 200, 200),
    "marac_coordinator": (200, 403, 403, 200, 403, 403, 200, 200),
    "analyst": FORBIDDEN,  # no names, so no assessments
    "partner": FORBIDDEN,  # never DASH answers
    "sysadmin": FORBIDDEN,
    "outsider": FORBIDDEN,
    # The officer who completed it (attached to the incident); edit redirects once submitted.
    "author": (200, 403, 200, 200, 302, 403, 200, 200),
}


def _urls(assessment: Assessment) -> list[str]:
    return [
        reverse("risk:list"),
        reverse("risk:queue"),
        reverse("risk:dash-start", args=[assessment.incident_id]),
        reverse("risk:dash-detail", args=[assessment.pk]),
        reverse("risk:dash-edit", args=[assessment.pk]),
        reverse("risk:dash-review", args=[assessment.pk]),
        reverse("risk:dash-pdf", args=[assessment.pk]),
        reverse("risk:history", args=[assessment.victim_id]),
    ]


@pytest.mark.parametrize("role", list(EXPECTED))
def test_role_matrix_for_every_risk_page(personas, client_for, submitted, officer, role):
    assessment = submitted(6)
    user = officer if role == "author" else personas[role]
    client = client_for(user)
    got = tuple(client.get(url).status_code for url in _urls(assessment))
    assert dict(zip(ROUTES, got, strict=True)) == dict(zip(ROUTES, EXPECTED[role], strict=True))


@pytest.mark.parametrize("role", ["partner", "analyst", "outsider", "call_taker", "sysadmin"])
def test_roles_without_access_never_see_answers_or_names(personas, client_for, submitted, role):
    assessment = submitted(6)
    client = client_for(personas[role])
    for url in _urls(assessment):
        response = client.get(url)
        assert str(assessment.victim).encode() not in response.content
        assert b"Timson" not in response.content


def test_anonymous_users_are_sent_to_sign_in(client, submitted):
    for url in _urls(submitted(2)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/account/login/")


def test_api_role_matrix(personas, client_for, submitted):
    assessment = submitted(6)
    urls = [
        reverse("api-risk-assessment-list"),
        reverse("api-risk-assessment-detail", args=[assessment.pk]),
        reverse("api-risk-queue"),
        reverse("api-risk-history", args=[assessment.victim_id]),
        reverse("api-risk-instruments"),
    ]
    expected = {
        "supervisor": (200, 200, 200, 200, 200),
        "mash": (200, 200, 403, 200, 200),
        "attending_officer": (200, 404, 403, 200, 200),
        "partner": (403, 403, 403, 403, 403),
        "analyst": (403, 403, 403, 403, 403),
        "outsider": (403, 403, 403, 403, 403),
    }
    for role, statuses in expected.items():
        client = client_for(personas[role])
        assert tuple(client.get(u).status_code for u in urls) == statuses, role


# --- Completing the DASH on the page ------------------------------------------------------------


def _post_data(assessment: Assessment, yes: int, **extra: Any) -> dict[str, Any]:
    data = complete_input(yes)
    post: dict[str, Any] = {}
    for key, (value, notes) in data.answers.items():
        post[f"q_{key}"] = value
        if notes:
            post[f"n_{key}"] = notes
    post.update(
        children_present="no",
        safety_plan=data.safety_plan,
        officer_level=data.officer_level,
        action="submit",
    )
    post.update(extra)
    return {k: v for k, v in post.items() if v is not None}


def test_officer_completes_and_submits_on_the_page(client_for, start, officer):
    assessment = start()
    client = client_for(officer)
    page = client.get(reverse("risk:dash-edit", args=[assessment.pk]))
    assert page.status_code == 200
    assert b'id="id_q_strangulation_1"' in page.content or b"q_strangulation" in page.content
    response = client.post(
        reverse("risk:dash-edit", args=[assessment.pk]), _post_data(assessment, 15)
    )
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == Status.SUBMITTED
    assert assessment.score == 15


def test_failed_submit_keeps_what_was_typed_and_links_what_is_missing(client_for, start, officer):
    assessment = start()
    client = client_for(officer)
    data = _post_data(assessment, 4, officer_level="high", q_animals=None)
    data["n_injured"] = "Bruising to the left forearm"
    data["safety_plan"] = "Staying with her mother tonight"
    response = client.post(reverse("risk:dash-edit", args=[assessment.pk]), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "This DASH cannot be submitted yet" in html
    anchors = re.findall(r'<a href="#(id_[a-z_0-9]+)">', html)
    assert anchors == ["id_q_animals_1", "id_officer_rationale"]
    for anchor in anchors:
        assert f'id="{anchor}"' in html  # each link goes to a field on the page
    assert "Bruising to the left forearm" in html
    assert "Staying with her mother tonight" in html
    # Everything typed was kept as a draft on the server too.
    assessment.refresh_from_db()
    assert assessment.status == Status.DRAFT
    assert assessment.safety_plan == "Staying with her mother tonight"
    assert assessment.answers.get(question__key="injured").notes == "Bruising to the left forearm"


def test_autosave_answers_json_and_keeps_a_draft(client_for, start, officer):
    assessment = start()
    response = client_for(officer).post(
        reverse("risk:dash-edit", args=[assessment.pk]),
        {"q_injured": "yes", "safety_plan": "Half typed"},
        headers={"X-Dapolice-Autosave": "1"},
    )
    assert response.status_code == 200
    assert "saved_at" in response.json()
    assessment.refresh_from_db()
    assert assessment.score == 1
    assert assessment.status == Status.DRAFT


def test_submitted_dash_cannot_be_changed_through_the_page(client_for, submitted, officer):
    assessment = submitted(3)
    response = client_for(officer).post(
        reverse("risk:dash-edit", args=[assessment.pk]), {"q_injured": "no", "action": "save"}
    )
    assert response.status_code == 302
    assert (
        Assessment.objects.get(pk=assessment.pk).answers.get(question__key="injured").value == "yes"
    )


def test_start_page_creates_a_draft_for_an_attached_incident(client_for, attended, officer):
    response = client_for(officer).post(
        reverse("risk:dash-start", args=[attended.pk]), {"instrument": "1"}
    )
    assessment = Assessment.objects.get()
    assert response["Location"] == reverse("risk:dash-edit", args=[assessment.pk])


# --- Review on the page -------------------------------------------------------------------------


def test_supervisor_agrees_on_the_page(client_for, submitted, supervisor):
    assessment = submitted(15)
    response = client_for(supervisor).post(
        reverse("risk:dash-review", args=[assessment.pk]), {"decision": "agree"}
    )
    assert response.status_code == 302
    assert Assessment.objects.get(pk=assessment.pk).final_level == "high"


def test_second_supervisor_sees_who_decided_and_keeps_what_they_typed(
    client_for, submitted, supervisor, supervisor2
):
    assessment = submitted(11)
    stale = client_for(supervisor2)
    assert stale.get(reverse("risk:dash-review", args=[assessment.pk])).status_code == 200
    services.assessment_review(actor=supervisor, assessment=assessment, decision="agree")
    response = stale.post(
        reverse("risk:dash-review", args=[assessment.pk]),
        {"decision": "change", "level": "high", "reason": "Threats to kill disclosed later"},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "already reviewed this DASH" in html
    assert str(supervisor) in html
    assert "Threats to kill disclosed later" in html
    assert Assessment.objects.get(pk=assessment.pk).final_level == "medium"


def test_own_dash_review_page_says_why_it_is_refused(client_for, make_user, log_incident, attach):
    sergeant = make_user("supervisor")
    incident = attach(log_incident(), sergeant)
    assessment = services.assessment_start(actor=sergeant, incident=incident)
    services.assessment_submit(actor=sergeant, assessment=assessment, data=complete_input(15))
    client = client_for(sergeant)
    page = client.get(reverse("risk:dash-review", args=[assessment.pk]))
    assert page.status_code == 403
    assert b"another supervisor must review it" in page.content
    assert b'data-testid="review-form"' not in page.content
    post = client.post(reverse("risk:dash-review", args=[assessment.pk]), {"decision": "agree"})
    assert post.status_code == 403
    assert b"another supervisor must review it" in post.content
    assert Assessment.objects.get(pk=assessment.pk).status == Status.SUBMITTED
    queue = client.get(reverse("risk:queue")).content.decode()
    assert "yours: another supervisor reviews it" in queue


def test_review_with_missing_reason_re_renders_with_the_error(client_for, submitted, supervisor):
    assessment = submitted(11)
    response = client_for(supervisor).post(
        reverse("risk:dash-review", args=[assessment.pk]), {"decision": "return"}
    )
    assert response.status_code == 400
    assert b"Say what is missing" in response.content


# --- Audit, PDF, queries ---------------------------------------------------------------------


def test_reads_are_audited(client_for, submitted, supervisor):
    assessment = submitted(5)
    client = client_for(supervisor)
    client.get(reverse("risk:dash-detail", args=[assessment.pk]))
    client.get(reverse("risk:queue"))
    client.get(reverse("risk:history", args=[assessment.victim_id]))
    events = AuditEvent.objects.filter(actor=supervisor)
    assert events.filter(action="risk.assessment.read", subject_id=str(assessment.pk)).exists()
    assert events.get(action="risk.assessment.queue_viewed").object_ids == [str(assessment.pk)]
    assert events.get(action="risk.assessment.history_viewed").object_ids == [str(assessment.pk)]


def _pdf_text(content: bytes) -> str:
    text = b""
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        try:
            text += zlib.decompress(stream)
        except zlib.error:
            text += stream
    return text.decode("latin-1")


def test_pdf_of_a_completed_dash_is_marked_official_sensitive(client_for, submitted, supervisor):
    assessment = submitted(15)
    services.assessment_review(actor=supervisor, assessment=assessment, decision="agree")
    response = client_for(supervisor).get(reverse("risk:dash-pdf", args=[assessment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert str(assessment.victim.family_name) not in response["Content-Disposition"]
    text = _pdf_text(response.content)
    assert text.count("OFFICIAL-SENSITIVE") >= 2  # header and footer
    assert assessment.incident.reference in text
    assert "Visible high risk" in text
    assert AuditEvent.objects.filter(action="risk.assessment.exported", actor=supervisor).exists()


def test_draft_has_no_pdf(client_for, start, officer):
    assessment = start()
    assert (
        client_for(officer).get(reverse("risk:dash-pdf", args=[assessment.pk])).status_code == 404
    )


def _many(log_incident, attach, officer, n):
    for _ in range(n):
        incident = attach(log_incident(), officer)
        assessment = services.assessment_start(actor=officer, incident=incident)
        services.assessment_submit(actor=officer, assessment=assessment, data=complete_input(3))


@pytest.mark.parametrize("page", ["risk:list", "risk:queue"])
def test_lists_use_a_constant_number_of_queries(
    client_for, supervisor, log_incident, attach, officer, django_assert_max_num_queries, page
):
    _many(log_incident, attach, officer, 2)
    client = client_for(supervisor)
    client.get(reverse(page))  # warm the session
    # Two audit rows per page (the read and the list), each one statement more with the chain.
    # 15: the page also says when the next medium-risk re-assessment is due (one query).
    with django_assert_max_num_queries(15) as small:
        client.get(reverse(page))
    _many(log_incident, attach, officer, 8)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse(page))
    assert response.content.count(b"data-assessment=") == 10


def test_history_uses_a_constant_number_of_queries(
    client_for, supervisor, log_incident, attach, officer, django_assert_max_num_queries
):
    from tests.incidents.helpers import victim_of

    first = attach(log_incident(), officer)
    victim = victim_of(first)

    def assess(incident: Any) -> None:
        a = services.assessment_start(actor=officer, incident=incident)
        services.assessment_submit(actor=officer, assessment=a, data=complete_input(3))
        services.assessment_review(actor=supervisor, assessment=a, decision="agree")

    assess(first)
    client = client_for(supervisor)
    url = reverse("risk:history", args=[victim.pk])
    client.get(url)
    # 15: the page also says when the next medium-risk re-assessment is due (one query).
    with django_assert_max_num_queries(15) as small:
        client.get(url)
    for _ in range(4):
        assess(attach(log_incident(victim=victim), officer))
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.content.count(b"<circle") == 5
    assert b"<svg" in response.content


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        # (start, edit, review): who may not act gets 403, or 404 for a DASH they cannot see.
        ("partner", (403, 403, 403)),
        ("analyst", (403, 403, 403)),
        ("outsider", (403, 403, 403)),
        ("call_taker", (403, 403, 403)),
        ("mash", (403, 403, 403)),
        ("attending_officer", (403, 404, 403)),
        ("supervisor", (403, 403, 302)),
    ],
)
def test_role_matrix_for_every_risk_action(personas, client_for, start, officer, role, expected):
    assessment = start()
    services.assessment_submit(actor=officer, assessment=assessment, data=complete_input(12))
    client = client_for(personas[role])
    got = (
        client.post(reverse("risk:dash-start", args=[assessment.incident_id]), {"instrument": "1"}),
        client.post(reverse("risk:dash-edit", args=[assessment.pk]), {"q_injured": "no"}),
        client.post(reverse("risk:dash-review", args=[assessment.pk]), {"decision": "agree"}),
    )
    assert tuple(r.status_code for r in got) == expected
    assessment.refresh_from_db()
    assert assessment.answers.get(question__key="injured").value == "yes"
    assert (assessment.status == Status.REVIEWED) is (role == "supervisor")
