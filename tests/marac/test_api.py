"""The MARAC API: the same selectors, services and policies as the pages; partner scoping on
every endpoint (another agency's case or action is 404, only their own agency's actions)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from dapolice.accounts.models import Agency
from marac.models import Action


@pytest.fixture
def world(listed, add_action, agency_housing, agency_health):
    case = listed()
    return {
        "case": case,
        "housing": add_action(case, agency_housing, description="Fit extra locks"),
        "health": add_action(case, agency_health, description="GP to flag the records"),
        "meeting": case.meeting,
    }


GETS = ["cases", "case", "actions", "meetings", "agenda", "return"]


def _gets(w):
    return [
        reverse("api-marac-cases"),
        reverse("api-marac-case", args=[w["case"].pk]),
        reverse("api-marac-actions"),
        reverse("api-marac-meetings"),
        reverse("api-marac-agenda", args=[w["meeting"].pk]),
        reverse("api-marac-return"),
    ]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("marac_coordinator", (200, 200, 200, 200, 200, 200)),
        ("housing", (200, 200, 200, 403, 403, 403)),
        ("other_partner", (200, 404, 200, 403, 403, 403)),
        ("analyst", (403, 403, 403, 403, 403, 200)),
        ("mash", (403,) * 6),
        ("investigator", (403,) * 6),
        ("sysadmin", (403,) * 6),
        ("outsider", (403,) * 6),
    ],
)
def test_api_role_matrix(personas, client_for, world, make_user, housing_user, role, expected):
    if role == "housing":
        user = housing_user
    elif role == "other_partner":
        other = Agency.objects.create(name="Probation", code="probation", kind="probation")
        user = make_user("partner", agency=other)
    else:
        user = personas[role]
    client = client_for(user)
    got = tuple(client.get(url).status_code for url in _gets(world))
    assert dict(zip(GETS, got, strict=True)) == dict(zip(GETS, expected, strict=True))


def test_a_partner_gets_only_their_agencys_actions_and_the_minimum(client_for, world, housing_user):
    client = client_for(housing_user)
    detail = client.get(reverse("api-marac-case", args=[world["case"].pk])).json()
    assert [a["id"] for a in detail["actions"]] == [world["housing"].pk]
    for secret in ("incident", "victim", "reason", "referred_at", "children_count"):
        assert secret not in detail
    listed = client.get(reverse("api-marac-actions")).json()
    assert [a["id"] for a in listed] == [world["housing"].pk]
    cases = client.get(reverse("api-marac-cases")).json()
    assert [c["id"] for c in cases] == [world["case"].pk]


def test_a_partner_of_another_agency_cannot_report_back(client_for, world, health_user):
    url = reverse("api-marac-action-report", args=[world["housing"].pk])
    response = client_for(health_user).post(url, {"kind": "done", "note": "x"}, "application/json")
    assert response.status_code == 404
    world["housing"].refresh_from_db()
    assert world["housing"].status == "open"


def test_report_back_and_close_through_the_api(
    client_for, world, housing_user, health_user, coordinator
):
    c = client_for(coordinator)
    close = reverse("api-marac-close", args=[world["case"].pk])
    refused = c.post(close, {"level_after": "medium", "outcome": "reduced"}, "application/json")
    assert refused.status_code == 400
    for user, action in ((housing_user, "housing"), (health_user, "health")):
        r = client_for(user).post(
            reverse("api-marac-action-report", args=[world[action].pk]),
            {"kind": "done", "note": "Done"},
            "application/json",
        )
        assert r.status_code == 200
        assert r.json()["status"] == "done"
    again = client_for(housing_user).post(
        reverse("api-marac-action-report", args=[world["housing"].pk]),
        {"kind": "done", "note": "Done"},
        "application/json",
    )
    assert again.status_code == 409
    closed = c.post(close, {"level_after": "medium", "outcome": "reduced"}, "application/json")
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"


def test_the_coordinator_schedules_builds_and_adds_actions(
    client_for, coordinator, refer, agency_housing
):
    c = client_for(coordinator)
    case = refer()
    first = (timezone.now() + timezone.timedelta(days=10)).isoformat()
    made = c.post(
        reverse("api-marac-meetings"),
        {"first_at": first, "count": 2, "invited": [agency_housing.pk]},
        "application/json",
    )
    assert made.status_code == 201
    meeting_id = made.json()[0]["id"]
    agenda = c.post(reverse("api-marac-agenda", args=[meeting_id]))
    assert [row["id"] for row in agenda.json()] == [case.pk]
    added = c.post(
        reverse("api-marac-action-add", args=[case.pk]),
        {
            "agency": agency_housing.pk,
            "description": "Fit locks",
            "done_means": "Fitted",
            "due_on": (timezone.localdate() + timezone.timedelta(days=5)).isoformat(),
        },
        "application/json",
    )
    assert added.status_code == 201
    assert Action.objects.filter(case=case).count() == 1


def test_a_partner_refers_only_a_victim_referred_to_their_agency(client_for, housing_user, victim):
    person = victim()
    response = client_for(housing_user).post(
        reverse("api-marac-cases"),
        {"victim": person.pk, "criteria": ["professional_judgement"], "reason": "Escalating"},
        "application/json",
    )
    assert response.status_code == 404


def test_a_partner_refers_a_victim_the_mash_referred_to_them(
    client_for, housing_user, mash_case, mash_officer, agency_housing
):
    from marac.models import MaracCase
    from mash import services as mash_services

    c = mash_case("high")
    mash_services.referral_make(actor=mash_officer, case=c, kind="housing", agency=agency_housing)
    response = client_for(housing_user).post(
        reverse("api-marac-cases"),
        {
            "victim": c.victim_id,
            "criteria": ["professional_judgement"],
            "reason": "Escalating",
            "children_count": 1,
        },  # fmt: skip
        "application/json",
    )
    assert response.status_code == 201
    case = MaracCase.objects.get(pk=response.json()["id"])
    assert (case.victim_id, case.referring_agency, case.source) == (
        c.victim_id, agency_housing, "partner",
    )  # fmt: skip
    # The referring agency sees its own referral (no meeting yet).
    assert (
        client_for(housing_user).get(reverse("api-marac-case", args=[case.pk])).status_code == 200
    )


def test_schema_lists_the_marac_endpoints(client_for, make_user):
    response = client_for(make_user("sysadmin")).get("/api/schema/")
    assert response.status_code == 200
    schema = response.content.decode()
    for path in (
        "/api/marac/cases/",
        "/api/marac/cases/{id}/actions/",
        "/api/marac/actions/{id}/report/",
        "/api/marac/meetings/{id}/agenda/",
        "/api/marac/return/",
    ):
        assert path in schema
