"""Every read of the MARAC: visibility applied (``policies``), and the read audited.

The case list, the agenda, the tracker and a partner's action list run a constant number of
queries whatever their length (tested). The quarterly return is counts only (no names) and is
audited as an export.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dapolice.accounts.choices import Role
from dapolice.accounts.models import Agency, User
from dapolice.alerts.choices import Severity
from dapolice.alerts.registry import AlertSpec
from dapolice.audit.services import record_access, record_list, record_read
from marac import policies, rules
from marac.choices import ActionStatus, CaseStatus, Criterion, MeetingStatus, RiskOutcome
from marac.models import Action, MaracCase, Meeting, Report, Research

PAGE_SIZE = 50

# --- For the rules (not shown to anyone: not audited) --------------------------------------------


def last_case_of(person_id: int, *, before: datetime) -> MaracCase | None:
    """The victim's last MARAC referral at or before ``before``."""
    return (
        MaracCase.objects.filter(victim_id=person_id, referred_at__lte=before)
        .order_by("-referred_at", "-pk")
        .first()
    )


def last_marac_referral(person_id: int, at: datetime) -> datetime | None:
    """Risk's provider hook (``risk.signals.marac_referral_provider``, registered in
    ``MaracConfig.ready``): the victim's last MARAC referral at or before ``at``."""
    return (
        MaracCase.objects.filter(victim_id=person_id, referred_at__lte=at)
        .order_by("-referred_at")
        .values_list("referred_at", flat=True)
        .first()
    )


def reassessment_after(case: MaracCase) -> Any:
    """The victim's latest DASH reviewed (through ``risk``'s services) after the case's meeting
    was held, or, once the coordinator asked for the re-assessment after the actions, after
    that request: the re-assessment after the MARAC, or None."""
    from risk.choices import Status
    from risk.models import Assessment

    if case.meeting is None:
        return None
    since = case.reassessment_requested_at or case.meeting.held_at
    return (
        Assessment.objects.filter(
            victim_id=case.victim_id,
            status=Status.REVIEWED,
            reviewed_at__gte=since,
        )
        .order_by("-reviewed_at", "-pk")
        .first()
    )


def level_before_meeting(case: MaracCase) -> str:
    """The victim's risk level before the MARAC: the level the referral carried, else the
    level of their latest DASH reviewed before the meeting ("" when none is known)."""
    from risk.choices import Status
    from risk.models import Assessment

    if case.level_before or case.meeting is None:
        return case.level_before
    level = (
        Assessment.objects.filter(
            victim_id=case.victim_id, status=Status.REVIEWED, reviewed_at__lt=case.meeting.held_at
        )
        .order_by("-reviewed_at", "-pk")
        .values_list("final_level", flat=True)
        .first()
    )
    return level or ""


@dataclass(frozen=True)
class Reassessor:
    """Who is asked to re-assess the victim's risk: the officer who wrote the victim's latest
    reviewed DASH (attached to its incident, so risk lets them start a new one there), else the
    victim's SPOC; ``user_id`` None: the MASH team. ``incident_id``: where to start the DASH."""

    user_id: int | None
    incident_id: int | None


def reassessor_of(case: MaracCase) -> Reassessor:
    from mash.models import ContactPlan
    from risk.choices import Status
    from risk.models import Assessment

    latest = (
        Assessment.objects.filter(victim_id=case.victim_id, status=Status.REVIEWED)
        .order_by("-reviewed_at", "-pk")
        .values_list("author_id", "author__is_active", "incident_id")
        .first()
    )
    incident_id = latest[2] if latest else case.incident_id
    if latest is not None and latest[1]:
        return Reassessor(user_id=latest[0], incident_id=incident_id)
    spoc = (
        ContactPlan.objects.filter(person_id=case.victim_id, spoc__is_active=True)
        .values_list("spoc_id", flat=True)
        .first()
    )
    return Reassessor(user_id=spoc, incident_id=incident_id)


# --- Cases ---------------------------------------------------------------------------------------


def _case_base() -> QuerySet[MaracCase]:
    return MaracCase.objects.select_related(
        "victim", "victim__address", "incident", "referring_agency", "meeting", "referred_by"
    )


