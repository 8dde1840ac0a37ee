"""Who sees what, at the selector level: ``Model.objects.visible_to(user)``, every
``*_get_for_user`` and every list selector, for every role.

Pages check a role before they call a selector, so a selector that forgot its visibility rule
would pass every page test. ``risk``, ``mash`` and ``marac`` call these selectors directly, and
their own selectors must keep the same promise: not visible is empty (lists, querysets) or
``Http404`` (one record), the same as "does not exist"; a visible record read one at a time
leaves a read row in the audit trail.

**Adding an app's records** (risk, mash, marac): append a :class:`Visibility` row to
:data:`TABLE` with

* ``make``: creates one record through the app's services (``request.getfixturevalue`` gives
  any fixture: ``log_incident``, ``make_user``...);
* ``queryset``: ``lambda user: Model.objects.visible_to(user)``;
* ``getters``: each one-record selector as ``lambda user, obj: selector(user=user, pk=obj.pk)``;
* ``lists``: each list selector, returning the records it shows;
* ``seen_by``: the roles the app's ``policies.py`` lets see it, with a comment on why (for a
  record shared with one agency, add a row per case: the partner of that agency, of another).

Every role in ``ROLES`` is then checked against the row; nothing else to write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pytest
from django.http import Http404

from dapolice.accounts.choices import Role
from dapolice.audit.models import AuditEvent
from incidents import selectors
from incidents.models import Address, AddressReveal, Incident, IncidentCall, Person
from tests.incidents.helpers import victim_of

#: Persona keys: every role, and a signed-in user with none.
ROLES = [*(role.value for role in Role), "outsider"]

#: Police roles holding the ``view_*`` permissions of call intake (migration incidents/0002).
#: Not the analyst (aggregates only), the partner (only what a MARAC shares), the system
#: administrator (no case content without break-glass) or a user with no role.
INTAKE_READERS = frozenset(
    {
        Role.CALL_TAKER,
        Role.CONTROL_SUPERVISOR,
        Role.ATTENDING_OFFICER,
        Role.SUPERVISOR,
        Role.MASH,
        Role.INVESTIGATOR,
        Role.MARAC_COORDINATOR,
    }
)


@dataclass(frozen=True)
class Visibility:
    """How one kind of record is made, read one at a time, listed, and who may see it."""

    name: str
    make: Callable[[pytest.FixtureRequest], Any]
    queryset: Callable[[Any], Any]
    getters: dict[str, Callable[[Any, Any], Any]]
    lists: dict[str, Callable[[Any, Any], Iterable[Any]]]
    seen_by: frozenset[str]


def _incident(request: pytest.FixtureRequest) -> Incident:
    return request.getfixturevalue("log_incident")()


def _reveal(request: pytest.FixtureRequest) -> AddressReveal:
    """A sergeant's break-glass reveal of a refuge on its incident."""
    from incidents import services

    make_user = request.getfixturevalue("make_user")
    incident = _incident(request)
    services.address_mark_restricted(
        actor=make_user(Role.MASH), address=incident.location, reason="Refuge placement"
    )
    incident.location.refresh_from_db()
    services.address_reveal(
        actor=make_user(Role.SUPERVISOR),
        incident=incident,
        address=incident.location,
        reason="Welfare visit arranged with the refuge manager",
    )
    return AddressReveal.objects.get(incident=incident)


def _further_call(request: pytest.FixtureRequest) -> IncidentCall:
    import uuid

    from incidents import services

    incident = _incident(request)
    return services.incident_add_call(
        actor=request.getfixturevalue("call_taker"),
        incident=incident,
        note="Second call",
        idempotency_key=uuid.uuid4(),
    )


