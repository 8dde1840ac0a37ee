"""The risk API: the same actions as the pages, through the same selectors and services."""

from __future__ import annotations

from django.urls import reverse

from risk import services
from risk.choices import Status
from risk.models import Assessment
from tests.risk.conftest import complete_input


def _json_input(yes: int, **overrides):
    data = complete_input(yes, **overrides)
    return {
        "answers": [{"key": k, "value": v, "notes": n} for k, (v, n) in data.answers.items()],
        "children_present": data.children_present,
        "safety_plan": data.safety_plan,
        "officer_level": data.officer_level,
        "officer_rationale": data.officer_rationale,
    }


def test_officer_starts_saves_and_submits_through_the_api(client_for, attended, officer):
    client = client_for(officer)
    started = client.post(
        reverse("api-risk-assessment-list"),
        {"incident": attended.pk, "instrument": "dash-2009"},
        content_type="application/json",
    )
    assert started.status_code == 201
    body = started.json()
    assert (body["instrument"], body["instrument_version"]) == ("dash-2009", "2009.1")
    pk = body["id"]
    refused = client.post(reverse("api-risk-assessment-submit", args=[pk]))
    assert refused.status_code == 400
    assert refused.json()["missing"][0]["field"] == "q_injured"
    saved = client.put(
        reverse("api-risk-assessment-detail", args=[pk]),
        _json_input(15),
        content_type="application/json",
    )
    assert saved.status_code == 200
    assert saved.json()["missing"] == []
    done = client.post(reverse("api-risk-assessment-submit", args=[pk]))
    assert done.status_code == 200
    assert done.json()["status"] == Status.SUBMITTED
    assert done.json()["score"] == 15


def test_api_refuses_an_incident_the_officer_is_not_attached_to(client_for, log_incident, officer):
    incident = log_incident()
    response = client_for(officer).post(
        reverse("api-risk-assessment-list"),
        {"incident": incident.pk},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not Assessment.objects.exists()


def test_supervisor_reviews_through_the_api_and_the_second_gets_409(
    client_for, submitted, supervisor, supervisor2
):
    assessment = submitted(15)
    queue = client_for(supervisor).get(reverse("api-risk-queue")).json()
    assert [row["assessment"]["id"] for row in queue] == [assessment.pk]
    first = client_for(supervisor).post(
        reverse("api-risk-assessment-review", args=[assessment.pk]),
        {"decision": "agree"},
        content_type="application/json",
    )
    assert first.status_code == 200
    criteria = {c["code"]: c["met"] for c in first.json()["marac_criteria"]}
    assert criteria == {
        "visible_high": True,
        "professional_judgement": False,
        "potential_escalation": False,
        "repeat_marac": False,
    }
    second = client_for(supervisor2).post(
        reverse("api-risk-assessment-review", args=[assessment.pk]),
        {"decision": "return", "reason": "more detail"},
        content_type="application/json",
    )
    assert second.status_code == 409
    assert "already reviewed" in second.json()["detail"]


def test_author_cannot_review_own_dash_through_the_api(client_for, make_user, log_incident, attach):
    sergeant = make_user("supervisor")
    incident = attach(log_incident(), sergeant)
    assessment = services.assessment_start(actor=sergeant, incident=incident)
    services.assessment_submit(actor=sergeant, assessment=assessment, data=complete_input(2))
    response = client_for(sergeant).post(
        reverse("api-risk-assessment-review", args=[assessment.pk]),
        {"decision": "agree"},
        content_type="application/json",
    )
    assert response.status_code == 403


def test_schema_lists_the_risk_endpoints(client_for, make_user):
    schema = client_for(make_user("sysadmin")).get("/api/schema/").content.decode()
    for path in (
        "/api/risk/assessments/",
        "/api/risk/assessments/{id}/submit/",
        "/api/risk/assessments/{id}/review/",
        "/api/risk/review-queue/",
        "/api/risk/victims/{id}/history/",
    ):
        assert path in schema