def criteria_labels(codes: list[str]) -> list[str]:
    return [str(Criterion(c).label) for c in codes if c in Criterion.values]


def case_list(*, user: User, status: str = "", page: int = 1) -> Page[MaracCase]:
    """Cases the user may see, newest referral first (open cases unless a status is chosen);
    the ids shown are audited."""
    qs = _case_base().filter(policies.case_visibility(user)).distinct()
    if status in CaseStatus.values:
        qs = qs.filter(status=status)
    elif status != "all":
        qs = qs.exclude(status=CaseStatus.CLOSED)
    page_obj = Paginator(qs.order_by("-referred_at", "-pk"), PAGE_SIZE).get_page(page)
    record_list(
        actor=user,
        action="marac.case.listed",
        model=MaracCase,
        ids=[c.pk for c in page_obj.object_list],
        changes={"filters": [None, [status] if status else []]},
    )
    return page_obj


def case_get_for_user(*, user: User, pk: int, audit: bool = True) -> MaracCase:
    """One case the user may see (404 otherwise, the same as "does not exist")."""
    case = get_object_or_404(_case_base().filter(policies.case_visibility(user)).distinct(), pk=pk)
    if audit:
        record_read(actor=user, action="marac.case.read", subject=case)
    return case


@dataclass
class ActionRow:
    action: Action
    overdue: bool
    due_soon: bool
    reports: list[Report] = field(default_factory=list)


def _action_row(action: Action, now: datetime) -> ActionRow:
    done = action.status == ActionStatus.DONE
    return ActionRow(
        action=action,
        overdue=rules.is_overdue(due_on=action.due_on, done=done, now=now),
        due_soon=rules.is_due_soon(due_on=action.due_on, done=done, now=now),
        reports=list(getattr(action, "report_list", [])),
    )


@dataclass
class CaseDetail:
    case: MaracCase
    criteria: list[str]
    research: list[Research]
    actions: list[ActionRow]
    #: Of ``actions``: those never reported back on.
    unreported: int
    coordinator: bool
    reassessment: Any = None
    #: For the coordinator: the level before the meeting, the level after the actions (the
    #: re-assessment's, else the one recorded at closing) and what the two say.
    level_before: str = ""
    level_after: str = ""
    levels_say: str = ""

    @property
    def level_before_label(self) -> str:
        return _level_label(self.level_before)

    @property
    def level_after_label(self) -> str:
        return _level_label(self.level_after)

    @property
    def levels_say_label(self) -> str:
        return str(RiskOutcome(self.levels_say).label) if self.levels_say else ""


def _level_label(level: str) -> str:
    from risk.choices import Level

    return str(Level(level).label) if level in Level.values else str(_("Not known"))


def case_detail(*, user: User, case: MaracCase, now: datetime | None = None) -> CaseDetail:
    """What the case page shows the user: the coordinator everything; a partner the research
    they may see and only their agency's actions (and the count of those not reported back on).
    Research and actions shown are audited."""
    now = now or timezone.now()
    research = list(
        case.research.filter(policies.research_visibility(user))
        .select_related("agency", "recorded_by")
        .distinct()
    )
    actions = list(
        Action.objects.filter(policies.action_visibility(user), case=case)
        .select_related("agency")
        .prefetch_related(
            Prefetch(
                "reports",
                queryset=Report.objects.select_related("by", "agency"),
                to_attr="report_list",
            )
        )
        .distinct()
        .order_by("due_on", "pk")
    )
    if research:
        record_list(
            actor=user, action="marac.research.listed", model=Research, ids=[r.pk for r in research]
        )
    if actions:
        record_list(
            actor=user, action="marac.action.listed", model=Action, ids=[a.pk for a in actions]
        )
    return CaseDetail(
        case=case,
        criteria=criteria_labels(case.criteria),
        research=research,
        actions=[_action_row(a, now) for a in actions],
        # Of the actions shown (all for the coordinator, a partner's own agency's), counted from
        # the rows already read: a partner learns nothing of another agency's actions from it.
        unreported=sum(1 for a in actions if a.reported_at is None),
        coordinator=policies.is_coordinator(user),
        **(_risk_levels(case) if policies.is_coordinator(user) else {}),
    )


