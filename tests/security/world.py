"""One world of records for the access matrix, made through the services (as users make them).

Built once per test module inside a transaction that is rolled back at the end (``world``
fixture in ``conftest.py``); each cell of the matrix runs in a savepoint of its own, so a POST
that succeeds changes nothing for the next cell. Each xdist worker has its own test database,
so nothing is shared between processes.

Sentinels are unique strings placed in the fields a role may not be entitled to: the refuge's
street (nobody here has revealed it), the children's details of the DASH, and police
intelligence in the MASH case's information.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.test import TestCase
from django.utils import timezone

from dapolice.accounts.choices import Role
from dapolice.accounts.models import Agency, User
from dapolice.accounts.services import role_request_create, system_user, user_create
from dapolice.alerts.models import Alert
from incidents import services as incident_services
from incidents.inputs import AddressInput, Checklist, IncidentInput, PersonInput
from incidents.models import AddressReveal
from mash import services as mash_services
from mash.models import EncompassNotice, MashCase
from risk import services as risk_services
from tests.incidents.helpers import NO
from tests.risk.conftest import complete_input
from tests.security.matrix import (
    ANALYST,
    CALL_TAKER,
    CONTROL_SUPERVISOR,
    DISABLED,
    INVESTIGATOR,
    MARAC_COORDINATOR,
    MASH,
    OFFICER,
    OUTSIDER,
    PARTNER,
    PARTNER_OTHER,
    SUPERVISOR,
    SYSADMIN,
)

PASSWORD = "correct horse battery staple"

#: Unique strings that must appear only where their field may be shown.
REFUGE_SENTINEL = "Zqxrefugestreet"
CHILDREN_SENTINEL = "Zqxchildname"
INTEL_SENTINEL = "Zqxintelligence"
#: The victim's family name: a response that shows it shows a person (the audit must say so).
VICTIM_NAME = "Zqxvictimson"

_ROLE_OF = {
    CALL_TAKER: Role.CALL_TAKER,
    CONTROL_SUPERVISOR: Role.CONTROL_SUPERVISOR,
    OFFICER: Role.ATTENDING_OFFICER,
    SUPERVISOR: Role.SUPERVISOR,
    MASH: Role.MASH,
    INVESTIGATOR: Role.INVESTIGATOR,
    MARAC_COORDINATOR: Role.MARAC_COORDINATOR,
    ANALYST: Role.ANALYST,
    SYSADMIN: Role.SYSADMIN,
}


@dataclass
class World:
    users: dict[str, User] = field(default_factory=dict)
    incident: Any = None  # the officer persona is attached; a reviewed DASH; a MASH case
    other_incident: Any = None  # nobody of the personas attached
    refuge_incident: Any = None  # at a restricted address (the refuge sentinel)
    refuge: Any = None
    victim: Any = None
    dash: Any = None  # reviewed (closed to edits), children sentinel
    dash_open: Any = None  # submitted by the officer persona, awaiting review
    dash_other: Any = None  # another officer's, on an incident the persona is not attached to
    case: Any = None  # MASH case of ``dash``; intelligence sentinel
    referral: Any = None  # to the partner persona's agency
    notice: Any = None
    alert: Any = None  # to the control-room supervisors
    role_request: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def incidents(self) -> list[Any]:
        extra = [self.extra["second_incident"], self.extra["fresh_incident"]]
        return [self.incident, *extra, self.other_incident, self.refuge_incident]


def _incident(actor: User, *, family: str, street: str = "Mill Road", postcode: str = "NR1 2AB"):
    data = IncidentInput(
        location=AddressInput(house="12", street=street, town="Norwich", postcode=postcode),
        relationship="partner",
        checklist=Checklist(**NO),
        category_code="B",
        people=(
            PersonInput(role="victim", given_name="Vicky", family_name=family),
            PersonInput(role="suspect", given_name="Sam", family_name="Suspectson"),
        ),
    )
    return incident_services.incident_create(actor=actor, data=data)


def build_world() -> World:
    system = system_user()
    w = World()
    health = Agency.objects.create(name="Matrix Health", code="mx-health", kind="health")
    housing = Agency.objects.create(name="Matrix Housing", code="mx-housing", kind="housing")

    def user(key: str, *roles: str, agency: Agency | None = None) -> User:
        return user_create(
            actor=system,
            username=f"matrix-{key}",
            password=PASSWORD,
            roles=roles,
            first_name=key.replace("_", " ").title(),
            last_name="Matrix",
            agency=agency,
        )

    for key, role in _ROLE_OF.items():
        w.users[key] = user(key, role)
    w.users[OUTSIDER] = user(OUTSIDER)
    w.users[PARTNER] = user(PARTNER, Role.PARTNER, agency=health)
    w.users[PARTNER_OTHER] = user(PARTNER_OTHER, Role.PARTNER, agency=housing)
    w.users[DISABLED] = user(DISABLED, Role.CALL_TAKER)
    User.objects.filter(pk=w.users[DISABLED].pk).update(is_active=False)
    w.users[DISABLED].refresh_from_db()
    # Helpers who are none of the personas: another officer and the reviewing sergeant.
    other_officer = user("other_officer", Role.ATTENDING_OFFICER)
    reviewer = user("reviewer", Role.SUPERVISOR)

    call_taker = w.users[CALL_TAKER]
    officer = w.users[OFFICER]

    # The persona's incident: dispatched to them, DASH (children sentinel) reviewed -> MASH case.
    w.incident = _incident(call_taker, family=VICTIM_NAME)
    incident_services.incident_dispatch(actor=call_taker, incident=w.incident, officer=officer)
    w.victim = w.incident.people.get(role="victim").person
    # An inspector on duty now (the rota's end-shift route ends it).
    w.extra["inspector_shift"] = incident_services.inspector_shift_add(
        actor=w.users[SUPERVISOR],
        user=user("inspector", Role.SUPERVISOR),
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() + timedelta(hours=8),
    )
    # A suspect bailed (recommendation 12): the victim is still to be told.
    w.extra["custody"] = incident_services.custody_event_record(
        actor=officer,
        incident=w.incident,
        suspect=w.incident.people.get(role="suspect").person,
        kind="bail_granted",
        notes="Conditions: not to contact the victim",
    )
    dash = risk_services.assessment_start(actor=officer, incident=w.incident)
    risk_services.assessment_submit(
        actor=officer,
        assessment=dash,
        data=complete_input(
            15, children_present="yes", children_details=f"{CHILDREN_SENTINEL}, 7, Park School"
        ),
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        w.dash = risk_services.assessment_review(actor=reviewer, assessment=dash, decision="agree")
    w.case = MashCase.objects.get(assessment=w.dash)
    mash = w.users[MASH]
    mash_services.information_add(
        actor=mash,
        case=w.case,
        source="police",
        received_on=timezone.localdate() - timedelta(days=1),
        summary=f"Intelligence: {INTEL_SENTINEL} associates",
    )
    w.referral = mash_services.referral_make(
        actor=mash, case=w.case, kind="health", agency=health, notes="Please review GP records"
    )
    w.notice = EncompassNotice.objects.filter(case=w.case).first()

    # A second DASH by the persona, awaiting review (on a second incident they attend).
    second = _incident(call_taker, family="Secondvictim", postcode="NR2 3CD")
    incident_services.incident_dispatch(actor=call_taker, incident=second, officer=officer)
    w.extra["second_incident"] = second
    w.dash_open = risk_services.assessment_start(actor=officer, incident=second)
    risk_services.assessment_submit(actor=officer, assessment=w.dash_open, data=complete_input(3))

    # An incident the persona attends with no DASH yet (starting one creates it).
    fresh = _incident(call_taker, family="Freshvictim", postcode="NR5 6JK")
    w.extra["fresh_incident"] = incident_services.incident_dispatch(
        actor=call_taker, incident=fresh, officer=officer
    )

    # Another officer's incident and DASH: the persona officer is not attached.
    w.other_incident = _incident(call_taker, family="Othervictim", postcode="NR3 4EF")
    incident_services.incident_dispatch(
        actor=call_taker, incident=w.other_incident, officer=other_officer
    )
    w.dash_other = risk_services.assessment_start(actor=other_officer, incident=w.other_incident)

    # A refuge: the incident's location is a restricted address.
    w.refuge_incident = _incident(
        call_taker, family="Refugeresident", street=f"{REFUGE_SENTINEL} Lane", postcode="NR4 5GH"
    )
    w.refuge = incident_services.address_mark_restricted(
        actor=mash, address=w.refuge_incident.location, reason="Women's refuge (matrix world)"
    )

    # A break-glass reveal of the refuge by a sergeant who is none of the personas, waiting in
    # the review queue (issue 7, finding 4).
    incident_services.address_reveal(
        actor=reviewer,
        incident=w.refuge_incident,
        address=w.refuge,
        reason="Welfare visit arranged with the refuge manager",
    )
    w.extra["reveal"] = AddressReveal.objects.get(incident=w.refuge_incident)

    # A role request for the outsider (the control-room supervisors are alerted).
    w.role_request = role_request_create(
        actor=w.users[SYSADMIN],
        user=w.users[OUTSIDER],
        role=Role.CALL_TAKER,
        reason="Joining the control room next week",
    )
    w.alert = Alert.objects.filter(recipient_role=Role.CONTROL_SUPERVISOR).order_by("-pk").first()
    _marac(w, health=health, housing=housing)
    return w


def _marac(w: World, *, health: Agency, housing: Agency) -> None:
    """MARAC (issue 12): the persona victim referred and listed on a meeting inviting health
    (the partner persona's agency), not housing (``partner_other``'s); an action for each."""
    from marac import services as marac_services
    from marac.inputs import ActionInput

    coordinator = w.users[MARAC_COORDINATOR]
    case = marac_services.case_refer(
        actor=coordinator,
        victim=w.victim,
        incident=w.incident,
        criteria=["visible_high"],
        reason="Visible high risk (matrix world)",
    )
    meeting = marac_services.meeting_schedule(
        actor=coordinator, first_at=timezone.now() + timedelta(days=14), invited=[health]
    )[0]
    marac_services.agenda_build(actor=coordinator, meeting=meeting)
    case.refresh_from_db()

    def action(agency: Agency) -> Any:
        return marac_services.action_add(
            actor=coordinator,
            case=case,
            data=ActionInput(
                agency_id=agency.pk,
                description=f"Matrix action for {agency.name}",
                done_means="Reported done",
                due_on=timezone.localdate() + timedelta(days=7),
            ),
        )

    w.extra.update(
        marac_case=case,
        marac_meeting=meeting,
        marac_action=action(health),
        marac_action_other=action(housing),
    )
