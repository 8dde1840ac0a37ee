"""Every read of call-intake data: visibility applied, and the read audited.

Flags (repeat victim, known and serial perpetrator) are computed here, for a batch of persons
in a constant number of queries, from the involvement index.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.core.paginator import Page
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, F, Func, OuterRef, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dapolice.access.breakglass import break_glass_expires_at
from dapolice.accounts.choices import Role
from dapolice.accounts.models import User
from dapolice.alerts.choices import Severity
from dapolice.alerts.registry import AlertSpec
from dapolice.audit import services as audit_services
from dapolice.audit.models import AuditEvent
from dapolice.audit.services import batched, record_access, record_list, record_read
from dapolice.common.compiled import CompiledQuery, run_together, user_key
from dapolice.common.http import CappedPaginator
from incidents.choices import (
    ATTENDANCE_BREACH,
    ATTENDANCE_WARNING,
    OPEN_STATUSES,
    RISK_RANK,
    SAFETY_MARKERS,
    PersonRole,
    RiskLevel,
)
from incidents.matching import keys
from incidents.matching.conf import setting
from incidents.models import (
    Address,
    AddressReveal,
    CustodyEvent,
    DutyInspectorShift,
    Incident,
    IncidentCall,
    IncidentOfficer,
    IncidentPerson,
    Marker,
    Person,
    PersonPhone,
)
from incidents.policies import NOTHING, address_visibility, reveal_scope

INCIDENT_PAGE_SIZE = 50


def months_before(moment: datetime, months: int) -> datetime:
    """The same wall-clock moment ``months`` calendar months earlier (31 March -> 28/29 Feb):
    ``moment - relativedelta(months=months)``, without building one (four times a search)."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    month += 1
    return moment.replace(
        year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1])
    )


# --- Flags ----------------------------------------------------------------------------------


@dataclass
class PersonFlags:
    """What the call taker must see at once about a person."""

    repeat_victim: bool = False
    known_perpetrator: bool = False
    serial_perpetrator: bool = False
    victim_count: int = 0  # distinct victims, as a suspect, ever
    recent_incidents: int = 0  # incidents in the history window
    highest_risk: str = RiskLevel.NOT_ASSESSED
    recent_roles: set[str] = field(default_factory=set)
    markers: list[Marker] = field(default_factory=list)
    history_months: int = 12

    @property
    def highest_risk_label(self) -> str:
        return str(RiskLevel(self.highest_risk).label)

    @property
    def recent_role_labels(self) -> list[str]:
        return [
            str(PersonRole(r).label).lower() for r in PersonRole.values if r in self.recent_roles
        ]


def person_flags(
    person_ids: Iterable[int],
    *,
    at: datetime | None = None,
    exclude_incident_id: int | None = None,
    address_ids: dict[int, int | None] | None = None,
    new_call: bool = True,
    markers: Iterable[Marker] | None = None,
    rows: Iterable[dict[str, Any]] | None = None,
) -> dict[int, PersonFlags]:
    """Flags for each person as of ``at`` (now): two queries whatever the history size (the
    incidents, the markers), and one more for the addresses when ``address_ids`` is not given.

    * repeat victim: a DA victim in more than one incident within
      ``DAPOLICE_REPEAT_VICTIM_MONTHS`` before ``at`` (the window includes its first moment).
      ``new_call`` (the default: a call being logged, or ``exclude_incident_id``'s own call)
      counts that call, so one earlier victim incident is enough; without it (a person's
      record on its own) two are needed;
    * known perpetrator: a suspect in any incident; serial: against at least
      ``DAPOLICE_SERIAL_PERPETRATOR_VICTIMS`` different victims;
    * recent incidents and highest risk level in ``DAPOLICE_MATCH_HISTORY_MONTHS``;
    * active markers on the person and on their current address.

    ``rows`` and ``markers`` given (``person_match``, which reads them with its other rows in
    one round trip): ``_FLAG_ROWS`` as of ``at`` for these ids or more (rows of other people
    change nothing), and the markers on these people and their homes, in order.
    """
    ids = list(dict.fromkeys(person_ids))
    months = settings.DAPOLICE_MATCH_HISTORY_MONTHS
    flags = {pk: PersonFlags(history_months=months) for pk in ids}
    if not ids:
        return flags
    at = at or timezone.now()
    repeat_from, history_from, window_start = _flag_window(at)

    # One query for both the history window and every incident as a suspect (with the victims
    # of those incidents, to count distinct victims): rows are told apart below.
    if rows is None and exclude_incident_id is None:
        rows = _FLAG_ROWS.run(False, ids=ids, at=at, window_start=window_start)
    elif rows is None:
        rows = _FLAG_ROWS_EXCLUDING.run(
            True, ids=ids, at=at, window_start=window_start, exclude=exclude_incident_id
        )
    seen_incidents: dict[int, set[int]] = defaultdict(set)
    victim_incidents: dict[int, set[int]] = defaultdict(set)
    suspect_incidents: dict[int, set[int]] = defaultdict(set)
    victims_of_incident: dict[int, set[int]] = defaultdict(set)
    for row in rows:
        pk, role, received_at = row["person_id"], row["role"], row["received_at"]
        if role == PersonRole.VICTIM:
            victims_of_incident[row["incident_id"]].add(pk)
        if pk not in flags or received_at > at:
            continue  # a victim of one of these suspects' incidents, not one of ours
        if role == PersonRole.SUSPECT:
            suspect_incidents[pk].add(row["incident_id"])
        if received_at < window_start:
            continue
        f = flags[pk]
        if received_at >= repeat_from and role == PersonRole.VICTIM:
            victim_incidents[pk].add(row["incident_id"])
        if received_at >= history_from:
            f.recent_roles.add(role)
            seen_incidents[pk].add(row["incident_id"])
            level = row["incident__risk_level"] or RiskLevel.NOT_ASSESSED
            if RISK_RANK[RiskLevel(level)] > RISK_RANK[RiskLevel(f.highest_risk)]:
                f.highest_risk = level
    for pk, incident_ids in seen_incidents.items():
        flags[pk].recent_incidents = len(incident_ids)
    needed = 1 if new_call else 2
    for pk, incident_ids in victim_incidents.items():
        flags[pk].repeat_victim = len(incident_ids) >= needed

    # Known and serial perpetrator as of ``at``: incidents up to then, this one excluded.
    for pk, incident_ids in suspect_incidents.items():
        victims = set().union(*(victims_of_incident[i] for i in incident_ids))
        f = flags[pk]
        f.known_perpetrator = True
        f.victim_count = len(victims)
        f.serial_perpetrator = len(victims) >= settings.DAPOLICE_SERIAL_PERPETRATOR_VICTIMS

    if address_ids is None:
        address_ids = dict(Person.objects.filter(pk__in=ids).values_list("pk", "address_id"))
    by_address: dict[int, list[int]] = defaultdict(list)
    for pk, address_id in address_ids.items():
        if address_id is not None:
            by_address[address_id].append(pk)
    if markers is None:  # else read by the caller with more (``person_match``), in this order
        markers = (
            Marker.objects.active().filter(_marker_owners(ids, by_address)).order_by("kind", "pk")
        )
    for marker in markers:
        if marker.person_id is not None:
            owners = [marker.person_id]
        else:
            owners = by_address.get(marker.address_id, []) if marker.address_id else []
        for pk in owners:
            if pk in flags:
                flags[pk].markers.append(marker)
    return flags


