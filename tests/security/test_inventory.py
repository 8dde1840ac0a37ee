"""The route inventory: every URL pattern (Django's resolver) and every API operation (the
OpenAPI schema drf-spectacular serves) has a row in the access matrix (``matrix/``), answers
through an access check, and is open to signed-out users only if it is on the allow-list. So a
new view cannot land without its row, and a row cannot outlive its route.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.views.generic.edit import ProcessFormView
from drf_spectacular.generators import SchemaGenerator
from rest_framework.views import APIView

from dapolice.access.api import PolicyPermission
from dapolice.access.views import PolicyRequiredMixin
from tests.security.matrix import PATTERNS, ROUTES, SIGNED_OUT, Route
from tests.security.matrix.dapolice import PUBLIC

#: Views from libraries that cannot carry our mixin, with what guards each (the matrix rows
#: prove the outcome for every principal).
LIBRARY_VIEWS = {
    "two_factor:login": "sign-in itself (django-axes lockout, MFA: tests/dapolice)",
    "two_factor:setup": "django-two-factor-auth: login_required",
    "two_factor:qr": "django-two-factor-auth: login_required, 404 outside set-up",
    "two_factor:setup_complete": "django-two-factor-auth: otp_required",
    "two_factor:backup_tokens": "django-two-factor-auth: otp_required",
    "two_factor:profile": "django-two-factor-auth: login_required",
    "two_factor:disable": "django-two-factor-auth: otp_required (and mfa-disable first)",
    "mfa-disable": "two_factor's DisableView, refused while MFA is required",
    "accounts:logout": "Django's LogoutView (POST only)",
    "accounts:password-reset-confirm": "Django's reset link: the token is the credential",
    "accounts:password-reset-complete": "a static page",
    "schema": "drf-spectacular: SERVE_PERMISSIONS = ApiDocsPermission (the api.docs rule)",
    "swagger-ui": "drf-spectacular: SERVE_PERMISSIONS = ApiDocsPermission (the api.docs rule)",
    "healthz": "django-health-check: no personal data, for the load balancer",
}

_IGNORED_METHODS = {"head", "options", "trace"}


@dataclass(frozen=True)
class Found:
    name: str  # namespaced URL name; "<ns>:<unnamed>" for an unnamed pattern
    pattern: str
    view: Any  # the view class, or the function


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Found]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            inner = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            callback = entry.callback
            view = getattr(callback, "view_class", None) or getattr(callback, "cls", callback)
            name = entry.name or "<unnamed>"
            full = f"{namespace}:{name}" if namespace else name
            yield Found(name=full, pattern=prefix + str(entry.pattern), view=view)


def all_routes() -> list[Found]:
    return list(_walk(get_resolver().url_patterns))


def _rows_by_name() -> dict[str, list[Route]]:
    rows: dict[str, list[Route]] = {}
    for route in ROUTES:
        rows.setdefault(route.name, []).append(route)
    return rows


def _pattern_for(name: str) -> Any:
    return next((p for p in PATTERNS if name.startswith(p.prefix)), None)


def _methods(view: Any) -> set[str]:
    if not isinstance(view, type):
        return set()
    names = set(getattr(view, "http_method_names", ())) - _IGNORED_METHODS
    methods = {m for m in names if callable(getattr(view, m, None))}
    if getattr(view, "put", None) is ProcessFormView.put:  # Django's forms: PUT is POST
        methods.discard("put")
    return methods


def test_every_url_pattern_has_a_row_in_the_matrix():
    rows = _rows_by_name()
    missing = [
        f"{found.name} ({found.pattern})"
        for found in all_routes()
        if found.name not in rows and _pattern_for(found.name) is None
    ]
    assert not missing, (
        "routes with no row in tests/security/matrix/ (README, 'Every route, proven'):\n  "
        + "\n  ".join(missing)
    )


def test_every_row_names_a_route_that_exists():
    names = {found.name for found in all_routes()}
    stale = sorted({route.name for route in ROUTES} - names)
    assert not stale, f"rows for routes that no longer exist: {stale}"


def test_each_row_covers_every_method_the_view_answers():
    rows = _rows_by_name()
    gaps = []
    for found in all_routes():
        if found.name not in rows:
            continue
        covered = set().union(*(route.methods() for route in rows[found.name]))
        answered = _methods(found.view)
        if answered - covered:
            gaps.append(f"{found.name}: {sorted(answered - covered)} not in the matrix")
    assert not gaps, "\n".join(gaps)


def _schema_operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = []
    for path, item in schema["paths"].items():
        for method in item:
            if method in {"get", "post", "put", "patch", "delete"}:
                operations.append((path, method))
    return operations


def test_every_api_operation_in_the_openapi_schema_has_a_row():
    rows = _rows_by_name()
    operations = _schema_operations()
    assert len(operations) >= 20  # the schema really was generated
    missing = []
    for path, method in operations:
        match = resolve(re.sub(r"\{[^}]+\}", "1", path))
        if not any(method in route.methods() for route in rows.get(match.view_name, [])):
            missing.append(f"{method.upper()} {path} ({match.view_name})")
    assert not missing, "API operations with no matrix cell:\n  " + "\n  ".join(missing)


def _guarded(found: Found) -> bool:
    view = found.view
    if isinstance(view, type) and issubclass(view, PolicyRequiredMixin):
        return hasattr(view, "policy")
    if isinstance(view, type) and issubclass(view, APIView):
        declared = hasattr(view, "policy") or hasattr(view, "policies")
        return declared and PolicyPermission in tuple(view.permission_classes)
    return False


def test_every_route_checks_access_through_the_policy_registry():
    """Our views name a policy (PolicyRequiredMixin / PolicyPermission); the admin's routes are
    the admin's (staff only); library views are listed with what guards them."""
    unguarded = [
        f"{found.name} ({found.view})"
        for found in all_routes()
        if not _guarded(found)
        and found.name not in LIBRARY_VIEWS
        and _pattern_for(found.name) is None
    ]
    assert not unguarded, "routes with no policy:\n  " + "\n  ".join(unguarded)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.id)
def test_only_the_allow_list_is_open_to_signed_out_users(route):
    """A route whose matrix row lets a signed-out user through must be on ``PUBLIC``: a row
    cannot quietly open a route (``two_factor:disable``'s redirect to home is not content)."""
    from tests.security.matrix import OK

    opened = {
        method
        for method, expected in route.methods().items()
        if any(expected.get(p) == OK for p in SIGNED_OUT)
    }
    redirects_only = {"two_factor:disable", "mfa-disable"}
    if opened and route.name not in redirects_only:
        assert route.name in PUBLIC, f"{route.id} is open to signed-out users: {sorted(opened)}"


def test_every_row_has_an_outcome_for_every_principal():
    from tests.security.matrix import PRINCIPALS

    for route in ROUTES:
        assert route.methods(), route.id
        for method, expected in route.methods().items():
            assert set(expected) == set(PRINCIPALS), (route.id, method)