TABLE = [
    Visibility(
        name="incident",
        make=_incident,
        queryset=lambda user: Incident.objects.visible_to(user),
        getters={
            "incident_get_for_user": lambda user, obj: selectors.incident_get_for_user(
                user=user, pk=obj.pk
            ),
        },
        lists={
            "incident_queryset": lambda user, obj: selectors.incident_queryset(user=user),
            "incident_list": lambda user, obj: selectors.incident_list(user=user),
            "incident_board": lambda user, obj: selectors.incident_board(user=user),
        },
        seen_by=INTAKE_READERS,
    ),
    Visibility(
        name="person",
        make=lambda request: victim_of(_incident(request)),
        queryset=lambda user: Person.objects.visible_to(user),
        getters={
            "person_get_for_user": lambda user, obj: selectors.person_get_for_user(
                user=user, pk=obj.pk
            ),
        },
        lists={
            "person_list": lambda user, obj: selectors.person_list(user=user, ids=[obj.pk]),
        },
        seen_by=INTAKE_READERS,
    ),
    Visibility(
        name="address",
        make=lambda request: _incident(request).location,
        queryset=lambda user: Address.objects.visible_to(user),
        getters={
            "address_get_for_user": lambda user, obj: selectors.address_get_for_user(
                user=user, pk=obj.pk
            ),
        },
        lists={},
        seen_by=INTAKE_READERS,
    ),
    Visibility(
        name="addressreveal",
        make=_reveal,
        queryset=lambda user: AddressReveal.objects.visible_to(user),
        getters={
            "reveal_get_for_user": lambda user, obj: selectors.reveal_get_for_user(
                user=user, pk=obj.pk
            ),
        },
        lists={"reveal_queue": lambda user, obj: selectors.reveal_queue(user=user)},
        # The second people who sign off a break-glass reveal (never their own; issue 7).
        seen_by=frozenset({Role.CONTROL_SUPERVISOR, Role.SUPERVISOR}),
    ),
    Visibility(
        name="incidentcall",
        make=lambda request: _further_call(request),
        queryset=lambda user: IncidentCall.objects.visible_to(user),
        getters={},
        lists={
            "incident_calls": lambda user, obj: selectors.incident_calls(
                user=user, incident=obj.incident
            ),
        },
        seen_by=INTAKE_READERS,
    ),
]


#: Call intake's rows: the admin test below grants *their* view permissions to a non-police role.
INTAKE_ROWS = list(TABLE)


# --- MARAC (issue 12) ---------------------------------------------------------------------------


def _marac_case(request: pytest.FixtureRequest, *, invite_health: bool) -> Any:
    """A case listed on a meeting inviting health (the ``partner`` persona's agency) or only
    housing; made through the MARAC services."""
    from datetime import timedelta

    from django.utils import timezone

    from marac import services as marac_services

    coordinator = request.getfixturevalue("make_user")(Role.MARAC_COORDINATOR)
    health = request.getfixturevalue("agency_health")
    housing = request.getfixturevalue("agency_housing")
    case = marac_services.case_refer(
        actor=coordinator,
        victim=victim_of(_incident(request)),
        criteria=["visible_high"],
        reason="Visible high risk",
    )
    meeting = marac_services.meeting_schedule(
        actor=coordinator,
        first_at=timezone.now() + timedelta(days=14),
        invited=[health, housing] if invite_health else [housing],
    )[0]
    marac_services.agenda_build(actor=coordinator, meeting=meeting)
    case.refresh_from_db()
    return case


def _marac_action(request: pytest.FixtureRequest, *, for_health: bool) -> Any:
    from datetime import timedelta

    from django.utils import timezone

    from marac import services as marac_services
    from marac.inputs import ActionInput

    case = _marac_case(request, invite_health=True)
    agency = request.getfixturevalue("agency_health" if for_health else "agency_housing")
    return marac_services.action_add(
        actor=case.referred_by,
        case=case,
        data=ActionInput(
            agency_id=agency.pk,
            description="Flag the records",
            done_means="Records flagged",
            due_on=timezone.localdate() + timedelta(days=7),
        ),
    )


def _marac_rows() -> list[Visibility]:
    from marac import selectors as marac_selectors
    from marac.models import Action, MaracCase

    case_getters: dict[str, Callable[[Any, Any], Any]] = {
        "case_get_for_user": lambda user, obj: marac_selectors.case_get_for_user(
            user=user, pk=obj.pk
        ),
    }
    case_lists: dict[str, Callable[[Any, Any], Iterable[Any]]] = {
        "case_list": lambda user, obj: marac_selectors.case_list(user=user).object_list,
    }
    action_getters: dict[str, Callable[[Any, Any], Any]] = {
        "action_get_for_user": lambda user, obj: marac_selectors.action_get_for_user(
            user=user, pk=obj.pk
        ),
    }
    action_lists: dict[str, Callable[[Any, Any], Iterable[Any]]] = {
        "tracker": lambda user, obj: [r.action for r in marac_selectors.tracker(user=user).rows],
        "case_detail": lambda user, obj: [
            r.action for r in marac_selectors.case_detail(user=user, case=obj.case).actions
        ],
    }
    return [
        # The coordinator sees every case; a partner the cases their agency was invited to.
        Visibility(
            name="marac case (partner's agency invited)",
            make=lambda request: _marac_case(request, invite_health=True),
            queryset=lambda user: MaracCase.objects.visible_to(user),
            getters=case_getters,
            lists=case_lists,
            seen_by=frozenset({Role.MARAC_COORDINATOR, Role.PARTNER}),
        ),
        Visibility(
            name="marac case (another agency invited)",
            make=lambda request: _marac_case(request, invite_health=False),
            queryset=lambda user: MaracCase.objects.visible_to(user),
            getters=case_getters,
            lists=case_lists,
            seen_by=frozenset({Role.MARAC_COORDINATOR}),
        ),
        # A partner sees only their own agency's actions, on a case they were invited to.
        Visibility(
            name="marac action (partner's agency)",
            make=lambda request: _marac_action(request, for_health=True),
            queryset=lambda user: Action.objects.visible_to(user),
            getters=action_getters,
            lists=action_lists,
            seen_by=frozenset({Role.MARAC_COORDINATOR, Role.PARTNER}),
        ),
        Visibility(
            name="marac action (another agency's)",
            make=lambda request: _marac_action(request, for_health=False),
            queryset=lambda user: Action.objects.visible_to(user),
            getters=action_getters,
            lists={"tracker": action_lists["tracker"]},
            seen_by=frozenset({Role.MARAC_COORDINATOR}),
        ),
    ]