def _flag_window(at: datetime) -> tuple[datetime, datetime, datetime]:
    """The repeat-victim window's start, the history window's, and the earlier of the two."""
    repeat_from = months_before(at, settings.DAPOLICE_REPEAT_VICTIM_MONTHS)
    history_from = months_before(at, settings.DAPOLICE_MATCH_HISTORY_MONTHS)
    return repeat_from, history_from, min(repeat_from, history_from)


def _marker_owners(person_ids: Iterable[int], address_ids: Iterable[int]) -> Q:
    """Markers on these people or on these addresses (``person_flags``)."""
    return Q(person_id__in=list(person_ids)) | Q(address_id__in=list(address_ids))


def _flag_rows(
    ids: list[int], at: datetime, window_start: datetime, exclude: int | None = None
) -> QuerySet[Any]:
    """The involvement rows :func:`person_flags` reads (compiled once: ``_FLAG_ROWS``)."""
    mine = Q(person_id__in=ids, received_at__lte=at)
    as_suspect = IncidentPerson.objects.filter(mine, role=PersonRole.SUSPECT)
    if exclude is not None:
        as_suspect = as_suspect.exclude(incident_id=exclude)
    # Every row wanted is in an incident of one of ``ids`` (theirs, or a victim's of their
    # incidents as a suspect): said first, so the rows are read by incident through the index
    # rather than by scanning the table for the OR below (issue 8: a sequential scan of every
    # involvement per search, ~10 ms at 10k incidents).
    theirs = IncidentPerson.objects.filter(mine).values("incident_id")
    rows = IncidentPerson.objects.filter(
        AnyOf(F("incident_id"), ArraySubquery(theirs))
        if connection.vendor == "postgresql"
        else Q(incident_id__in=theirs),
        (mine & (Q(received_at__gte=window_start) | Q(role=PersonRole.SUSPECT)))
        | Q(role=PersonRole.VICTIM, incident_id__in=as_suspect.values("incident_id")),
    )
    if exclude is not None:
        rows = rows.exclude(incident_id=exclude)
    return rows.values("person_id", "role", "incident_id", "received_at", "incident__risk_level")


_FLAG_KINDS = {"ids": "[pk]", "at": "datetime", "window_start": "datetime"}
_FLAG_ROWS = CompiledQuery("incidents.flag_rows", _flag_rows, _FLAG_KINDS)
_FLAG_ROWS_EXCLUDING = CompiledQuery(
    "incidents.flag_rows_excluding", _flag_rows, {**_FLAG_KINDS, "exclude": "int"}
)


# --- Incidents ------------------------------------------------------------------------------


def incident_queryset(
    *, user: User, filters: Any = None, for_list_page: bool = False, search: str = ""
) -> Any:
    """Visible incidents, newest first, filtered by ``IncidentFilter`` data (the list page's
    ``IncidentListFilter`` with ``for_list_page``) and the search term. Not audited: the
    caller audits the page it shows (``incident_list``, the API's ``AuditedListMixin``)."""
    from incidents.filters import IncidentFilter, IncidentListFilter, incident_search

    qs = (
        Incident.objects.visible_to(user)
        .select_related("category", "location")
        .order_by("-received_at", "-pk")
    )
    if filters:
        filterset = (IncidentListFilter if for_list_page else IncidentFilter)(filters, queryset=qs)
        qs = filterset.qs
        if for_list_page and filters.get("sort"):
            # A stable order for paging, the same way as the first key: one index on
            # (key, id) then serves the sort both ways (risk has four values and no other order).
            first = str(qs.query.order_by[0]) if qs.query.order_by else "-"
            qs = qs.order_by(*qs.query.order_by, "-pk" if first.startswith("-") else "pk")
    return incident_search(qs, search)