def _risk_levels(case: MaracCase) -> dict[str, Any]:
    """The coordinator's comparison of the risk before the meeting and after the actions."""
    reassessment = reassessment_after(case)
    before = level_before_meeting(case)
    after = reassessment.final_level if reassessment is not None else case.level_after
    return {
        "reassessment": reassessment,
        "level_before": before,
        "level_after": after,
        "levels_say": rules.risk_change(before, after),
    }


# --- Meetings and the agenda ---------------------------------------------------------------------


def meeting_list(*, user: User) -> list[Meeting]:
    """Meetings the user may see (a partner: those their agency is invited to), the next first
    then the past, with the number of cases listed. No person data: not audited."""
    return list(
        Meeting.objects.filter(policies.meeting_visibility(user))
        .annotate(case_count=Count("cases", distinct=True))
        .prefetch_related("invited")
        .distinct()
        .order_by("-held_at", "-pk")[:PAGE_SIZE]
    )


def meeting_get_for_user(*, user: User, pk: int) -> Meeting:
    return get_object_or_404(
        Meeting.objects.filter(policies.meeting_visibility(user))
        .prefetch_related("invited", "attended")
        .distinct(),
        pk=pk,
    )


@dataclass
class AgendaRow:
    case: MaracCase
    position: int
    slot: datetime
    criteria: list[str]
    #: "Restricted address" for a refuge (``Address.__str__``); never shown to a partner.
    address: str


def agenda(*, user: User, meeting: Meeting, action: str = "marac.agenda.viewed") -> list[AgendaRow]:
    """The meeting's agenda: its cases in order with their time slots and essentials. The ids
    shown are audited (``marac.agenda.exported`` for the PDF)."""
    cases = list(
        _case_base()
        .filter(policies.case_visibility(user), meeting=meeting)
        .distinct()
        .order_by("agenda_position", "pk")
    )
    record_list(actor=user, action=action, model=MaracCase, ids=[c.pk for c in cases])
    coordinator = policies.is_coordinator(user)
    rows = []
    for i, case in enumerate(cases, start=1):
        position = case.agenda_position or i
        address = case.victim.address
        rows.append(
            AgendaRow(
                case=case,
                position=position,
                slot=rules.slot(meeting.held_at, position),
                criteria=criteria_labels(case.criteria),
                address=str(address) if (coordinator and address is not None) else "",
            )
        )
    return rows


def waiting_count(*, cutoff_at: datetime) -> int:
    """Referrals waiting for a meeting that were made by ``cutoff_at`` (a count)."""
    return MaracCase.objects.filter(
        status=CaseStatus.REFERRED, meeting__isnull=True, referred_at__lte=cutoff_at
    ).count()


# --- Actions, report-back and the tracker --------------------------------------------------------


def action_get_for_user(*, user: User, pk: int) -> Action:
    action = get_object_or_404(
        Action.objects.filter(policies.action_visibility(user))
        .select_related("case", "case__victim", "case__meeting", "agency")
        .distinct(),
        pk=pk,
    )
    record_read(actor=user, action="marac.action.read", subject=action)
    return action


def action_reports(action: Action) -> list[Report]:
    return list(action.reports.select_related("by", "agency"))


@dataclass
class AgencyRate:
    agency: Agency
    total: int
    done: int
    open: int
    overdue: int

    @property
    def percent(self) -> int | None:
        return rules.percent(self.done, self.total)


@dataclass
class Tracker:
    rows: list[ActionRow]
    rates: list[AgencyRate]


