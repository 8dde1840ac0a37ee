"""Call intake (``incidents``): pages and API. Rules: ``incidents/policies.py``."""

from __future__ import annotations

from tests.security.matrix import (
    ANALYST,
    CALL_TAKER,
    CONTROL_SUPERVISOR,
    INTAKE,
    INVESTIGATOR,
    MASH,
    NOT_ALLOWED,
    OFFICER,
    SUPERVISOR,
    SYSADMIN,
    Audit,
    Route,
    expect,
)
from tests.security.world import VICTIM_NAME

CONTROL_ROOM = {CALL_TAKER, CONTROL_SUPERVISOR}
ATTENDANCE = {CALL_TAKER, CONTROL_SUPERVISOR, OFFICER}
MARKERS = {CALL_TAKER, CONTROL_SUPERVISOR, OFFICER, SUPERVISOR, MASH}
#: Who keeps the duty inspector rota (configuration: administrators too).
ROTA = {SUPERVISOR, CONTROL_SUPERVISOR, SYSADMIN}
CUSTODY = {OFFICER, INVESTIGATOR, SUPERVISOR}
REVEALERS = {CONTROL_SUPERVISOR, SUPERVISOR, MASH, INVESTIGATOR}
#: Who signs off a break-glass reveal (never their own).
REVIEWERS = {CONTROL_SUPERVISOR, SUPERVISOR}

INCIDENT = "incidents.incident"
PERSON = "incidents.person"


def _matching_model(w):
    """A trained (inactive) model to compare and promote: aggregate weights, no person's data."""
    from dapolice.accounts.services import system_user
    from incidents.matching import scoring
    from incidents.matching.models import MatchingModel
    from incidents.matching.services import matching_model_create
    from incidents.matching.weights import to_json

    model = MatchingModel.objects.filter(name="matrix").first() or matching_model_create(
        actor=system_user(),
        name="matrix",
        source="splink",
        weights=to_json(scoring.DEFAULT_WEIGHTS),
    )
    return {"pk": model.pk}


def _incident(w):
    return {"pk": w.incident.pk}