def incident_list(
    *,
    user: User,
    page: int | str | None = 1,
    page_size: int = INCIDENT_PAGE_SIZE,
    filters: Any = None,
    search: str = "",
) -> Page[Incident]:
    """One page of the incident list (newest first unless sorted); the ids shown are written
    to the audit trail, with the names of the filters used (never the search term).

    ``page`` is taken as typed in the URL: anything that is not a page number gives the first
    page, a number past the end the last (Django's ``Paginator.get_page``).
    """
    qs = incident_queryset(user=user, filters=filters, for_list_page=True, search=search)
    shown = CappedPaginator(qs, page_size).get_page(page)
    used = sorted(k for k, v in (filters or {}).items() if v and k != "page")
    record_list(
        actor=user,
        action="incidents.incident.listed",
        model=Incident,
        ids=[i.pk for i in shown],
        kind=AuditEvent.Kind.SEARCH if search else AuditEvent.Kind.LIST,
        changes={"filters": [None, used + (["search"] if search else [])]}
        if used or search
        else None,
    )
    return shown


def incident_board(*, user: User, limit: int | None = None) -> list[Incident]:
    """Open incidents, the nearest (and so every overdue) deadline first, up to
    ``DAPOLICE_BOARD_LIMIT`` (the page says when there are more)."""
    limit = limit or settings.DAPOLICE_BOARD_LIMIT
    incidents = list(
        Incident.objects.visible_to(user)
        .filter(status__in=OPEN_STATUSES)
        .select_related("category", "location", "attending_officer")
        .order_by("deadline_at", "pk")[:limit]
    )
    record_list(
        actor=user,
        action="incidents.incident.board_viewed",
        model=Incident,
        ids=[i.pk for i in incidents],
    )
    return incidents


def address_lookup(*, user: User, postcode: str, house: str) -> Address | None:
    """The address on record for a house and postcode, so the call taker need not type its
    street and town (issue 8, item 6). Never a restricted (refuge or safe) address: that one is
    on record is the secret. Audited as a search when something is found; one query then.
    """
    postcode_key, house_key = keys.postcode_key(postcode), keys.house_key(house)
    if not (postcode_key and house_key):
        return None
    address = (
        Address.objects.visible_to(user)
        .filter(postcode_key=postcode_key, house_key=house_key, is_restricted=False)
        .order_by("pk")
        .first()
    )
    if address is not None:
        record_list(
            actor=user,
            action="incidents.address.looked_up",
            model=Address,
            ids=[address.pk],
            kind=AuditEvent.Kind.SEARCH,
        )
    return address


#: Open incidents shown on the intake page (a possible duplicate call).
OPEN_INCIDENTS_SHOWN = 5


def incident_open_for(
    *,
    user: User,
    postcode: str,
    house: str,
    person_ids: Iterable[int],
    limit: int = OPEN_INCIDENTS_SHOWN,
) -> list[Incident]:
    """Open incidents at the typed location or involving any of ``person_ids``, the nearest
    deadline first: a call about one of them is probably the same incident ("possible
    duplicate call"). A restricted (refuge) location is never matched by the address typed:
    that it is one is the secret (``people_at_address``).

    Shown on the intake page beside the matches; the ids shown are audited as a search.
    One query, and one for the audit row when something is shown.
    """
    ids = list(person_ids)
    where = Q(pk__in=IncidentPerson.objects.filter(person_id__in=ids).values("incident_id"))
    postcode_key, house_key = keys.postcode_key(postcode), keys.house_key(house)
    if postcode_key and house_key:
        where |= Q(
            location__postcode_key=postcode_key,
            location__house_key=house_key,
            location__is_restricted=False,
        )
    elif not ids:
        return []
    incidents = list(
        Incident.objects.visible_to(user)
        .filter(where, status__in=OPEN_STATUSES)
        .select_related("category", "location")
        .order_by("deadline_at", "pk")[:limit]
    )
    if incidents:
        record_list(
            actor=user,
            action="incidents.incident.open_matched",
            model=Incident,
            ids=[i.pk for i in incidents],
            kind=AuditEvent.Kind.SEARCH,
        )
    return incidents


def incident_calls(*, user: User, incident: Incident) -> list[IncidentCall]:
    """The further calls logged on ``incident`` (none for a user who may not see it)."""
    return list(
        IncidentCall.objects.visible_to(user)
        .filter(incident=incident)
        .select_related("taken_by")
        .order_by("received_at", "pk")
    )


@dataclass
class IncidentDetail:
    incident: Incident
    people: list[IncidentPerson]
    flags: dict[int, PersonFlags]
    location_markers: list[Marker]
    history: list[AuditEvent]