TABLE += _marac_rows()


# --- MASH (issues 8 and 9) ------------------------------------------------------------------------


def _mash_case(request: pytest.FixtureRequest) -> Any:
    """A medium-risk MASH case, opened as in the MASH tests: a DASH submitted by an attending
    officer and agreed by a supervisor (the case opens on commit). Its owner is that officer, its
    handover on offer to the MASH team: no persona is named on it."""
    from incidents import services as incident_services
    from mash.models import MashCase
    from risk import services as risk_services
    from tests.mash.conftest import YES
    from tests.risk.conftest import complete_input

    make_user = request.getfixturevalue("make_user")
    officer, supervisor = make_user(Role.ATTENDING_OFFICER), make_user(Role.SUPERVISOR)
    incident = incident_services.incident_dispatch(
        actor=request.getfixturevalue("call_taker"), incident=_incident(request), officer=officer
    )
    incident = incident_services.incident_record_arrival(actor=officer, incident=incident)
    assessment = risk_services.assessment_start(actor=officer, incident=incident)
    risk_services.assessment_submit(
        actor=officer, assessment=assessment, data=complete_input(YES["medium"])
    )
    with request.getfixturevalue("django_capture_on_commit_callbacks")(execute=True):
        risk_services.assessment_review(actor=supervisor, assessment=assessment, decision="agree")
    return MashCase.objects.get(assessment=assessment)


def _mash_referral(request: pytest.FixtureRequest, *, to_health: bool) -> Any:
    """A referral from a MASH case to health (the ``partner`` persona's agency) or housing."""
    from mash import services as mash_services

    case = _mash_case(request)
    agency = request.getfixturevalue("agency_health" if to_health else "agency_housing")
    return mash_services.referral_make(
        actor=request.getfixturevalue("make_user")(Role.MASH),
        case=case,
        kind=agency.kind,
        agency=agency,
    )