def tracker(*, user: User, agency_id: int | None = None, now: datetime | None = None) -> Tracker:
    """Open actions the user may see (a partner: their agency's), overdue first then by due
    date, and each agency's completion rate (done of all its actions). Audited."""
    now = now or timezone.now()
    visible = Action.objects.filter(policies.action_visibility(user))
    if agency_id:
        visible = visible.filter(agency_id=agency_id)
    open_actions = list(
        visible.filter(status=ActionStatus.OPEN)
        .select_related("agency", "case", "case__victim")
        .distinct()
        .order_by("due_on", "pk")[: PAGE_SIZE * 4]
    )
    rows = [_action_row(a, now) for a in open_actions]
    rows.sort(key=lambda r: (not r.overdue, r.action.due_on, r.action.pk))
    record_list(
        actor=user, action="marac.tracker.viewed", model=Action, ids=[r.action.pk for r in rows]
    )
    counts = (
        visible.values("agency_id", "status", "due_on")
        .annotate(n=Count("pk", distinct=True))
        .order_by()
    )
    totals: dict[int, Counter[str]] = defaultdict(Counter)
    for c in counts:
        t = totals[c["agency_id"]]
        t["total"] += c["n"]
        if c["status"] == ActionStatus.DONE:
            t["done"] += c["n"]
        else:
            t["open"] += c["n"]
            if rules.is_overdue(due_on=c["due_on"], done=False, now=now):
                t["overdue"] += c["n"]
    agencies = Agency.objects.in_bulk(list(totals))
    rates = sorted(
        (
            AgencyRate(
                agency=agencies[pk],
                total=t["total"],
                done=t["done"],
                open=t["open"],
                overdue=t["overdue"],
            )  # fmt: skip
            for pk, t in totals.items()
        ),
        key=lambda r: r.agency.name,
    )
    return Tracker(rows=rows, rates=rates)


def action_agencies() -> list[Agency]:
    """Agencies that hold MARAC actions (the tracker's filter)."""
    return list(Agency.objects.filter(pk__in=Action.objects.values("agency_id")).order_by("name"))


# --- The quarterly MARAC data return -------------------------------------------------------------


@dataclass
class QuarterlyReturn:
    year: int
    quarter: int
    cases_discussed: int
    repeat_cases: int
    repeat_rate: int | None
    referrals: int
    referrals_by_agency: list[tuple[str, int]]
    children: int
    male: int
    aged_16_17: int
    lgbt: int
    bme: int
    disability: int
    #: Cases closed in the quarter and whether the actions reduced the victim's risk (the
    #: outcome the coordinator recorded after the re-assessment).
    closed: int = 0
    risk_reduced: int = 0
    risk_same: int = 0
    risk_increased: int = 0
    risk_unknown: int = 0

    def rows(self) -> list[tuple[str, Any]]:
        """(label, value) for the page and the CSV, in the return's order."""
        out: list[tuple[str, Any]] = [
            (_("Cases discussed"), self.cases_discussed),
            (_("Repeat cases"), self.repeat_cases),
            (_("Repeat rate (%)"), "" if self.repeat_rate is None else self.repeat_rate),
            (_("Referrals received"), self.referrals),
        ]
        out += [(_("Referrals from %(a)s") % {"a": a}, n) for a, n in self.referrals_by_agency]
        out += [
            (_("Children in the households"), self.children),
            (_("Victims who are male"), self.male),
            (_("Victims aged 16-17"), self.aged_16_17),
            (_("Victims who are LGBT"), self.lgbt),
            (_("Victims from minority ethnic groups"), self.bme),
            (_("Victims with a disability"), self.disability),
            (_("Cases closed"), self.closed),
            (_("Closed: the actions reduced the risk"), self.risk_reduced),
            (_("Closed: no change in the risk"), self.risk_same),
            (_("Closed: the risk increased"), self.risk_increased),
            (_("Closed: change in the risk not known"), self.risk_unknown),
        ]
        return out