def incident_officer_ids(incident: Incident) -> set[int]:
    """The users attached to ``incident`` as its attending officer(s).

    Upper apps (risk: "an officer can only assess incidents they are attached to") ask this
    rather than reading the incident's fields, so how officers are attached can change here.
    """
    ids = set(
        IncidentOfficer.objects.filter(incident=incident).values_list("officer_id", flat=True)
    )
    if incident.attending_officer_id:
        # Incidents loaded in bulk (the synthetic generator) carry only this column.
        ids.add(incident.attending_officer_id)
    return ids


def incident_ids_attached_to(user: User) -> QuerySet[Incident, Any]:
    """A subquery of the ids of incidents ``user`` is attached to (for ``visible_to`` filters)."""
    named = IncidentOfficer.objects.filter(officer=user).values("incident_id")
    return Incident.objects.filter(Q(attending_officer=user) | Q(pk__in=named)).values("pk")


def incident_ids_excluded_for(user: User) -> QuerySet[Incident, Any]:
    """A subquery of the ids of incidents ``user`` must not see (must-not-see lists: the
    incident names them, or a person in it does). Upper apps leave these incidents' records
    (a DASH, a MASH case) out of their own ``visible_to``."""
    from incidents.policies import incident_exclusion

    return Incident.objects.filter(incident_exclusion(user)).values("pk")


def incident_get_for_user(*, user: User, pk: int) -> Incident:
    """One incident the user may see (404 otherwise, the same as "does not exist")."""
    found = _VISIBLE_INCIDENT.run(user_key(user), user=user, pk=int(pk))
    if not found:
        raise Http404("No Incident matches the given query.")
    incident: Incident = found[0]
    record_read(actor=user, action="incidents.incident.read", subject=incident)
    return incident


def _visible_incident(user: User, pk: int) -> QuerySet[Incident]:
    return Incident.objects.visible_to(user).select_related("category", "location").filter(pk=pk)


#: Every incident page and API call opens the incident through this (compiled once per user).
_VISIBLE_INCIDENT = CompiledQuery("incidents.visible_incident", _visible_incident, {"pk": "int"})


def incident_people(*, user: User, incident: Incident) -> list[IncidentPerson]:
    """The incident's people (loaded by :func:`incident_get_for_user`), with their roles, audited
    as :func:`incident_detail` audits them: what the API answers a new incident with (it shows
    no flags, markers or history, so it reads none)."""
    people = list(incident.people.order_by("role", "pk"))
    record_list(
        actor=user,
        action="incidents.person.listed",
        model=Person,
        ids=[p.person_id for p in people],
    )
    return people


def incident_detail(*, user: User, incident: Incident) -> IncidentDetail:
    """The incident (loaded by :func:`incident_get_for_user`), its people with flags as they
    stood when the call came in, and its history."""
    people = list(
        incident.people.select_related("person", "person__address").order_by("role", "pk")
    )
    flags = person_flags(
        [p.person_id for p in people],
        at=incident.received_at,
        exclude_incident_id=incident.pk,
        address_ids={p.person_id: p.person.address_id for p in people},
    )
    record_list(
        actor=user,
        action="incidents.person.listed",
        model=Person,
        ids=[p.person_id for p in people],
    )
    location_markers = list(Marker.objects.active().filter(address=incident.location_id))
    history = list(
        AuditEvent.objects.filter(
            subject_type=Incident._meta.label_lower,
            subject_id=str(incident.pk),
            kind__in=[AuditEvent.Kind.CREATE, AuditEvent.Kind.CHANGE],
        )
        .select_related("actor")
        .order_by("at", "pk")
    )
    return IncidentDetail(
        incident=incident,
        people=people,
        flags=flags,
        location_markers=location_markers,
        history=history,
    )


# --- People and addresses -------------------------------------------------------------------


def person_get_for_user(*, user: User, pk: int) -> Person:
    person = get_object_or_404(Person.objects.visible_to(user).select_related("address"), pk=pk)
    record_read(actor=user, action="incidents.person.read", subject=person)
    return person


def address_get_for_user(*, user: User, pk: int, restricted_only: bool = False) -> Address:
    """One address the user may see (404 otherwise); shown as text only through
    ``address_for`` (restricted ones need break-glass)."""
    qs = Address.objects.visible_to(user)
    if restricted_only:
        qs = qs.filter(is_restricted=True)
    address = get_object_or_404(qs, pk=pk)
    record_read(actor=user, action="incidents.address.read", subject=address)
    return address


def address_revealed(*, user: User, incident: Incident, pk: int) -> tuple[Address, datetime] | None:
    """The restricted address ``user`` revealed on ``incident`` and when that reveal ends, while
    it lasts (the reveal page shows it again instead of offering a second reveal); else None.
    Showing it again is audited as a read of the address."""
    address = Address.objects.visible_to(user).filter(pk=pk, is_restricted=True).first()
    if address is None:
        return None
    expires_at = break_glass_expires_at(actor=user, subject=address, what=reveal_scope(incident))
    if expires_at is None:
        return None
    record_read(actor=user, action="incidents.address.revealed_viewed", subject=address)
    return address, expires_at


def address_for_reveal(*, user: User, pk: int) -> Address | None:
    """The address a reveal asks for, or None (the reveal page gives one answer for any id:
    ``address_reveal`` decides, with one message, whether it can be revealed). The grant is
    the audit row; a refused attempt is audited here, without saying why."""
    address = Address.objects.visible_to(user).filter(pk=pk).first()
    if address is None or not address.is_restricted:
        record_access(
            actor=user,
            action="incidents.address.reveal_refused",
            subject_type=Address._meta.label_lower,
            subject_id=str(pk),
        )
        return None
    return address


