"""The MASH API: the same selectors, services and policies as the pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dapolice.accounts.models import Agency
from mash import services


@pytest.fixture
def world(case, mash_officer, agency_health):
    c = case("medium")
    referral = services.referral_make(
        actor=mash_officer, case=c, kind="health", agency=agency_health
    )
    return c, referral


def test_api_role_matrix(personas, client_for, world, make_user):
    c, r = world
    urls = [
        reverse("api-mash-queue"),
        reverse("api-mash-case", args=[c.pk]),
        reverse("api-mash-referrals"),
        reverse("api-mash-contacts", args=[c.victim_id]),
    ]
    other = make_user("partner", agency=Agency.objects.create(name="O", code="o", kind="health"))
    expected = {
        "mash": (200, 200, 200, 200),
        "attending_officer": (403, 404, 403, 200),
        "partner": (403, 403, 200, 200),
        "analyst": (403, 403, 403, 403),
        "sysadmin": (403, 403, 403, 403),
        "outsider": (403, 403, 403, 403),
    }
    for role, statuses in expected.items():
        client = client_for(personas[role])
        assert tuple(client.get(u).status_code for u in urls) == statuses, role
    client = client_for(other)
    assert client.get(urls[3]).status_code == 404
    assert client.get(urls[2]).json() == []
    respond = reverse("api-mash-respond", args=[r.pk])
    assert client.post(respond, {"status": "accepted"}).status_code == 404


def test_api_next_case_assess_refer_and_accept(client_for, world, mash_officer):
    c, _ = world
    client = client_for(mash_officer)
    queue = client.get(reverse("api-mash-queue") + "?level=medium").json()
    assert [row["case"]["id"] for row in queue] == [c.pk]
    assert queue[0]["why"] == "Medium"
    claimed = client.post(reverse("api-mash-next"))
    assert claimed.status_code == 200
    assert claimed.json()["claimed_by"] == mash_officer.pk
    assert client.post(reverse("api-mash-next")).status_code == 400
    bad = client.post(
        reverse("api-mash-assess", args=[c.pk]),
        {"final_level": "high", "notes": "More found"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    ok = client.post(
        reverse("api-mash-assess", args=[c.pk]),
        {"final_level": "high", "reason": "Strangulation", "notes": "More found"},
        content_type="application/json",
    )
    assert ok.json()["final_level"] == "high"
    refer = client.post(
        reverse("api-mash-refer", args=[c.pk]), {"kind": "marac"}, content_type="application/json"
    )
    assert refer.status_code == 201
    again = client.post(
        reverse("api-mash-refer", args=[c.pk]), {"kind": "marac"}, content_type="application/json"
    )
    assert again.status_code == 409
    accepted = client.post(reverse("api-mash-accept", args=[c.pk]))
    assert accepted.json()["owner"] == mash_officer.pk
    assert [p["how"] for p in accepted.json()["ownership"]] == ["opened", "accepted"]


def test_api_partner_answers_and_logs_a_contact(client_for, world, personas):
    c, r = world
    client = client_for(personas["partner"])
    answer = client.post(
        reverse("api-mash-respond", args=[r.pk]),
        {"status": "accepted"},
        content_type="application/json",
    )
    assert answer.json()["status"] == "accepted"
    logged = client.post(
        reverse("api-mash-contacts", args=[c.victim_id]),
        {"channel": "phone", "outcome": "spoke", "notes": "Safety plan agreed"},
        content_type="application/json",
    )
    assert logged.status_code == 201
    assert logged.json()["agency"] == personas["partner"].agency_id
