"""The audit trail shows a changed field's values only to a reader entitled to the record
(``dapolice.audit.values``), while "who looked at this victim?" stays answerable (issue 7).

Against the matrix's world: the DASH's children's details and the MASH's intelligence are in
audited values; a control-room supervisor (a police auditor) may open neither record.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.apps import apps
from django.contrib.admin import site
from django.test import RequestFactory
from django.urls import reverse

from dapolice.accounts.choices import Role
from dapolice.accounts.services import system_user, user_create
from dapolice.audit.admin import AuditEventAdmin
from dapolice.audit.models import AuditEvent
from dapolice.audit.services import record_change, record_create
from dapolice.audit.values import WITHHELD, classification, classified, shown_values
from incidents import services as incident_services
from tests.security.matrix import CONTROL_SUPERVISOR, MASH, SYSADMIN
from tests.security.world import CHILDREN_SENTINEL, INTEL_SENTINEL, PASSWORD, World

#: Our apps: every model of theirs must be classified (a new model cannot escape).
OUR_APPS = ("accounts", "alerts", "audit", "incidents", "matching", "risk", "mash", "marac")


def test_every_model_of_ours_is_classified_and_each_record_class_can_be_checked() -> None:
    missing = [
        m._meta.label_lower
        for app in OUR_APPS
        for m in apps.get_app_config(app).get_models()
        if classification(m._meta.label_lower) is None
    ]
    assert not missing, f"classify these in their app's policies.py: {missing}"
    for label, klass in classified().items():
        if not label or klass.via is None:
            continue
        model = apps.get_model(label)
        targets = (
            [model]
            if not klass.via
            else [model._meta.get_field(name).related_model for name in klass.via]
        )
        for target in targets:
            assert hasattr(target._default_manager.all(), "visible_to"), (label, target)


def _rows_about(world: World, *subjects: Any) -> list[AuditEvent]:
    q = AuditEvent.objects.none()
    for subject in subjects:
        q = q | AuditEvent.objects.filter(
            subject_type=subject._meta.label_lower, subject_id=str(subject.pk)
        )
    return list(q.order_by("id"))


@pytest.mark.django_db
def test_a_police_auditor_sees_no_values_of_a_dash_or_mash_case_they_may_not_open(
    world: World,
) -> None:
    auditor = world.users[CONTROL_SUPERVISOR]
    info = world.case.information.get(summary__contains=INTEL_SENTINEL)
    events = _rows_about(world, world.dash, info)
    stored = json.dumps([e.changes for e in events])
    assert CHILDREN_SENTINEL in stored
    assert INTEL_SENTINEL in stored
    shown = shown_values(auditor, events)
    for event in events:
        assert shown[event.pk].values
        assert all(v == [WITHHELD, WITHHELD] for v in shown[event.pk].changes.values())
        assert set(shown[event.pk].changes) == set(event.changes)  # which fields: still said
    # An auditor who may open both (MASH staff who also audit) sees the values.
    mash_auditor = user_create(
        actor=system_user(),
        username="matrix-mash-auditor",
        password=PASSWORD,
        roles=[Role.MASH, Role.CONTROL_SUPERVISOR],
    )
    entitled = shown_values(mash_auditor, events)
    assert CHILDREN_SENTINEL in json.dumps([entitled[e.pk].changes for e in events])
    assert INTEL_SENTINEL in json.dumps([entitled[e.pk].changes for e in events])


@pytest.mark.django_db
def test_the_page_api_and_admin_withhold_them_and_still_answer_who_looked(world: World) -> None:
    client = world.extra["clients"][CONTROL_SUPERVISOR]
    params = {"subject_type": "risk.assessment", "subject_id": str(world.dash.pk)}
    page = client.get("/audit/", params).content.decode()
    api = client.get("/api/audit/events/", params).json()["results"]
    assert CHILDREN_SENTINEL not in page
    assert CHILDREN_SENTINEL not in json.dumps(api)
    assert WITHHELD in page
    saved = next(e for e in api if e["action"] == "risk.assessment.saved")
    assert saved["changes"]
    assert all(v == [WITHHELD, WITHHELD] for v in saved["changes"].values())
    # Who looked at the DASH: a read by MASH staff is there, by name, with the action.
    mash = world.extra["clients"][MASH]
    assert mash.get(reverse("risk:dash-detail", args=[world.dash.pk])).status_code == 200
    api = client.get("/api/audit/events/", params).json()["results"]
    assert any(e["actor"] == world.users[MASH].username and e["kind"] == "read" for e in api), api
    # The admin's detail page (its read-only "changes" and "reason") applies the same rule.
    row = AuditEvent.objects.filter(subject_type="risk.assessment", action="risk.assessment.saved")
    event = row.latest("id")
    request = RequestFactory().get("/")
    request.user = world.users[CONTROL_SUPERVISOR]
    changes, reason = AuditEventAdmin(AuditEvent, site).get_readonly_fields(request, event)
    assert CHILDREN_SENTINEL not in changes(event)
    assert WITHHELD in changes(event)
    detail = world.extra["clients"][SYSADMIN].get(f"/admin/audit/auditevent/{event.pk}/change/")
    assert detail.status_code == 200
    assert CHILDREN_SENTINEL not in detail.content.decode()


@pytest.mark.django_db
def test_an_entitled_auditor_sees_values_except_an_address_location(world: World) -> None:
    auditor = world.users[CONTROL_SUPERVISOR]
    incident_row = record_change(
        actor=auditor,
        action="incidents.incident.noted",
        subject=world.incident,
        changes={"category": ["B", "A"]},
        reason="graded again",
    )
    address_row = record_create(
        actor=auditor, action="incidents.address.noted", subject=world.refuge, fields=["street"]
    )
    shown = shown_values(auditor, [incident_row, address_row])
    assert shown[incident_row.pk].changes == {"category": ["B", "A"]}
    assert shown[incident_row.pk].reason == "graded again"
    assert shown[address_row.pk].changes == {"street": [WITHHELD, WITHHELD]}
    # A system administrator sees field names, never values.
    admin = shown_values(world.users[SYSADMIN], [incident_row])[incident_row.pk]
    assert (admin.values, admin.names, admin.reason) == (False, ["category"], "(recorded)")


@pytest.mark.django_db
def test_a_must_not_see_entry_withholds_the_records_values_from_that_auditor(
    world: World,
) -> None:
    auditor = world.users[CONTROL_SUPERVISOR]
    row = record_change(
        actor=world.users[MASH],
        action="incidents.incident.noted",
        subject=world.incident,
        changes={"category": ["B", "A"]},
    )
    assert shown_values(auditor, [row])[row.pk].changes == {"category": ["B", "A"]}
    incident_services.exclusion_add(
        actor=world.users[MASH], user=auditor, incident=world.incident, reason="a relative"
    )
    assert shown_values(auditor, [row])[row.pk].changes == {"category": [WITHHELD, WITHHELD]}


@pytest.mark.django_db
def test_a_record_type_nobody_classified_shows_no_values(world: World) -> None:
    auditor = world.users[CONTROL_SUPERVISOR]
    row = AuditEvent.objects.filter(subject_type="accounts.user").latest("id")
    unknown = record_change(
        actor=auditor, action="x.y.changed", subject=row.actor, changes={"a": [1, 2]}
    )
    # The same row's values under an unclassified type: withheld.
    unknown.subject_type = "nowhere.thing"
    assert shown_values(auditor, [unknown])[unknown.pk].changes == {"a": [WITHHELD, WITHHELD]}