def person_list(*, user: User, ids: Iterable[int]) -> list[Person]:
    """Persons by id with their names and phones (API and panels); audited as a list read."""
    persons = list(
        Person.objects.visible_to(user)
        .filter(pk__in=list(ids))
        .select_related("address")
        .prefetch_related("names", "phones")
        .order_by("pk")
    )
    record_list(
        actor=user, action="incidents.person.listed", model=Person, ids=[p.pk for p in persons]
    )
    return persons


# --- Matching (the live panel and /api/persons/match/) --------------------------------------


@dataclass
class MatchRow:
    person: Person
    score: float
    flagged: bool
    reasons: list[str]
    flags: PersonFlags
    #: Every name (given, family, primary), primary first, as the engine read them.
    names: tuple[tuple[str, str, bool], ...] = ()
    #: Phone numbers (E.164); read only when asked for (``with_names_and_phones``).
    phones: tuple[str, ...] = ()


@dataclass
class MatchResult:
    rows: list[MatchRow]
    address: Address | None
    residents: list[Person]
    address_markers: list[Marker]
    #: Open incidents at the incident's location or for the people flagged (``open_at``).
    open_incidents: list[Incident] = field(default_factory=list)


def person_match(
    *,
    user: User,
    query: Any,
    limit: int = 5,
    with_names_and_phones: bool = False,
    open_at: tuple[str, str] | None = None,
) -> MatchResult:
    """Possible matches for a person being typed, with their flags and the reasons in words.

    Every person shown (matches and people at the address) is recorded in the audit trail as a
    search by this user, in one write. Candidates the user may not see are dropped before
    anything is shown. ``open_at`` (the incident location's postcode and house: the intake
    panel) also reads the open incidents there or for the people flagged
    (:func:`incident_open_for`), audited in the same write.

    Three round trips to the database: the engine's statement, then the persons shown, their
    markers and flags, the people and markers at the typed address, the open incidents and
    the audit chain's head, together (``run_together``: one statement on PostgreSQL), then the
    audit row (one statement when no other writer came first: ``batched(head=...)``). They
    are read for every candidate the engine returns (at most ``limit``), and the persons the
    user may not see are dropped here, with their rows.
    """
    from incidents.matching.engine import match_persons

    candidates = match_persons(query, limit=limit)
    ids = [c.person_id for c in candidates]
    # Phones, which the API shows and the panel does not, come with the persons on PostgreSQL
    # (an array subquery), in one more query elsewhere.
    in_one = with_names_and_phones and connection.vendor == "postgresql"
    postcode_key, house_key = keys.postcode_key(query.postcode), keys.house_key(query.house)
    typed = bool(postcode_key and house_key)
    at = timezone.now()
    calls: list[tuple[CompiledQuery, Any, dict[str, Any]]] = [
        (
            _MATCH_PERSONS,
            (user_key(user), in_one),
            {"user": user, "ids": ids, "with_phones": in_one},
        )
    ]
    # A user who may see no address (a system administrator) reads no marker at the typed
    # one: the candidates' markers alone (an empty part would drop the typed keys from the
    # compiled SQL, which a compiled query refuses).
    markers_typed = typed and address_visibility(user) != NOTHING
    if markers_typed:
        calls.append(
            (
                _MATCH_MARKERS_TYPED,
                user_key(user),
                {"user": user, "ids": ids, "postcode_key": postcode_key, "house_key": house_key},
            )
        )
    elif ids:
        calls.append((_MATCH_MARKERS, None, {"ids": ids}))
    if typed:
        residents_limit = setting("DAPOLICE_MATCH_ADDRESS_LIMIT")
        calls.append(
            (
                _RESIDENTS,
                (user_key(user), residents_limit),
                {
                    "user": user,
                    "exclude": ids,
                    "postcode_key": postcode_key,
                    "house_key": house_key,
                    "limit": residents_limit,
                },
            )
        )
    if ids:
        calls.append(
            (_FLAG_ROWS, False, {"ids": ids, "at": at, "window_start": _flag_window(at)[2]})
        )
    open_call = _open_incidents_call(user, open_at, [c.person_id for c in candidates if c.flagged])
    if open_call is not None:
        calls.append(open_call)
    # The audit chain's head, so that the audit row below is one round trip (PostgreSQL).
    read_head = connection.vendor == "postgresql"
    if read_head:
        calls.append((audit_services.HEAD, None, {}))
    results = dict(zip([call[0] for call in calls], run_together(*calls), strict=True))

    visible = {p.pk: p for p in results[_MATCH_PERSONS]}
    shown = [c for c in candidates if c.person_id in visible]
    phones: dict[int, list[str]] = defaultdict(list)
    if in_one:
        phones.update({pk: list(p.phone_numbers) for pk, p in visible.items()})
    elif with_names_and_phones and shown:
        for person_id, number in (
            PersonPhone.objects.filter(person_id__in=[c.person_id for c in shown])
            .order_by("person_id", "pk")
            .values_list("person_id", "number")
        ):
            phones[person_id].append(number)
    all_markers: list[Any] = results.get(
        _MATCH_MARKERS_TYPED if markers_typed else _MATCH_MARKERS, []
    )
    shown_ids = [c.person_id for c in shown]
    flags = person_flags(
        shown_ids,
        at=at,
        address_ids={pk: p.address_id for pk, p in visible.items()},
        markers=[m for m in all_markers if m.for_shown],
        rows=results.get(_FLAG_ROWS, []),
    )
    rows = [
        MatchRow(
            person=visible[c.person_id],
            score=c.score,
            flagged=c.flagged,
            reasons=list(c.reasons),
            flags=flags[c.person_id],
            names=c.names,
            phones=tuple(phones.get(c.person_id, ())),
        )
        for c in shown
    ]
    at_address = (
        _at_typed_address(results[_RESIDENTS], [m for m in all_markers if m.at_typed])
        if typed
        else AtAddress()
    )
    residents = at_address.residents
    open_incidents: list[Incident] = results[open_call[0]] if open_call is not None else []
    head = audit_services.head_of(results[audit_services.HEAD]) if read_head else None
    with batched(head=head):  # the rows below in one write
        if at_address.restricted_typed is not None:
            # Typing a refuge's address is a sensitive-access event (issue 7, finding 2);
            # creating the incident also alerts (``address_typed_restricted``).
            record_access(
                actor=user,
                action="incidents.address.restricted_typed",
                subject=at_address.restricted_typed,
                changes={"sensitive": [None, True], "where": [None, "match"]},
            )
        record_list(
            actor=user,
            action="incidents.person.matched",
            model=Person,
            ids=[r.person.pk for r in rows] + [p.pk for p in residents],
            kind=AuditEvent.Kind.SEARCH,
            changes={"shown_at_address": [None, [p.pk for p in residents]]},
        )
        if open_incidents:
            _record_open_incidents(user, open_incidents)
    return MatchResult(
        rows=rows,
        address=at_address.address,
        residents=residents,
        address_markers=at_address.markers,
        open_incidents=open_incidents,
    )


