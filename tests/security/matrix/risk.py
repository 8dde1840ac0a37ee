"""DASH (``risk``): pages and API. Rules: ``risk/policies.py``. The officer persona is attached
to ``w.incident`` (own) and authored ``w.dash`` (reviewed: closed to edits) and ``w.dash_open``
(awaiting review); ``w.dash_other`` is another officer's on an incident they are not attached to.
"""

from __future__ import annotations

from tests.security.matrix import (
    INVESTIGATOR,
    MARAC_COORDINATOR,
    MASH,
    OFFICER,
    SUPERVISOR,
    Audit,
    Route,
    expect,
)

READERS = {OFFICER, SUPERVISOR, MASH, INVESTIGATOR, MARAC_COORDINATOR}
READ_ALL = {SUPERVISOR, MASH, INVESTIGATOR, MARAC_COORDINATOR}
ASSESSMENT = "risk.assessment"


def _dash(w):
    return {"pk": w.dash.pk}


def _open(w):
    return {"pk": w.dash_open.pk}


def _other(w):
    return {"pk": w.dash_other.pk}


ROUTES = [
    Route("risk:list", get=expect(READERS), audit={"get": Audit("list", ASSESSMENT)}),
    Route("risk:queue", get=expect({SUPERVISOR}), audit={"get": Audit("list", ASSESSMENT)}),
    Route(
        "risk:dash-start",
        case="own",
        kwargs=lambda w: {"pk": w.incident.pk},
        get=expect({OFFICER}),
        post=expect({OFFICER}),
        audit={"get": Audit("read", "incidents.incident"), "post": Audit("create", ASSESSMENT)},
    ),
    Route(
        "risk:dash-start",
        case="other",
        kwargs=lambda w: {"pk": w.other_incident.pk},
        get=expect(),
        post=expect(),
    ),
    Route(
        "risk:dash-detail",
        case="own",
        kwargs=_dash,
        get=expect(READERS),
        audit={"get": Audit("read", ASSESSMENT)},
    ),
    Route(
        "risk:dash-detail",
        case="other",
        kwargs=_other,
        get=expect(READ_ALL, hidden={OFFICER}),
        audit={"get": Audit("read", ASSESSMENT)},
    ),
    Route(
        "risk:dash-edit",
        case="own",
        kwargs=_open,
        get=expect({OFFICER}),
        post=expect({OFFICER}),
        audit={"get": Audit("read", ASSESSMENT)},
    ),
    Route(
        "risk:dash-edit",
        case="closed",
        kwargs=_dash,
        get=expect({OFFICER}),
        post=expect({OFFICER}),
        audit={"get": Audit("read", ASSESSMENT)},
    ),
    Route(
        "risk:dash-edit",
        case="other",
        kwargs=_other,
        get=expect(hidden={OFFICER}),
        post=expect(hidden={OFFICER}),
    ),
    Route(
        "risk:dash-review",
        case="own",
        kwargs=_open,
        get=expect({SUPERVISOR}),
        post=expect({SUPERVISOR}),
        audit={"get": Audit("read", ASSESSMENT)},
    ),
    Route(
        "risk:dash-review",
        case="closed",
        kwargs=_dash,
        get=expect({SUPERVISOR}),
        post=expect({SUPERVISOR}),
        audit={"get": Audit("read", ASSESSMENT)},
    ),
    Route(
        "risk:dash-pdf",
        kwargs=_dash,
        get=expect(READERS),
        audit={"get": Audit("read", ASSESSMENT)},
    ),
    Route(
        "risk:history",
        kwargs=lambda w: {"pk": w.victim.pk},
        get=expect(READERS),
        audit={"get": Audit("read", "incidents.person")},
    ),
    Route(
        "risk:reassessment-close",
        kwargs=lambda w: {"pk": w.victim.pk},
        post=expect({SUPERVISOR, MASH}),
        note="the world's victim has no re-assessment pending: an empty form is a 400",
    ),
    # --- API -------------------------------------------------------------------------------
    Route("api-risk-instruments", api=True, get=expect(READERS)),
    Route(
        "api-risk-assessment-list",
        api=True,
        get=expect(READERS),
        # The officer: their own two (not another officer's); the other readers: all three.
        lists=lambda w, who: (
            {w.dash.pk, w.dash_open.pk} | (set() if who == OFFICER else {w.dash_other.pk})
        ),
        post=expect({OFFICER, SUPERVISOR}),
        audit={"get": Audit("list", ASSESSMENT)},
    ),
    Route(
        "api-risk-assessment-detail",
        api=True,
        kwargs=_dash,
        get=expect(READERS),
        put=expect({OFFICER}),
        audit={"get": Audit("read", ASSESSMENT)},
    ),
    Route(
        "api-risk-assessment-list",
        case="foreign",
        note="a foreign id in the body: an incident the officer persona is not attached to",
        api=True,
        post=expect(),
        data=lambda w: {"incident": w.other_incident.pk},
    ),
    Route(
        "api-risk-assessment-list",
        case="own",
        api=True,
        post=expect({OFFICER}),
        data=lambda w: {"incident": w.extra["fresh_incident"].pk},
        audit={"post": Audit("create", ASSESSMENT)},
    ),
    Route("api-risk-assessment-submit", api=True, kwargs=_open, post=expect({OFFICER})),
    Route("api-risk-assessment-review", api=True, kwargs=_open, post=expect({SUPERVISOR})),
    Route(
        "api-risk-queue",
        api=True,
        get=expect({SUPERVISOR}),
        audit={"get": Audit("list", ASSESSMENT)},
    ),
    Route(
        "api-risk-history",
        api=True,
        kwargs=lambda w: {"pk": w.victim.pk},
        get=expect(READERS),
        audit={"get": Audit("read", "incidents.person")},
    ),
]
