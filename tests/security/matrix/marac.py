"""MARAC (``marac``): pages and API. Rules: ``marac/policies.py``. ``w.extra["marac_case"]`` is
the world victim's MARAC case, listed on a meeting that invited health (the ``partner``
persona's agency) and not housing (``partner_other``'s); ``marac_action`` is health's action on
it. The coordinator works everything; a partner sees the cases their agency was invited to and
only their agency's actions (another agency's: 404); analysts the quarterly return only."""

from __future__ import annotations

from tests.security.matrix import (
    ANALYST,
    MARAC_COORDINATOR,
    PARTNER,
    PARTNER_OTHER,
    Audit,
    Route,
    expect,
)

CASE = "marac.maraccase"
ACTION = "marac.action"
COORD = {MARAC_COORDINATOR}
PARTNERS = {PARTNER, PARTNER_OTHER}
#: The case's readers: the coordinator and the invited agency; the other agency: not found.
CASE_OK = dict(ok={MARAC_COORDINATOR, PARTNER}, hidden={PARTNER_OTHER})


def _case(w):
    return {"pk": w.extra["marac_case"].pk}


def _action(w):
    return {"pk": w.extra["marac_action"].pk}


def _meeting(w):
    return {"pk": w.extra["marac_meeting"].pk}


ROUTES = [
    Route(
        "marac:cases",
        get=expect(COORD | PARTNERS),
        audit={"get": Audit("list", CASE)},
    ),
    Route("marac:refer", get=expect(COORD | PARTNERS), post=expect(COORD | PARTNERS)),
    Route(
        "marac:case-detail", kwargs=_case, get=expect(**CASE_OK), audit={"get": Audit("read", CASE)}
    ),
    Route("marac:research-add", kwargs=_case, get=expect(**CASE_OK), post=expect(**CASE_OK)),
    Route("marac:discussion", kwargs=_case, get=expect(COORD), post=expect(COORD)),
    Route("marac:action-add", kwargs=_case, get=expect(COORD), post=expect(COORD)),
    Route("marac:case-reassess", kwargs=_case, get=expect(COORD), post=expect(COORD)),
    Route("marac:case-close", kwargs=_case, get=expect(COORD), post=expect(COORD)),
    Route(
        "marac:action-report",
        kwargs=_action,
        get=expect(**CASE_OK),
        post=expect(**CASE_OK),
        audit={"get": Audit("read", ACTION)},
    ),
    Route("marac:meetings", get=expect(COORD), post=expect(COORD)),
    Route(
        "marac:meeting-detail",
        kwargs=_meeting,
        get=expect(COORD),
        post=expect(COORD),
        audit={"get": Audit("list", CASE)},
    ),
    Route(
        "marac:meeting-invite",
        kwargs=_meeting,
        get=expect(COORD),
        post=expect(COORD),
        audit={"post": Audit("change", "marac.meeting")},
    ),
    Route(
        "marac:agenda-build",
        kwargs=_meeting,
        post=expect(COORD),
        audit={"post": Audit("change", "marac.meeting")},
    ),
    Route(
        "marac:agenda-pdf",
        kwargs=_meeting,
        get=expect(COORD),
        audit={"get": Audit("access", "marac.meeting")},
    ),
    Route("marac:tracker", get=expect(COORD), audit={"get": Audit("list", ACTION)}),
    Route("marac:return", get=expect(COORD | {ANALYST}), audit={"get": Audit("access")}),
    # --- API -------------------------------------------------------------------------------
    Route(
        "api-marac-cases",
        api=True,
        get=expect(COORD | PARTNERS),
        post=expect(COORD | PARTNERS),
        audit={"get": Audit("list", CASE)},
    ),
    Route(
        "api-marac-case",
        api=True,
        kwargs=_case,
        get=expect(**CASE_OK),
        audit={"get": Audit("read", CASE)},
    ),
    Route("api-marac-action-add", api=True, kwargs=_case, get=expect(COORD), post=expect(COORD)),
    Route("api-marac-reassess", api=True, kwargs=_case, get=expect(COORD), post=expect(COORD)),
    Route("api-marac-close", api=True, kwargs=_case, get=expect(COORD), post=expect(COORD)),
    Route(
        "api-marac-actions",
        api=True,
        get=expect(COORD | PARTNERS),
        audit={"get": Audit("list", ACTION)},
    ),
    Route("api-marac-action-report", api=True, kwargs=_action, post=expect(**CASE_OK)),
    Route("api-marac-meetings", api=True, get=expect(COORD), post=expect(COORD)),
    Route(
        "api-marac-agenda",
        api=True,
        kwargs=_meeting,
        get=expect(COORD),
        post=expect(COORD),
        audit={"get": Audit("list", CASE)},
    ),
    Route(
        "api-marac-return",
        api=True,
        get=expect(COORD | {ANALYST}),
        audit={"get": Audit("access")},
    ),
]
