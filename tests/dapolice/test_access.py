"""The access layer itself (``dapolice/access``): the rule registry, the view mixin, the DRF
permission class, navigation and break-glass, each rule tested on its own edge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.test import RequestFactory
from django.views import View

from dapolice import access
from dapolice.access import navigation, registry
from dapolice.access.api import PolicyPermission
from dapolice.access.breakglass import (
    ACTION,
    MIN_REASON_LENGTH,
    active_scopes,
    break_glass_active,
    break_glass_grant,
    scope_for,
)
from dapolice.access.views import PolicyRequiredMixin
from dapolice.accounts.choices import Role
from dapolice.audit.models import AuditEvent
from dapolice.common.errors import DomainError

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def scratch_rules(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """An empty registry for the test (the app's own rules come back afterwards)."""
    rules: dict[str, Any] = {}
    monkeypatch.setattr(registry, "_rules", rules)
    return rules


def active_user(**kw: Any) -> Any:
    return SimpleNamespace(is_authenticated=True, is_active=True, **kw)


# --- The registry --------------------------------------------------------------------------------


def test_a_rule_answers_for_an_active_signed_in_user_only(scratch_rules):
    access.rule("tests.open")(lambda user, obj=None: True)
    assert access.check(active_user(), "tests.open") is True
    assert access.check(None, "tests.open") is False
    assert access.check(AnonymousUser(), "tests.open") is False
    inactive = SimpleNamespace(is_authenticated=True, is_active=False)
    assert access.check(inactive, "tests.open") is False


def test_a_rule_gets_the_user_and_the_object_and_its_answer_is_a_bool(scratch_rules):
    seen: list[Any] = []

    def owner_only(user: Any, obj: Any = None) -> Any:
        seen.append((user, obj))
        return obj and obj.owner == user.name and "yes"

    access.rule("tests.owner")(owner_only)
    ann = active_user(name="ann")
    assert access.check(ann, "tests.owner", SimpleNamespace(owner="ann")) is True
    assert access.check(ann, "tests.owner", SimpleNamespace(owner="bob")) is False
    assert access.check(ann, "tests.owner") is False
    assert [user for user, _ in seen] == [ann, ann, ann]


def test_an_unknown_rule_name_is_a_programming_error(scratch_rules):
    with pytest.raises(ImproperlyConfigured, match="tests.missing"):
        access.check(active_user(), "tests.missing")


def test_a_name_cannot_be_registered_twice_for_two_predicates(scratch_rules):
    def first(user: Any, obj: Any = None) -> bool:
        return True

    assert access.rule("tests.twice")(first) is first
    access.rule("tests.twice")(first)  # the same function again (a module re-imported): fine
    with pytest.raises(ImproperlyConfigured, match="tests.twice"):
        access.rule("tests.twice")(lambda user, obj=None: False)
    assert access.rules() == {"tests.twice": first}


def test_rules_is_a_copy(scratch_rules):
    access.rule("tests.a")(lambda user, obj=None: True)
    access.rules().clear()
    assert "tests.a" in access.rules()


def test_require_raises_403_when_refused_and_passes_when_allowed(scratch_rules):
    access.rule("tests.yes")(lambda user, obj=None: True)
    access.rule("tests.no")(lambda user, obj=None: False)
    assert access.require(active_user(), "tests.yes") is None
    with pytest.raises(PermissionDenied):
        access.require(active_user(), "tests.no")


def test_require_asks_about_the_object_given(scratch_rules):
    access.rule("tests.own")(lambda user, obj=None: obj is not None and obj.owner == user.name)
    assert (
        access.require(active_user(name="ann"), "tests.own", SimpleNamespace(owner="ann")) is None
    )
    with pytest.raises(PermissionDenied):
        access.require(active_user(name="ann"), "tests.own", SimpleNamespace(owner="bob"))


# --- The HTML mixin and the API permission -----------------------------------------------------


class _Page(PolicyRequiredMixin, View):
    def get(self, request: Any) -> str:
        return "the page"


def _dispatch(view_class: type, user: Any) -> Any:
    request = RequestFactory().get("/somewhere/")
    request.user = user
    return view_class.as_view()(request)


def test_a_view_without_a_policy_is_a_programming_error(scratch_rules):
    class Forgot(PolicyRequiredMixin, View):
        pass

    with pytest.raises(ImproperlyConfigured, match="Forgot"):
        _dispatch(Forgot, active_user())


def test_the_mixin_signs_in_then_checks_the_policy(scratch_rules, settings):
    access.rule("tests.page")(lambda user, obj=None: user.name == "ann")
    page = type("Page", (_Page,), {"policy": "tests.page"})
    assert _dispatch(page, active_user(name="ann")) == "the page"
    assert _dispatch(page, active_user(name="bob")).status_code == 403  # a page, not a bare 403
    anonymous = _dispatch(page, AnonymousUser())
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/account/login/")


def test_the_mixin_hands_the_url_arguments_to_the_view(scratch_rules):
    class Detail(PolicyRequiredMixin, View):
        policy = None

        def get(self, request: Any, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
            return args, kwargs

    request = RequestFactory().get("/incidents/7/")
    request.user = active_user()
    assert Detail.as_view()(request, "7", part="text") == (("7",), {"part": "text"})


def test_a_policy_of_none_opens_a_page_to_every_signed_in_user(scratch_rules):
    page = type("Open", (_Page,), {"policy": None})
    assert _dispatch(page, active_user()) == "the page"
    assert _dispatch(page, AnonymousUser()).status_code == 302


def _api(user: Any, view: Any, method: str = "get") -> bool:
    request = SimpleNamespace(user=user, method=method.upper())
    return PolicyPermission().has_permission(request, view)  # type: ignore[arg-type]


def test_the_api_permission_needs_a_signed_in_user_and_the_views_policy(scratch_rules):
    access.rule("tests.api")(lambda user, obj=None: user.name == "ann")
    view = SimpleNamespace(policy="tests.api")
    assert _api(active_user(name="ann"), view) is True
    assert _api(active_user(name="bob"), view) is False
    assert _api(AnonymousUser(), view) is False
    assert _api(None, view) is False


def test_an_api_view_without_a_policy_is_closed(scratch_rules):
    assert _api(active_user(), SimpleNamespace()) is False
    assert _api(active_user(), SimpleNamespace(policies={"create": None})) is False


def test_the_api_policy_follows_the_action_then_the_method(scratch_rules):
    access.rule("tests.read")(lambda user, obj=None: True)
    access.rule("tests.write")(lambda user, obj=None: False)
    view = SimpleNamespace(
        action="create", policies={"create": "tests.write", "list": "tests.read"}, policy=None
    )
    assert _api(active_user(), view) is False
    view.action = "list"
    assert _api(active_user(), view) is True
    view.action = "retrieve"  # not named: the view's policy (None: any signed-in user)
    assert _api(active_user(), view) is True
    by_method = SimpleNamespace(action=None, policies={"post": "tests.write"}, policy="tests.read")
    assert _api(active_user(), by_method, method="post") is False
    assert _api(active_user(), by_method, method="get") is True


# --- Navigation ----------------------------------------------------------------------------------


def test_navigation_lists_what_the_users_rules_allow_in_order(scratch_rules, monkeypatch):
    monkeypatch.setattr(navigation, "_items", [])
    access.rule("tests.all")(lambda user, obj=None: True)
    access.rule("tests.none")(lambda user, obj=None: False)
    second = navigation.NavItem("Board", "incidents:board", "tests.all", order=20)
    first = navigation.NavItem("List", "incidents:list", "tests.all", order=10)
    also_first = navigation.NavItem("Audit", "audit:list", "tests.all", order=10)
    hidden = navigation.NavItem("New", "incidents:create", "tests.none", order=1)
    for item in (second, first, also_first, hidden, first):
        navigation.register(item)
    assert navigation._items == [hidden, also_first, first, second]  # registered once each
    shown = navigation.items_for(active_user())
    assert [i["key"] for i in shown] == ["audit:list", "incidents:list", "incidents:board"]
    assert shown[1] == {"label": "List", "url": "/incidents/", "key": "incidents:list"}


# --- Break-glass ----------------------------------------------------------------------------------


@pytest.fixture
def refuge(log_incident: Any) -> Any:
    return log_incident().location


def test_a_reason_of_fewer_than_ten_characters_is_refused(make_user, refuge):
    sergeant = make_user(Role.SUPERVISOR)
    short = "x" * (MIN_REASON_LENGTH - 1)
    with pytest.raises(DomainError) as refused:
        break_glass_grant(actor=sergeant, subject=refuge, reason=f"  {short}   ")
    assert refused.value.field == "reason"
    assert str(refused.value) == "Give the reason you need this (at least 10 characters)."
    with pytest.raises(DomainError):
        break_glass_grant(actor=sergeant, subject=refuge, reason=None)  # type: ignore[arg-type]
    grant = break_glass_grant(actor=sergeant, subject=refuge, reason="x" * MIN_REASON_LENGTH)
    assert grant.reason == "x" * MIN_REASON_LENGTH
    assert not AuditEvent.objects.filter(action=ACTION, reason=short).exists()


def test_a_grant_is_an_audit_row_naming_its_scope_length_and_case(make_user, refuge, settings):
    settings.DAPOLICE_BREAK_GLASS_MINUTES = 20
    sergeant = make_user(Role.SUPERVISOR)
    grant = break_glass_grant(
        actor=sergeant, subject=refuge, reason="  Welfare visit today  ", what="text", case="DA-1"
    )
    assert (grant.action, grant.kind, grant.actor, grant.reason) == (
        ACTION,
        AuditEvent.Kind.ACCESS,
        sergeant,
        "Welfare visit today",
    )
    assert (grant.subject_type, grant.subject_id) == ("incidents.address", str(refuge.pk))
    assert grant.changes == {
        "scope": [None, f"incidents.address:{refuge.pk}:text"],
        "minutes": [None, 20],
        "case": [None, "DA-1"],
    }
    no_case = break_glass_grant(actor=sergeant, subject=refuge, reason="Welfare visit today")
    assert "case" not in no_case.changes


def test_scope_names_the_model_the_record_and_the_part(refuge):
    assert scope_for(refuge) == f"incidents.address:{refuge.pk}"
    assert scope_for(refuge, "text") == f"incidents.address:{refuge.pk}:text"


def test_a_grant_lasts_its_minutes_for_its_actor_and_scope_only(make_user, refuge, settings):
    settings.DAPOLICE_BREAK_GLASS_MINUTES = 15
    sergeant, other = make_user(Role.SUPERVISOR), make_user(Role.SUPERVISOR)
    with time_machine.travel(T0, tick=False) as clock:
        break_glass_grant(actor=sergeant, subject=refuge, reason="Welfare visit today")
        assert break_glass_active(actor=sergeant, subject=refuge)
        assert not break_glass_active(actor=sergeant, subject=refuge, what="text")
        assert not break_glass_active(actor=other, subject=refuge)
        clock.shift(timedelta(minutes=15))
        del sergeant._dapolice_break_glass_scopes  # a new request, a new user object
        assert break_glass_active(actor=sergeant, subject=refuge)  # the last minute counts
        clock.shift(timedelta(seconds=1))
        del sergeant._dapolice_break_glass_scopes
        assert not break_glass_active(actor=sergeant, subject=refuge)


def test_scopes_are_read_once_per_user_object_and_a_new_grant_rereads(
    make_user, refuge, django_assert_num_queries
):
    sergeant = make_user(Role.SUPERVISOR)
    with django_assert_num_queries(1):
        assert active_scopes(sergeant) == frozenset()
        assert active_scopes(sergeant) == frozenset()
    break_glass_grant(actor=sergeant, subject=refuge, reason="Welfare visit today")
    assert active_scopes(sergeant) == {scope_for(refuge)}


def test_only_a_break_glass_row_opens_a_scope(make_user, refuge):
    from dapolice.audit.services import record_access

    sergeant = make_user(Role.SUPERVISOR)
    # Another access event that happens to carry a scope (an export, say) opens nothing.
    record_access(
        actor=sergeant,
        action="accounts.export",
        subject=refuge,
        changes={"scope": [None, scope_for(refuge)]},
    )
    assert not break_glass_active(actor=sergeant, subject=refuge)