def _match_persons(user: User, ids: list[int], with_phones: bool) -> QuerySet[Person]:
    """The candidates ``user`` may see, with their homes (and phones): ``_MATCH_PERSONS``."""
    persons = Person.objects.visible_to(user).filter(pk__in=ids).select_related("address")
    if with_phones:
        numbers = PersonPhone.objects.filter(person=OuterRef("pk")).order_by("pk").values("number")
        persons = persons.annotate(phone_numbers=ArraySubquery(numbers))
    return persons


def _match_markers(
    ids: list[int],
    user: User | None = None,
    postcode_key: str = "",
    house_key: str = "",
) -> QuerySet[Marker]:
    """Active markers on the candidates and their homes (``for_shown``: :func:`person_flags`
    keeps those of the people shown) and, with a typed address, at that address if ``user`` may
    see it (``at_typed``): one query. The homes are a subquery, so this needs no other read."""
    homes = Person.objects.filter(pk__in=ids, address__isnull=False).values("address_id")
    # On PostgreSQL ``address_id = ANY(ARRAY(SELECT ...))``: the homes are read first (an
    # InitPlan) and both owners are index conditions (a BitmapOr); ``IN (SELECT ...)`` under an
    # OR is a filter, which scanned every marker (and joined every address) per search.
    owners = Q(person_id__in=ids) | (
        Q(AnyOf(F("address_id"), ArraySubquery(homes)))
        if connection.vendor == "postgresql"
        else Q(address_id__in=homes)
    )
    typed = _markers_at_typed_address(user, postcode_key, house_key) if user is not None else None
    return (
        Marker.objects.active()
        .filter(owners | typed if typed is not None else owners)
        .annotate(
            for_shown=ExpressionWrapper(owners, output_field=BooleanField()),
            at_typed=ExpressionWrapper(
                typed if typed is not None else Q(pk__in=[]), output_field=BooleanField()
            ),
        )
        .select_related("address")
        .order_by("kind", "pk")
    )


class AnyOf(Func):
    """``lhs = ANY(rhs)``, ``rhs`` an array (PostgreSQL): an index condition on ``lhs``."""

    output_field = BooleanField()

    def as_sql(  # type: ignore[override]
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, list[Any]]:
        lhs, lhs_params = compiler.compile(self.source_expressions[0])
        rhs, rhs_params = compiler.compile(self.source_expressions[1])
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


def _residents(
    user: User, exclude: list[int], postcode_key: str, house_key: str, limit: int
) -> QuerySet[Person]:
    """The people ``user`` may see at the typed address (never a restricted one), but those in
    ``exclude`` (the matches): ``_RESIDENTS``."""
    return (
        Person.objects.visible_to(user)
        .filter(_typed_address(postcode_key, house_key), address__is_restricted=False)
        .exclude(pk__in=exclude)
        .select_related("address")
        .order_by("family_name", "given_name", "pk")[:limit]
    )


def _open_incidents(
    user: User, person_ids: list[int], postcode_key: str = "", house_key: str = ""
) -> QuerySet[Incident]:
    """:func:`incident_open_for` for candidates not yet checked against ``user``'s visibility
    (``person_match``): only the people ``user`` may see count (``_OPEN_INCIDENTS``)."""
    people = Person.objects.visible_to(user).filter(pk__in=person_ids).values("pk")
    where = Q(pk__in=IncidentPerson.objects.filter(person_id__in=people).values("incident_id"))
    if postcode_key and house_key:
        where |= Q(
            location__postcode_key=postcode_key,
            location__house_key=house_key,
            location__is_restricted=False,
        )
    return (
        Incident.objects.visible_to(user)
        .filter(where, status__in=OPEN_STATUSES)
        .select_related("category", "location")
        .order_by("deadline_at", "pk")[:OPEN_INCIDENTS_SHOWN]
    )