def _mash_rows() -> list[Visibility]:
    from mash import policies as mash_policies
    from mash import selectors as mash_selectors
    from mash.models import MashCase, Referral

    referral_getters: dict[str, Callable[[Any, Any], Any]] = {
        "referral_get_for_user": lambda user, obj: mash_selectors.referral_get_for_user(
            user=user, pk=obj.pk
        ),
    }
    referral_lists: dict[str, Callable[[Any, Any], Iterable[Any]]] = {
        "referral_list": lambda user, obj: mash_selectors.referral_list(user=user).object_list,
    }
    contact_getters: dict[str, Callable[[Any, Any], Any]] = {
        "contact_person_get_for_user": lambda user, obj: mash_selectors.contact_person_get_for_user(
            user=user, pk=obj.pk
        ),
    }

    def contact_people(user: Any) -> Any:
        return Person.objects.filter(mash_policies.contact_person_visibility(user))

    #: Police who meet victims hold ``mash.view_contact`` (migration mash/0003); not the call
    #: taker, the analyst, the system administrator or a user with no role.
    contact_police = frozenset(
        {
            Role.MASH,
            Role.ATTENDING_OFFICER,
            Role.SUPERVISOR,
            Role.INVESTIGATOR,
            Role.MARAC_COORDINATOR,
            Role.CONTROL_SUPERVISOR,
        }
    )
    return [
        # MASH staff see every case; other police only a case they are named on (owner, handover
        # offered to, duty sergeant), which no persona is here; partners never see a case.
        Visibility(
            name="mash case",
            make=_mash_case,
            queryset=lambda user: MashCase.objects.visible_to(user),
            getters={
                "case_get_for_user": lambda user, obj: mash_selectors.case_get_for_user(
                    user=user, pk=obj.pk
                ),
                # Not referred to any agency: MASH staff only.
                "case_for_information": lambda user, obj: mash_selectors.case_for_information(
                    user=user, pk=obj.pk
                ),
            },
            lists={
                "case_queue": lambda user, obj: [
                    r.case for r in mash_selectors.case_queue(user=user).rows
                ],
                "next_waiting": lambda user, obj: mash_selectors.next_waiting(user),
            },
            seen_by=frozenset({Role.MASH}),
        ),
        # A referral: MASH staff, and the members of the agency it was made to.
        Visibility(
            name="mash referral (to the partner's agency)",
            make=lambda request: _mash_referral(request, to_health=True),
            queryset=lambda user: Referral.objects.visible_to(user),
            getters=referral_getters,
            lists=referral_lists,
            seen_by=frozenset({Role.MASH, Role.PARTNER}),
        ),
        Visibility(
            name="mash referral (to another agency)",
            make=lambda request: _mash_referral(request, to_health=False),
            queryset=lambda user: Referral.objects.visible_to(user),
            getters=referral_getters,
            lists=referral_lists,
            seen_by=frozenset({Role.MASH}),
        ),
        # A victim's contact screen: police who meet victims; a partner only a victim referred
        # to their agency.
        Visibility(
            name="mash contacts (victim referred to the partner's agency)",
            make=lambda request: _mash_referral(request, to_health=True).case.victim,
            queryset=contact_people,
            getters=contact_getters,
            lists={},
            seen_by=contact_police | {Role.PARTNER},
        ),
        Visibility(
            name="mash contacts (victim referred to another agency)",
            make=lambda request: _mash_referral(request, to_health=False).case.victim,
            queryset=contact_people,
            getters=contact_getters,
            lists={},
            seen_by=contact_police,
        ),
    ]


TABLE += _mash_rows()


@pytest.fixture
def user_in(make_user: Callable[..., Any], agency_health: Any) -> Callable[[str], Any]:
    def make(role: str) -> Any:
        if role == "outsider":
            return make_user()
        return make_user(role, agency=agency_health if role == Role.PARTNER else None)

    return make


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", TABLE, ids=lambda row: row.name)
def test_selectors_show_a_record_only_to_the_roles_that_may_see_it(request, user_in, row, role):
    record = row.make(request)
    user = user_in(role)
    sees = role in row.seen_by

    assert list(row.queryset(user).filter(pk=record.pk)) == ([record] if sees else [])
    for name, listed in row.lists.items():
        shown = [r.pk for r in listed(user, record)]
        assert (record.pk in shown) is sees, name
        if not sees:
            assert shown == [], name  # not even someone else's record
    for name, get in row.getters.items():
        if sees:
            assert get(user, record).pk == record.pk, name
        else:
            with pytest.raises(Http404):
                get(user, record)
    reads = AuditEvent.objects.filter(
        actor=user,
        kind=AuditEvent.Kind.READ,
        subject_type=record._meta.label_lower,
        subject_id=str(record.pk),
    )
    assert reads.exists() is (sees and bool(row.getters))


@pytest.mark.parametrize("row", TABLE, ids=lambda row: row.name)
def test_a_deactivated_user_sees_nothing(request, user_in, row):
    record = row.make(request)
    user = user_in(Role.CALL_TAKER)
    user.is_active = False  # as the admin leaves a leaver: the roles stay, the account is off
    assert list(row.queryset(user)) == []
    for get in row.getters.values():
        with pytest.raises(Http404):
            get(user, record)


def test_a_restricted_only_address_read_is_not_found_for_an_ordinary_address(request, user_in):
    address = _incident(request).location
    with pytest.raises(Http404):
        selectors.address_get_for_user(
            user=user_in(Role.SUPERVISOR), pk=address.pk, restricted_only=True
        )


@pytest.mark.parametrize("role", [Role.PARTNER, Role.SYSADMIN])
@pytest.mark.parametrize("row", INTAKE_ROWS, ids=lambda row: row.name)
def test_the_admin_cannot_open_police_records_to_a_non_police_role(request, user_in, row, role):
    from django.contrib.auth.models import Group, Permission

    # A permission granted by mistake in the admin: the policy still asks for a police role.
    record = row.make(request)
    views = Permission.objects.filter(
        codename__startswith="view_", content_type__app_label="incidents"
    )
    Group.objects.get(name=role).permissions.add(*views)
    user = user_in(role)
    assert user.has_perm(f"incidents.view_{row.name}")
    assert list(row.queryset(user)) == []
    for get in row.getters.values():
        with pytest.raises(Http404):
            get(user, record)