def quarterly_return(*, user: User, year: int, quarter: int) -> QuarterlyReturn:
    """The SafeLives-style quarterly return: cases discussed in the quarter (at a meeting held
    in it), how many were repeats and the repeat rate, referrals received by referring agency,
    and, of the cases discussed, the children in their households and the victims who are male,
    16-17, LGBT, from a minority ethnic group or with a disability; cases closed in the quarter
    by whether the actions reduced the risk. Counts only; its viewing is
    audited as an export."""
    start, end = rules.quarter_bounds(year, quarter)
    discussed = MaracCase.objects.filter(
        meeting__held_at__gte=start,
        meeting__held_at__lt=end,
        status__in=[CaseStatus.DISCUSSED, CaseStatus.CLOSED],
    )
    figures = discussed.aggregate(
        n=Count("pk"),
        repeat=Count("pk", filter=Q(is_repeat=True)),
        male=Count("pk", filter=Q(victim_male=True)),
        young=Count("pk", filter=Q(victim_16_17=True)),
        lgbt=Count("pk", filter=Q(victim_lgbt=True)),
        bme=Count("pk", filter=Q(victim_bme=True)),
        disability=Count("pk", filter=Q(victim_disability=True)),
    )
    children = sum(discussed.values_list("children_count", flat=True))
    referred = MaracCase.objects.filter(referred_at__gte=start, referred_at__lt=end)
    by_agency = Counter(
        name or str(_("Police (MASH and coordinator)"))
        for name in referred.values_list("referring_agency__name", flat=True)
    )
    outcomes = Counter(
        MaracCase.objects.filter(
            status=CaseStatus.CLOSED, closed_at__gte=start, closed_at__lt=end
        ).values_list("outcome", flat=True)
    )
    record_access(
        actor=user,
        action="marac.return.viewed",
        subject_type=MaracCase._meta.label_lower,
        changes={"quarter": [None, f"{year}-Q{quarter}"]},
    )
    return QuarterlyReturn(
        year=year,
        quarter=quarter,
        cases_discussed=figures["n"],
        repeat_cases=figures["repeat"],
        repeat_rate=rules.percent(figures["repeat"], figures["n"]),
        referrals=sum(by_agency.values()),
        referrals_by_agency=sorted(by_agency.items()),
        children=children,
        male=figures["male"],
        aged_16_17=figures["young"],
        lgbt=figures["lgbt"],
        bme=figures["bme"],
        disability=figures["disability"],
        closed=sum(outcomes.values()),
        risk_reduced=outcomes[RiskOutcome.REDUCED],
        risk_same=outcomes[RiskOutcome.SAME],
        risk_increased=outcomes[RiskOutcome.INCREASED],
        risk_unknown=outcomes[RiskOutcome.UNKNOWN],
    )


# --- Alerts for the deadline handlers (system reads: titles carry references only) ---------------


def _action_for_alert(action_id: int) -> Action | None:
    return Action.objects.select_related("case").filter(pk=action_id).first()


def action_due_soon_alerts(*, action_id: int) -> list[AlertSpec]:
    """An open action due soon: its agency."""
    action = _action_for_alert(action_id)
    if action is None or action.status == ActionStatus.DONE:
        return []
    title = _("MARAC action on %(ref)s is due by %(d)s") % {
        "ref": action.case.reference,
        "d": action.due_on.strftime("%d %b %Y"),
    }
    return [
        AlertSpec(
            title=title,
            link=reverse("marac:action-report", args=[action.pk]),
            recipient_role=Role.PARTNER,
            recipient_agency_id=action.agency_id,
        )
    ]


def action_overdue_alerts(*, action_id: int) -> list[AlertSpec]:
    """An open action past its due date: its agency and the coordinator."""
    action = _action_for_alert(action_id)
    if action is None or action.status == ActionStatus.DONE:
        return []
    title = _("MARAC action on %(ref)s is overdue (due %(d)s)") % {
        "ref": action.case.reference,
        "d": action.due_on.strftime("%d %b %Y"),
    }
    return [
        AlertSpec(
            title=title,
            link=reverse("marac:action-report", args=[action.pk]),
            recipient_role=Role.PARTNER,
            recipient_agency_id=action.agency_id,
            severity=Severity.URGENT,
        ),
        AlertSpec(
            title=title,
            link=reverse("marac:case-detail", args=[action.case_id]),
            recipient_role=Role.MARAC_COORDINATOR,
            severity=Severity.URGENT,
        ),
    ]


def repeat_alerts(*, case_id: int) -> list[AlertSpec]:
    """A new incident within the repeat window: the coordinator."""
    case = MaracCase.objects.filter(pk=case_id).first()
    if case is None or case.status == CaseStatus.CLOSED:
        return []
    title = _("Repeat MARAC: a new incident for the victim of %(ref)s") % {"ref": case.reference}
    return [
        AlertSpec(
            title=title,
            link=reverse("marac:case-detail", args=[case.pk]),
            recipient_role=Role.MARAC_COORDINATOR,
            severity=Severity.URGENT,
        )
    ]


