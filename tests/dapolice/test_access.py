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


# --- What a refusal says, and the one-object mixins ----------------------------------------------


def test_a_refusal_names_who_may_and_a_rule_without_who_says_another_role(scratch_rules):
    access.rule("tests.sergeants", who="a sergeant on duty")(lambda user, obj=None: False)
    access.rule("tests.anyone_else")(lambda user, obj=None: False)
    assert access.refusal("tests.sergeants") == "Only a sergeant on duty may do this."
    assert access.refusal("tests.anyone_else") == "Only another role may do this."


def test_require_says_who_may_unless_given_its_own_message(scratch_rules):
    access.rule("tests.sergeants", who="a sergeant on duty")(lambda user, obj=None: False)
    with pytest.raises(PermissionDenied) as refused:
        access.require(active_user(), "tests.sergeants")
    assert str(refused.value) == "Only a sergeant on duty may do this."
    with pytest.raises(PermissionDenied) as refused:
        access.require(active_user(), "tests.sergeants", message="Ask the duty inspector.")
    assert str(refused.value) == "Ask the duty inspector."


def test_a_refused_page_is_the_403_page_saying_who_may(make_user, monkeypatch):
    # The real registry (the layout shows the user's navigation), plus one rule that refuses.
    monkeypatch.setitem(
        registry._rules,
        "tests.sergeants",
        registry.Rule(predicate=lambda user, obj=None: False, who="a sergeant on duty"),
    )
    page = type("Page", (_Page,), {"policy": "tests.sergeants"})
    user = make_user(Role.CALL_TAKER)
    response = _dispatch(page, user)
    assert (response.status_code, response.template_name) == (403, "403.html")
    content = response.render().content.decode()
    assert "Only a sergeant on duty may do this." in content
    assert f'data-user="{user.pk}"' in content  # rendered with the request: the user's layout


def test_the_api_refusal_says_who_may(scratch_rules):
    access.rule("tests.sergeants", who="a sergeant on duty")(lambda user, obj=None: False)
    permission = PolicyPermission()
    request = SimpleNamespace(user=active_user(), method="GET")
    assert permission.has_permission(request, SimpleNamespace(policy="tests.sergeants")) is False  # type: ignore[arg-type]
    assert permission.message == "Only a sergeant on duty may do this."


def test_the_api_object_permission_asks_about_the_object(scratch_rules):
    access.rule("tests.own")(lambda user, obj=None: obj is not None and obj.owner == user.name)
    permission = PolicyPermission()
    request = SimpleNamespace(user=active_user(name="ann"), method="GET")
    view = SimpleNamespace(policy="tests.own")
    own, other = SimpleNamespace(owner="ann"), SimpleNamespace(owner="bob")
    assert permission.has_object_permission(request, view, own) is True  # type: ignore[arg-type]
    assert permission.has_object_permission(request, view, other) is False  # type: ignore[arg-type]
    anonymous = SimpleNamespace(user=AnonymousUser(), method="GET")
    assert permission.has_object_permission(anonymous, view, own) is False  # type: ignore[arg-type]


def test_the_api_docs_are_for_signed_in_users_the_docs_rule_allows(scratch_rules):
    from dapolice.access.api import ApiDocsPermission

    access.rule("api.docs")(lambda user, obj=None: user.name == "ann")

    def docs(user: Any) -> bool:
        return ApiDocsPermission().has_permission(SimpleNamespace(user=user), None)  # type: ignore[arg-type]

    assert docs(active_user(name="ann")) is True
    assert docs(active_user(name="bob")) is False
    assert docs(SimpleNamespace(is_authenticated=False, is_active=True, name="ann")) is False
    assert docs(None) is False


def _object_api(user: Any, obj: Any) -> Any:
    from rest_framework.response import Response
    from rest_framework.test import APIRequestFactory, force_authenticate
    from rest_framework.views import APIView

    from dapolice.access.api import ObjectPolicyApiMixin

    class One(ObjectPolicyApiMixin, APIView):
        policy = "tests.own"
        authentication_classes = ()
        throttle_classes = ()

        def select_object(self) -> Any:
            return obj

        def get(self, request: Any) -> Any:
            return Response({"owner": self.get_object().owner})

    request = APIRequestFactory().get("/api/one/")
    force_authenticate(request, user=user)
    return One.as_view()(request)


def test_the_api_object_mixin_loads_through_the_selector_then_checks_the_policy_on_it(
    scratch_rules,
):
    access.rule("tests.own", who="its owner")(
        lambda user, obj=None: obj is None or obj.owner == user.name
    )
    allowed = _object_api(active_user(name="ann"), SimpleNamespace(owner="ann"))
    assert (allowed.status_code, allowed.data) == (200, {"owner": "ann"})
    refused = _object_api(active_user(name="ann"), SimpleNamespace(owner="bob"))
    assert refused.status_code == 403
    assert str(refused.data["detail"]) == "Only its owner may do this."


def test_an_api_object_view_without_a_selector_is_a_programming_error():
    from dapolice.access.api import ObjectPolicyApiMixin

    class NoSelector(ObjectPolicyApiMixin):
        pass

    with pytest.raises(NotImplementedError, match="NoSelector must load its object"):
        NoSelector().select_object()


