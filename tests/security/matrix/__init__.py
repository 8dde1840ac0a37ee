"""The access matrix: one declarative row per route, collected from every module of this package.

Each module here (``incidents.py``, ``risk.py``, ``mash.py``, ``dapolice.py``, ``admin.py``; a
new app adds ``marac.py``) defines ``ROUTES``, a list of :class:`Route`. Nothing else to wire:
:data:`ROUTES` below gathers every module's rows, ``test_inventory.py`` fails when a URL pattern
or API operation has no row (or a row names no route), and ``test_matrix.py`` drives every cell
(route x principal x method) through the real views against one world of records
(``world.py``), checking the outcome, the audit rows and the field-level sentinels.

Outcomes are classes, not exact codes: :data:`OK` means the view ran past every access check
(2xx, a redirect that is not to sign-in, 400 form errors or a 409 conflict: what the service
answered is not the matrix's business), :data:`LOGIN` sign-in first (302 to the login page; 401
or 403 "not authenticated" from the API), :data:`DENIED` the 403 refusal, :data:`HIDDEN` 404 (not
visible is "does not exist").
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

OK = "ok"
LOGIN = "login"
DENIED = "denied"
HIDDEN = "hidden"
NOT_ALLOWED = "405"

#: Principals of the matrix: no session, a deactivated account (roles kept), a signed-in user with
#: no role, one user per role, and a partner of another agency than the one the world's MASH
#: referral went to.
ANONYMOUS = "anonymous"
DISABLED = "disabled"
OUTSIDER = "outsider"
CALL_TAKER = "call_taker"
CONTROL_SUPERVISOR = "control_supervisor"
OFFICER = "attending_officer"
SUPERVISOR = "supervisor"
MASH = "mash"
INVESTIGATOR = "investigator"
MARAC_COORDINATOR = "marac_coordinator"
ANALYST = "analyst"
PARTNER = "partner"
PARTNER_OTHER = "partner_other"
SYSADMIN = "sysadmin"

PRINCIPALS = (
    ANONYMOUS, DISABLED, OUTSIDER, CALL_TAKER, CONTROL_SUPERVISOR, OFFICER, SUPERVISOR, MASH,
    INVESTIGATOR, MARAC_COORDINATOR, ANALYST, PARTNER, PARTNER_OTHER, SYSADMIN,
)  # fmt: skip
SIGNED_OUT = frozenset({ANONYMOUS, DISABLED})
SIGNED_IN = frozenset(PRINCIPALS) - SIGNED_OUT

#: Police roles holding the ``view_*`` permissions of call intake (incidents/0002).
INTAKE = frozenset(
    {CALL_TAKER, CONTROL_SUPERVISOR, OFFICER, SUPERVISOR, MASH, INVESTIGATOR, MARAC_COORDINATOR}
)
#: Police roles (every police role has some case access; the analyst none).
POLICE = INTAKE
PARTNERS = frozenset({PARTNER, PARTNER_OTHER})

Expect = Mapping[str, str]


def expect(
    ok: Iterable[str] = (),
    *,
    hidden: Iterable[str] = (),
    denied: Iterable[str] | None = None,
    signed_out: str = LOGIN,
    **others: Iterable[str],
) -> dict[str, str]:
    """Every principal's outcome: ``ok`` roles OK, ``hidden`` 404, signed-out principals
    ``signed_out`` (sign in first), every other signed-in principal DENIED (403). ``others``
    maps an outcome name to principals for the odd cell (``not_allowed=[...]``)."""
    table = {p: DENIED for p in SIGNED_IN}
    table.update({p: signed_out for p in SIGNED_OUT})
    for p in denied or ():
        table[p] = DENIED
    for p in hidden:
        table[p] = HIDDEN
    for p in ok:
        table[p] = OK
    for outcome, principals in others.items():
        for p in principals:
            table[p] = outcome
    return table


#: Every principal, signed out too (a public route: sign-in, health).
def public() -> dict[str, str]:
    return dict.fromkeys(PRINCIPALS, OK)


@dataclass(frozen=True)
class Audit:
    """What an OK request must leave in the audit trail (by its actor, during the request):
    rows of ``kind`` (``read``, ``list``, ``search``, ``create``, ``change``, ``access``) about
    ``subject_type`` (a model label, lower case), or any subject when ``None``."""

    kind: str
    subject_type: str | None = None


@dataclass(frozen=True)
class Route:
    """One route (a URL name) with its expected outcome for every principal and method.

    * ``name``: the URL name (``"incidents:detail"``, ``"api-incident-list"``).
    * ``kwargs``: the URL arguments from the world (``lambda w: {"pk": w.incident.pk}``).
    * ``get`` / ``post`` (and ``put``, ``patch``, ``delete``): principal -> outcome, for each
      method the view answers (``expect(...)``); a method the view does not answer is left out.
    * ``data``: the body of unsafe requests (default none: a refusal must come before the form
      is looked at, and an allowed empty form is a 400 that re-renders).
    * ``audit``: method -> what an OK response must have audited.
    * ``case``: which object case this row is (``own``, ``other``, ``restricted``, ``closed``);
      a route may have several rows, one per case.
    * ``query``: a query string for GET (``"?q=..."``).
    * ``api``: an API route (anonymous gets 401/403 JSON, not a redirect).
    * ``setup``: called before each cell (``worker_heartbeat`` for ``/healthz``).
    * ``pending``: method -> principal -> an outcome also accepted *for now*: a finding whose
      fix is under way elsewhere (``note`` says which); remove the entry when it lands.
    * ``known_leaks``: principal -> sentinels tolerated for now in that route's responses (a
      reported finding, ``note`` says which); remove when fixed.
    """

    name: str
    get: Expect | None = None
    post: Expect | None = None
    put: Expect | None = None
    patch: Expect | None = None
    delete: Expect | None = None
    kwargs: Callable[[Any], dict[str, Any]] = field(default=lambda w: {})
    data: Callable[[Any], dict[str, Any]] | None = None
    audit: Mapping[str, Audit] = field(default_factory=dict)
    case: str = ""
    query: str = ""
    api: bool = False
    setup: Callable[[], Any] | None = None
    pending: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    known_leaks: Mapping[str, frozenset[str]] = field(default_factory=dict)
    note: str = ""

    @property
    def id(self) -> str:
        return f"{self.name}[{self.case}]" if self.case else self.name

    def methods(self) -> dict[str, Expect]:
        pairs = (
            ("get", self.get),
            ("post", self.post),
            ("put", self.put),
            ("patch", self.patch),
            ("delete", self.delete),
        )
        return {m: e for m, e in pairs if e is not None}


@dataclass(frozen=True)
class RoutePattern:
    """Routes covered by one rule rather than a row each: ``prefix`` of the URL name (the
    admin's generated routes). ``why`` says which test pins them."""

    prefix: str
    why: str


def _collect() -> tuple[list[Route], list[RoutePattern]]:
    routes: list[Route] = []
    patterns: list[RoutePattern] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        routes.extend(getattr(module, "ROUTES", []))
        patterns.extend(getattr(module, "PATTERNS", []))
    return routes, patterns


ROUTES, PATTERNS = _collect()