def _open_incidents_call(
    user: User, open_at: tuple[str, str] | None, flagged_ids: list[int]
) -> tuple[CompiledQuery, Any, dict[str, Any]] | None:
    if open_at is None:
        return None
    postcode_key, house_key = keys.postcode_key(open_at[0]), keys.house_key(open_at[1])
    if postcode_key and house_key:
        at = {"postcode_key": postcode_key, "house_key": house_key}
        return (_OPEN_INCIDENTS_AT, user_key(user), {"user": user, "person_ids": flagged_ids, **at})
    if not flagged_ids:
        return None
    return (_OPEN_INCIDENTS, user_key(user), {"user": user, "person_ids": flagged_ids})


def _record_open_incidents(user: User, incidents: list[Incident]) -> None:
    record_list(
        actor=user,
        action="incidents.incident.open_matched",
        model=Incident,
        ids=[i.pk for i in incidents],
        kind=AuditEvent.Kind.SEARCH,
    )


# Compiled once per shape (dapolice.common.compiled): building these querysets cost more CPU
# than running them. Keyed by what the visibility rules read of the user.
_MATCH_PERSONS = CompiledQuery("incidents.match_persons", _match_persons, {"ids": "[pk]"})
_MATCH_MARKERS = CompiledQuery("incidents.match_markers", _match_markers, {"ids": "[pk]"})
_MATCH_MARKERS_TYPED = CompiledQuery(
    "incidents.match_markers_typed",
    _match_markers,
    {"ids": "[pk]", "postcode_key": "str", "house_key": "str"},
)
_RESIDENTS = CompiledQuery(
    "incidents.match_residents",
    _residents,
    {"exclude": "[pk]", "postcode_key": "str", "house_key": "str"},
)
_OPEN_INCIDENTS = CompiledQuery(
    "incidents.match_open_incidents", _open_incidents, {"person_ids": "[pk]"}
)
_OPEN_INCIDENTS_AT = CompiledQuery(
    "incidents.match_open_incidents_at",
    _open_incidents,
    {"person_ids": "[pk]", "postcode_key": "str", "house_key": "str"},
)


@dataclass
class AtAddress:
    address: Address | None = None
    residents: list[Person] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    #: A restricted address was typed (never shown; :func:`person_match` audits it).
    restricted_typed: Address | None = None


def people_at_address(
    *,
    user: User,
    postcode: str,
    house: str,
    exclude: Iterable[int] = (),
) -> AtAddress:
    """People and markers at the typed address: listed beside the matches, never as matches.

    Victim, suspect and children often share an address (and a surname), so living there says
    nothing about who is on the phone; it does say who else may be in the house. The one
    implementation of "who lives here" (the matching engine has none), so the refuge rule is
    here once (:func:`_at_typed_address`): nobody is ever listed at a restricted (refuge or
    safe) address, whoever asks, and its markers and the address itself only to a user who has
    revealed it (break-glass). Not audited on its own: :func:`person_match`, which reads the
    same rows with its others, records everyone it shows.

    Two queries, both on the address key index: the residents and the markers at the address.
    """
    postcode_key, house_key = keys.postcode_key(postcode), keys.house_key(house)
    if not (postcode_key and house_key):
        return AtAddress()
    limit = setting("DAPOLICE_MATCH_ADDRESS_LIMIT")
    residents = list(_residents(user, list(exclude), postcode_key, house_key, limit))
    markers = list(
        Marker.objects.active()
        .filter(_markers_at_typed_address(user, postcode_key, house_key))
        .select_related("address")
        .order_by("kind", "pk")
    )
    return _at_typed_address(residents, markers)


def _at_typed_address(residents: list[Person], markers: list[Marker]) -> AtAddress:
    """What is shown of the typed address, given the people ``user`` may see there and the
    markers there (both read already)."""
    address = (residents[0].address if residents else None) or (
        markers[0].address if markers else None
    )
    if address is not None and address.is_restricted:
        # That a typed address is a refuge is itself the secret: no residents, no address, no
        # restriction marker, the same as a quiet address; a reveal is for one incident, never
        # this panel. But a safety marker (firearm, treat as emergency) is never hidden by a
        # restriction: whoever attends needs it (issue 7, finding 6).
        safety = [m for m in markers if m.kind in SAFETY_MARKERS]
        return AtAddress(markers=safety, restricted_typed=address)
    return AtAddress(address=address, residents=residents, markers=markers)


def _typed_address(postcode_key: str, house_key: str) -> Q:
    return Q(address__postcode_key=postcode_key, address__house_key=house_key)


def _markers_at_typed_address(user: User, postcode_key: str, house_key: str) -> Q:
    """Markers at the typed address, on an address the user may see (``people_at_address``).

    The address ids first (an InitPlan on PostgreSQL, ``= ANY(ARRAY(...))``), so the marker is
    found by its address index: joining the address and testing it against every address the
    user may see scanned both tables per search (issue 8)."""
    typed = (
        Address.objects.visible_to(user)
        .filter(postcode_key=postcode_key, house_key=house_key)
        .values("pk")
    )
    if connection.vendor == "postgresql":
        return Q(AnyOf(F("address_id"), ArraySubquery(typed)))
    return Q(address_id__in=typed)