def _object_page(loads: list[Any], obj: Any, policy: str | None = "tests.own") -> type:
    from dapolice.access.views import ObjectPolicyMixin

    class One(ObjectPolicyMixin, View):
        def get_object(self) -> Any:
            loads.append(obj)
            return obj

        def get(self, request: Any) -> Any:
            return ("shown", self.object)

    One.policy = policy
    return One


def test_the_object_page_checks_the_role_then_loads_the_object_then_checks_it(scratch_rules):
    # Ann and Bob hold the role (no object: True); Carl does not.
    access.rule("tests.own", who="its owner")(
        lambda user, obj=None: user.name != "carl" and (obj is None or obj.owner == user.name)
    )
    loads: list[Any] = []
    anns = SimpleNamespace(owner="ann")
    page = _object_page(loads, anns)
    assert _dispatch(page, active_user(name="ann")) == ("shown", anns)
    assert loads == [anns]
    refused = _dispatch(page, active_user(name="bob"))  # the role, not this object
    assert refused.status_code == 403
    assert refused.context_data == {"refusal": "Only its owner may do this."}
    assert loads == [anns, anns]
    assert _dispatch(page, active_user(name="carl")).status_code == 403
    assert loads == [anns, anns]  # no role: the object is never loaded (nor its read audited)
    assert _dispatch(page, AnonymousUser()).status_code == 302
    assert loads == [anns, anns]


def test_an_object_page_must_name_a_policy_and_load_through_a_selector(scratch_rules):
    from dapolice.access.views import ObjectPolicyMixin

    open_page = _object_page([], SimpleNamespace(owner="ann"), policy=None)
    with pytest.raises(ImproperlyConfigured, match="One must name the policy of its object"):
        _dispatch(open_page, active_user(name="ann"))

    class Forgot(ObjectPolicyMixin, View):
        pass

    with pytest.raises(ImproperlyConfigured, match="Forgot must name the policy"):
        _dispatch(Forgot, active_user(name="ann"))
    access.rule("tests.any")(lambda user, obj=None: True)
    no_selector = type("NoSelector", (ObjectPolicyMixin, View), {"policy": "tests.any"})
    with pytest.raises(NotImplementedError, match="NoSelector must load its object"):
        _dispatch(no_selector, active_user(name="ann"))


def test_a_grant_expires_its_minutes_after_the_latest_grant_for_that_actor_and_scope(
    make_user, refuge, settings
):
    from dapolice.access.breakglass import break_glass_expires_at
    from dapolice.audit.services import record_access

    settings.DAPOLICE_BREAK_GLASS_MINUTES = 15
    sergeant, other = make_user(Role.SUPERVISOR), make_user(Role.SUPERVISOR)
    with time_machine.travel(T0, tick=False) as clock:
        assert break_glass_expires_at(actor=sergeant, subject=refuge) is None
        break_glass_grant(actor=sergeant, subject=refuge, reason="Welfare visit today")
        assert break_glass_expires_at(actor=sergeant, subject=refuge) == T0 + timedelta(minutes=15)
        assert break_glass_expires_at(actor=sergeant, subject=refuge, what="text") is None
        assert break_glass_expires_at(actor=other, subject=refuge) is None
        clock.shift(timedelta(minutes=5))
        break_glass_grant(actor=sergeant, subject=refuge, reason="Welfare visit again")
        # Another access row naming the same scope later opens nothing and ends nothing.
        clock.shift(timedelta(minutes=1))
        record_access(
            actor=sergeant,
            action="accounts.export",
            subject=refuge,
            changes={"scope": [None, scope_for(refuge)]},
        )
        latest = T0 + timedelta(minutes=20)
        assert break_glass_expires_at(actor=sergeant, subject=refuge) == latest
        clock.move_to(latest)
        assert break_glass_expires_at(actor=sergeant, subject=refuge) == latest  # the last minute
        clock.shift(timedelta(seconds=1))
        assert break_glass_expires_at(actor=sergeant, subject=refuge) is None


def test_a_grant_for_a_part_expires_on_its_own(make_user, refuge, settings):
    from dapolice.access.breakglass import break_glass_expires_at

    settings.DAPOLICE_BREAK_GLASS_MINUTES = 15
    sergeant = make_user(Role.SUPERVISOR)
    with time_machine.travel(T0, tick=False):
        break_glass_grant(actor=sergeant, subject=refuge, reason="Welfare visit today", what="text")
        assert break_glass_expires_at(
            actor=sergeant, subject=refuge, what="text"
        ) == T0 + timedelta(minutes=15)
        assert break_glass_expires_at(actor=sergeant, subject=refuge) is None


def test_the_object_page_hands_the_url_arguments_to_the_view(scratch_rules):
    from dapolice.access.views import ObjectPolicyMixin

    access.rule("tests.any")(lambda user, obj=None: True)

    class Detail(ObjectPolicyMixin, View):
        policy = "tests.any"

        def get_object(self) -> Any:
            return self.kwargs["part"]

        def get(self, request: Any, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
            return args, kwargs, self.object

    request = RequestFactory().get("/incidents/7/")
    request.user = active_user()
    assert Detail.as_view()(request, "7", part="text") == (("7",), {"part": "text"}, "text")