ROUTES = [
    Route(
        "incidents:list",
        get=expect(INTAKE),
        post=expect(INTAKE),
        note="POST keeps the search term in the session (no name in a URL)",
        audit={"get": Audit("list", INCIDENT)},
    ),
    Route("incidents:board", get=expect(ATTENDANCE), audit={"get": Audit("list", INCIDENT)}),
    Route("incidents:create", get=expect(CONTROL_ROOM), post=expect(CONTROL_ROOM)),
    Route(
        "incidents:address-lookup",
        note="the street and town on record for a house and postcode (issue 8 item 6)",
        get=expect(**{NOT_ALLOWED: CONTROL_ROOM}),
        post=expect(CONTROL_ROOM),
        data=lambda w: {"location_house": "12", "location_postcode": "NR1 3DE"},
    ),
    Route(
        "incidents:deadline-preview",
        note="the deadline as it will be, beside the intake form (issue 8 item 5); reads no record",
        get=expect(**{NOT_ALLOWED: CONTROL_ROOM}),
        post=expect(CONTROL_ROOM),
        data=lambda w: {"category": "A", "location_postcode": "NR1 3DE"},
    ),
    # A further call on an open incident: the intake page's rule (incidents.create).
    Route(
        "incidents:match-panel",
        post=expect(INTAKE),
        data=lambda w: {
            "panel": "victim",
            "victim-given_name": "Vicky",
            "victim-family_name": VICTIM_NAME,
        },
        audit={"post": Audit("search", PERSON)},
    ),
    Route(
        "incidents:match-panel",
        case="restricted",
        note="the refuge's resident searched by name and the refuge's postcode: never its street",
        post=expect(INTAKE),
        data=lambda w: {
            "panel": "victim",
            "victim-given_name": "Vicky",
            "victim-family_name": "Refugeresident",
            "location_postcode": "NR4 5GH",
            "location_house": "12",
        },
        audit={"post": Audit("search", PERSON)},
    ),
    Route(
        "incidents:detail",
        kwargs=_incident,
        get=expect(INTAKE),
        audit={"get": Audit("read", INCIDENT)},
    ),
    Route(
        "incidents:add-call",
        kwargs=_incident,
        note="a further call logged on an open incident (issue 8 item 4); POST only",
        get=expect(**{NOT_ALLOWED: CONTROL_ROOM}),
        post=expect(CONTROL_ROOM),
    ),
    Route("incidents:defer", kwargs=_incident, post=expect({CONTROL_SUPERVISOR})),
    Route("incidents:regrade", kwargs=_incident, post=expect(CONTROL_ROOM)),
    Route("incidents:dispatch", kwargs=_incident, post=expect(ATTENDANCE)),
    Route("incidents:arrival", kwargs=_incident, post=expect(ATTENDANCE)),
    # Bail, custody and release (recommendation 12): police in the case record it; the SPOC
    # (often MASH staff) may record that the victim was told.
    Route(
        "incidents:inspector-rota",
        get=expect(ROTA),
        post=expect(ROTA),
        audit={"get": Audit("list", "incidents.dutyinspectorshift")},
    ),
    Route(
        "incidents:inspector-shift-end",
        kwargs=lambda w: {"pk": w.extra["inspector_shift"].pk},
        post=expect(ROTA),
        note="the first allowed cell ends the shift; later ones get the 'already ended' conflict",
    ),
    Route("incidents:custody-record", kwargs=_incident, post=expect(CUSTODY)),
    Route(
        "incidents:custody-informed",
        kwargs=lambda w: {"pk": w.incident.pk, "event_pk": w.extra["custody"].pk},
        post=expect(CUSTODY | {MASH}),
        note="the first allowed cell records it; later ones get the 'already told' conflict",
    ),
    Route(
        "incidents:address-reveal",
        case="restricted",
        kwargs=lambda w: {"pk": w.refuge_incident.pk, "address_pk": w.refuge.pk},
        get=expect(REVEALERS),
        post=expect(REVEALERS),
    ),
    Route(
        "incidents:address-reveal",
        case="unrestricted",
        note="probe item 4: the same answer for any address id, no oracle of refuges",
        kwargs=lambda w: {"pk": w.incident.pk, "address_pk": w.incident.location_id},
        get=expect(REVEALERS),
        post=expect(REVEALERS),
    ),
    Route(
        "incidents:reveal-queue",
        get=expect(REVIEWERS),
        audit={"get": Audit("list", "incidents.addressreveal")},
    ),
    Route(
        "incidents:reveal-review",
        kwargs=lambda w: {"pk": w.extra["reveal"].pk},
        post=expect(REVIEWERS),
    ),
    # --- API -------------------------------------------------------------------------------
    Route(
        "api-incident-list",
        api=True,
        get=expect(INTAKE),
        # Every incident of the world, to every role that may read incidents.
        lists=lambda w, who: {i.pk for i in w.incidents()},
        post=expect(CONTROL_ROOM),
        audit={"get": Audit("list", INCIDENT)},
    ),
    Route(
        "api-incident-detail",
        api=True,
        kwargs=_incident,
        get=expect(INTAKE),
        audit={"get": Audit("read", INCIDENT)},
    ),
    Route("api-incident-defer", api=True, kwargs=_incident, post=expect({CONTROL_SUPERVISOR})),
    Route("api-incident-arrival", api=True, kwargs=_incident, post=expect(ATTENDANCE)),
    Route("api-custody-create", api=True, kwargs=_incident, post=expect(CUSTODY)),
    Route(
        "api-custody-informed",
        api=True,
        kwargs=lambda w: {"pk": w.incident.pk, "event_pk": w.extra["custody"].pk},
        post=expect(CUSTODY | {MASH}),
        note="the first allowed cell records it; later ones get the 409 'already told'",
    ),
    Route("api-person-create", api=True, post=expect(CONTROL_ROOM)),
    Route(
        "api-person-match",
        api=True,
        post=expect(INTAKE),
        data=lambda w: {"given_name": "Vicky", "family_name": VICTIM_NAME},
        audit={"post": Audit("search", PERSON)},
    ),
    Route(
        "api-person-match",
        case="restricted",
        api=True,
        post=expect(INTAKE),
        data=lambda w: {"given_name": "Vicky", "family_name": "Refugeresident"},
        audit={"post": Audit("search", PERSON)},
    ),
    Route(
        "api-person-detail",
        api=True,
        kwargs=lambda w: {"pk": w.victim.pk},
        get=expect(INTAKE),
        audit={"get": Audit("read", PERSON)},
    ),
    Route("api-marker-create", api=True, post=expect(MARKERS)),
    # Issue 14: analysts compare a trained matching model with the one in use and promote it.
    Route("incidents:matching-models", get=expect({ANALYST})),
    Route(
        "incidents:matching-model",
        kwargs=_matching_model,
        note="POST promotes (through the service's evaluation gate); empty form is a 400",
        get=expect({ANALYST}),
        post=expect({ANALYST}),
        audit={"get": Audit("read", "matching.matchingmodel")},
    ),
]