def reassess_request_alerts(*, case_id: int) -> list[AlertSpec]:
    """The coordinator asked for the victim's risk to be re-assessed after the MARAC's actions:
    the officer (or SPOC) asked, else the MASH team. Titles: references and ids only."""
    case = MaracCase.objects.filter(pk=case_id).first()
    if case is None or case.status == CaseStatus.CLOSED or case.reassessment_id is not None:
        return []
    reassessor = reassessor_of(case)
    title = _(
        "%(ref)s: the MARAC's actions are reported back; re-assess victim %(id)d's risk (DASH)"
    ) % {"ref": case.reference, "id": case.victim_id}
    link = (
        reverse("risk:dash-start", args=[reassessor.incident_id])
        if reassessor.incident_id is not None
        else reverse("risk:history", args=[case.victim_id])
    )
    recipient = case.reassessment_requested_from_id
    if recipient is not None:
        return [AlertSpec(title=title, link=link, recipient_id=recipient)]
    return [
        AlertSpec(
            title=_("%(title)s (no officer or SPOC named)") % {"title": title},
            link=link,
            recipient_role=Role.MASH,
        )
    ]


def reassess_chase_alerts(*, case_id: int) -> list[AlertSpec]:
    """No DASH reviewed since the meeting, the configured days after the request: the
    coordinator chases it."""
    case = MaracCase.objects.select_related("meeting").filter(pk=case_id).first()
    if case is None or case.status == CaseStatus.CLOSED or reassessment_after(case) is not None:
        return []
    title = _("%(ref)s: the re-assessment asked for after the actions has not come") % {
        "ref": case.reference
    }
    return [
        AlertSpec(
            title=title,
            link=reverse("marac:case-detail", args=[case.pk]),
            recipient_role=Role.MARAC_COORDINATOR,
        )
    ]


def reassessed_alerts(*, case_id: int) -> list[AlertSpec]:
    """The DASH asked for after the actions was reviewed: the coordinator compares the levels
    and closes the case."""
    case = MaracCase.objects.filter(pk=case_id).first()
    if case is None or case.status != CaseStatus.DISCUSSED or case.reassessment_id is None:
        return []
    title = _("%(ref)s: the victim's risk was re-assessed after the actions: close the case") % {
        "ref": case.reference
    }
    return [
        AlertSpec(
            title=title,
            link=reverse("marac:case-detail", args=[case.pk]),
            recipient_role=Role.MARAC_COORDINATOR,
        )
    ]


def meetings_upcoming(*, now: datetime | None = None) -> list[Meeting]:
    """Scheduled meetings not yet held (for the referral and agenda forms)."""
    now = now or timezone.now()
    return list(
        Meeting.objects.filter(status=MeetingStatus.SCHEDULED, held_at__gte=now).order_by(
            "held_at"
        )[:PAGE_SIZE]
    )


def referable_victims(*, user: User, limit: int = 200) -> list[tuple[int, str]]:
    """Victims the user may refer (id, name): a partner, the victims of the MASH referrals made
    to their agency; the coordinator, the victims of the MASH's recent cases. Audited."""
    from mash.models import MashCase
    from mash.models import Referral as MashReferral

    if policies.is_coordinator(user):
        qs = MashCase.objects.order_by("-arrived_at")
    elif policies.is_partner(user):
        person_ids = MashReferral.objects.filter(agency_id=user.agency_id or 0).values(
            "case__victim_id"
        )
        qs = MashCase.objects.filter(victim_id__in=person_ids).order_by("-arrived_at")
    else:
        return []
    seen: dict[int, str] = {}
    for case in qs.select_related("victim")[:limit]:
        seen.setdefault(case.victim_id, str(case.victim))
    if seen:
        from incidents.models import Person

        record_list(actor=user, action="marac.victims.listed", model=Person, ids=list(seen))
    return sorted(seen.items(), key=lambda kv: kv[1])


def person_for_referral(*, user: User, pk: int) -> Any:
    """A victim the user may refer (404 otherwise)."""
    from django.http import Http404

    from incidents.models import Person

    if pk not in dict(referable_victims(user=user)):
        raise Http404
    return Person.objects.get(pk=pk)