# --- Break-glass review queue ---------------------------------------------------------------


def reveal_queue(*, user: User, limit: int = 200) -> list[AddressReveal]:
    """Reveals waiting for sign-off, oldest first: those of other people only (nobody signs off
    their own). Audited as a list read."""
    reveals = list(
        AddressReveal.objects.visible_to(user)
        .filter(reviewed_at__isnull=True)
        .exclude(revealed_by=user)
        .select_related("incident", "revealed_by")
        .order_by("revealed_at", "pk")[:limit]
    )
    record_list(
        actor=user,
        action="incidents.reveal.listed",
        model=AddressReveal,
        ids=[r.pk for r in reveals],
    )
    return reveals


def reveal_get_for_user(*, user: User, pk: int) -> AddressReveal:
    """One reveal a reviewer may see (404 otherwise)."""
    qs = AddressReveal.objects.visible_to(user).select_related("incident")
    reveal = get_object_or_404(qs, pk=pk)
    record_read(actor=user, action="incidents.reveal.read", subject=reveal)
    return reveal


# --- Attendance alerts ----------------------------------------------------------------------


def attendance_alerts(*, incident_id: int, kind: str) -> list[AlertSpec]:
    """What a fired attendance deadline raises: to the control-room supervisors (the warning and
    the breach) or the duty inspector (the escalation). Nothing once the incident is attended
    or closed (the arrival cancels the deadlines in its transaction; this is the second lock).
    Titles carry the reference only."""
    row = (
        Incident.objects.filter(pk=incident_id, status__in=OPEN_STATUSES)
        .values("reference", "deadline_at")
        .first()
    )
    if row is None:
        return []
    link = reverse("incidents:detail", args=[incident_id])
    ref = row["reference"]
    if kind == ATTENDANCE_WARNING:
        minutes = settings.DAPOLICE_ATTENDANCE_WARNING_MINUTES
        title = _("%(ref)s: attendance due in %(m)d minutes") % {"ref": ref, "m": minutes}
        return [AlertSpec(title=title, link=link, recipient_role=Role.CONTROL_SUPERVISOR)]
    if kind == ATTENDANCE_BREACH:
        title = _("%(ref)s: attendance deadline passed, not attended") % {"ref": ref}
        return [
            AlertSpec(
                title=title,
                link=link,
                recipient_role=Role.CONTROL_SUPERVISOR,
                severity=Severity.URGENT,
            )
        ]
    title = _("%(ref)s: still not attended, escalated to the duty inspector") % {"ref": ref}
    inspector = duty_inspector_at(timezone.now())
    if inspector is not None:
        return [AlertSpec(title=title, link=link, recipient_id=inspector, severity=Severity.URGENT)]
    return [
        AlertSpec(
            title=title,
            link=link,
            recipient_role=settings.DAPOLICE_DUTY_INSPECTOR_ROLE,
            severity=Severity.URGENT,
        )
    ]


def duty_inspector_at(at: datetime) -> int | None:
    """The user id of the inspector on the duty rota at ``at`` (a shift covers ``[from,
    until)``; of overlapping shifts, the one that started last: the handover's incoming
    inspector), or None: nobody is on duty, and the escalation goes to
    ``DAPOLICE_DUTY_INSPECTOR_ROLE``."""
    return (
        DutyInspectorShift.objects.filter(starts_at__lte=at, ends_at__gt=at, user__is_active=True)
        .order_by("-starts_at", "-pk")
        .values_list("user_id", flat=True)
        .first()
    )


# --- Bail, custody and release (HMIC recommendation 12) -----------------------------------------


def custody_events_for(*, user: User, incident: Incident) -> list[CustodyEvent]:
    """The bail and custody events of an incident the user already sees (its page is the audited
    read), newest first."""
    return list(
        CustodyEvent.objects.visible_to(user)
        .filter(incident=incident)
        .select_related("suspect", "recorded_by", "victim_informed_by")
    )


def custody_event_get_for_user(*, user: User, incident: Incident, pk: int) -> CustodyEvent:
    """One event of ``incident``, 404 when the user may not see it (or it is another
    incident's)."""
    return get_object_or_404(CustodyEvent.objects.visible_to(user), pk=pk, incident=incident)


def incident_suspects(*, incident: Incident) -> list[Person]:
    """The suspects of an incident (for the custody form's choice)."""
    return list(
        Person.objects.filter(
            involvements__incident=incident, involvements__role=PersonRole.SUSPECT
        )
        .distinct()
        .order_by("pk")
    )


def inspector_rota(*, user: User, now: datetime) -> list[DutyInspectorShift]:
    """The duty inspector rota from a week ago on (configuration, not case content: no read
    audit beyond the page's list row)."""
    rows = list(
        DutyInspectorShift.objects.filter(ends_at__gt=now - timedelta(days=7))
        .select_related("user")
        .order_by("starts_at", "pk")
    )
    record_list(
        actor=user, action="incidents.inspector_shift.listed", model=DutyInspectorShift,
        ids=[r.pk for r in rows],
    )  # fmt: skip
    return rows


def inspector_shift_get(*, pk: int) -> DutyInspectorShift:
    return get_object_or_404(DutyInspectorShift, pk=pk)
