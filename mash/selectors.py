"""Every read of the MASH: visibility applied, and the read audited.

The queue, the referral list and the contact screen run a constant number of queries whatever
their length (tested).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Case, Q, QuerySet, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dapolice.accounts.choices import Role
from dapolice.accounts.models import User
from dapolice.alerts.choices import Severity
from dapolice.alerts.registry import AlertSpec
from dapolice.audit.services import record_list, record_read
from incidents.choices import CUSTODY_TELL_VICTIM_DEADLINE, PersonRole
from incidents.models import CustodyEvent, IncidentPerson, Person
from mash import policies, rules
from mash.choices import (
    OPEN_REFERRAL,
    OPEN_STATUSES,
    SUPPORTED,
    CaseStatus,
    ContactChannel,
    ContactOutcome,
    Duty,
    NoticeStatus,
    ReferralKind,
    ReferralStatus,
)
from mash.filters import MashCaseFilter
from mash.models import (
    Contact,
    ContactPlan,
    DutyRota,
    EncompassNotice,
    InformationEntry,
    MashCase,
    OwnershipPeriod,
    PlanAction,
    Referral,
)
from risk.choices import Level

PAGE_SIZE = 50

# --- The duty rota ------------------------------------------------------------------------------


def on_duty(duty: str, at: datetime) -> int | None:
    """The user holding ``duty`` at ``at`` (the latest-starting shift if two overlap)."""
    return (
        DutyRota.objects.filter(duty=duty, starts_at__lte=at, ends_at__gt=at)
        .order_by("-starts_at", "-pk")
        .values_list("user_id", flat=True)
        .first()
    )


# --- The queue ------------------------------------------------------------------------------------


def _case_base() -> QuerySet[MashCase]:
    return MashCase.objects.select_related(
        "incident", "victim", "assessment", "claimed_by", "owner", "duty_officer", "offer_to"
    )


@dataclass
class QueueRow:
    case: MashCase
    waited: timedelta
    deadline: datetime | None
    overdue: bool
    why: str


def row_for(case: MashCase, now: datetime) -> QueueRow:
    deadline: datetime | None = None
    if case.status == CaseStatus.WAITING and case.start_due_at is not None:
        deadline = case.start_due_at
    elif case.status in OPEN_STATUSES:
        deadline = case.due_at
    return QueueRow(
        case=case,
        waited=now - case.arrived_at,
        deadline=deadline,
        overdue=deadline is not None and deadline < now,
        why=rules.reason_label(case.reason, case.sample_percent),
    )


@dataclass
class Queue:
    rows: list[QueueRow]
    filter: MashCaseFilter
    page: Page[MashCase]
    waiting: int


def case_queue(
    *, user: User, data: Any = None, page: int = 1, now: datetime | None = None
) -> Queue:
    """The MASH queue: risk first (high, medium, standard), then the longest waiting; open
    items unless a status is chosen. The ids shown are audited with the filters used."""
    now = now or timezone.now()
    data = data.copy() if data is not None else {}
    if not data.get("status"):
        data["status"] = "open"
    filterset = MashCaseFilter(data, queryset=_case_base().filter(case_visibility_q(user)))
    qs = filterset.qs.order_by("-priority", "arrived_at", "pk")
    paginator = Paginator(qs, PAGE_SIZE)
    page_obj = paginator.get_page(page)
    cases = list(page_obj.object_list)
    record_list(
        actor=user,
        action="mash.case.queue_viewed",
        model=MashCase,
        ids=[c.pk for c in cases],
        changes={"filters": [None, sorted(k for k, v in data.items() if v and k != "page")]},
    )
    waiting = MashCase.objects.filter(case_visibility_q(user), status=CaseStatus.WAITING).count()
    return Queue(
        rows=[row_for(c, now) for c in cases], filter=filterset, page=page_obj, waiting=waiting
    )


def case_visibility_q(user: User) -> Q:
    return policies.case_visibility(user)


def next_waiting(user: User) -> QuerySet[MashCase]:
    """Unclaimed items in the order "Next case" takes them (the service locks the first)."""
    return MashCase.objects.filter(
        case_visibility_q(user), status=CaseStatus.WAITING, claimed_by__isnull=True
    ).order_by("-priority", "arrived_at", "pk")


# --- One case -------------------------------------------------------------------------------------


def case_get_for_user(*, user: User, pk: int, audit: bool = True) -> MashCase:
    """One case the user may see (404 otherwise, the same as "does not exist")."""
    case = get_object_or_404(_case_base().filter(case_visibility_q(user)), pk=pk)
    if audit:
        record_read(actor=user, action="mash.case.read", subject=case)
    return case


@dataclass
class CaseDetail:
    case: MashCase
    row: QueueRow
    ledger: list[OwnershipPeriod]
    information: list[InformationEntry]
    actions: list[PlanAction]
    referrals: list[Referral]
    notices: list[EncompassNotice]
    plan: ContactPlan | None
    idva: rules.Rate


def case_detail(*, user: User, case: MashCase, now: datetime | None = None) -> CaseDetail:
    """Everything the case page shows (a fixed number of queries)."""
    now = now or timezone.now()
    return CaseDetail(
        case=case,
        row=row_for(case, now),
        ledger=list(
            case.ownership.select_related("owner", "offered_by").order_by("started_at", "pk")
        ),
        information=list(case.information.select_related("recorded_by", "agency")),
        actions=list(case.actions.all()),
        referrals=list(case.referrals.select_related("agency", "made_by", "responded_by")),
        notices=list(case.notices.select_related("sent_by")),
        plan=ContactPlan.objects.select_related("spoc").filter(person_id=case.victim_id).first(),
        idva=idva_rate(now=now),
    )


def plan_actions(case: MashCase) -> list[PlanAction]:
    return list(case.actions.all())


def plan_version(case: MashCase) -> int:
    return int(
        MashCase.objects.filter(pk=case.pk).values_list("plan_version", flat=True).first() or 0
    )


def case_for_information(*, user: User, pk: int) -> MashCase:
    """A case the user may add information to: any visible case for MASH staff; for a partner,
    a case referred to their agency (404 otherwise). Audited."""
    qs = _case_base()
    if user.is_partner:
        qs = qs.filter(pk__in=Referral.objects.filter(agency=user.agency).values("case_id"))
    else:
        qs = qs.filter(case_visibility_q(user))
    case = get_object_or_404(qs, pk=pk)
    record_read(actor=user, action="mash.case.read", subject=case)
    return case


def notice_of(*, case: MashCase, pk: int) -> EncompassNotice:
    """One Operation Encompass notice of a case already loaded through its selector."""
    return get_object_or_404(EncompassNotice.objects.select_related("sent_by"), case=case, pk=pk)


def contact_plan_of(person_id: int) -> ContactPlan | None:
    return ContactPlan.objects.select_related("spoc").filter(person_id=person_id).first()


def information_for(*, user: User, case: MashCase) -> list[InformationEntry]:
    """MASH staff read every entry; a partner only the entries they wrote."""
    qs = case.information.select_related("recorded_by", "agency")
    if not policies.can_work_case(user, case):
        qs = qs.filter(recorded_by=user)
    return list(qs)


# --- Referrals ------------------------------------------------------------------------------------


def referral_list(*, user: User, page: int = 1) -> Page[Referral]:
    """Referrals the user may see (a partner: those made to their agency), open ones first and
    the soonest due first; the ids shown are audited."""
    qs = (
        Referral.objects.visible_to(user)
        .select_related("case", "case__incident", "case__victim", "agency", "made_by")
        # Open (made or accepted) first: ordering by the status code alone put "completed"
        # and "declined" before "made".
        .order_by(
            Case(When(status__in=OPEN_REFERRAL, then=Value(0)), default=Value(1)),
            "due_at",
            "pk",
        )
    )
    page_obj = Paginator(qs, PAGE_SIZE).get_page(page)
    record_list(
        actor=user,
        action="mash.referral.listed",
        model=Referral,
        ids=[r.pk for r in page_obj.object_list],
    )
    return page_obj


def referral_get_for_user(*, user: User, pk: int) -> Referral:
    referral = get_object_or_404(
        Referral.objects.visible_to(user).select_related(
            "case", "case__incident", "case__victim", "case__victim__address", "agency", "made_by"
        ),
        pk=pk,
    )
    record_read(actor=user, action="mash.referral.read", subject=referral)
    return referral


def idva_rate(*, now: datetime | None = None) -> rules.Rate:
    """High-risk victims (a MASH case at high, by the DASH or the MASH, that arrived in the last
    ``DAPOLICE_MASH_IDVA_WINDOW_DAYS``) and how many of them an IDVA supports (an IDVA referral
    accepted or completed) or was asked to (referred). Counts only: not audited."""
    now = now or timezone.now()
    since = now - timedelta(days=settings.DAPOLICE_MASH_IDVA_WINDOW_DAYS)
    high = MashCase.objects.filter(arrived_at__gte=since, arrived_at__lte=now, level=Level.HIGH)
    victims = set(high.values_list("victim_id", flat=True))
    idva = Referral.objects.filter(kind=ReferralKind.IDVA, case__victim_id__in=victims)
    referred = set(
        idva.exclude(status=ReferralStatus.DECLINED).values_list("case__victim_id", flat=True)
    )
    supported = set(idva.filter(status__in=SUPPORTED).values_list("case__victim_id", flat=True))
    return rules.Rate(
        supported=len(supported),
        referred=len(referred),
        total=len(victims),
        target=settings.DAPOLICE_MASH_IDVA_TARGET_PERCENT,
    )


def last_marac_referral(person_id: int, at: datetime) -> datetime | None:
    """The victim's last MARAC referral made in the MASH at or before ``at`` (risk's provider
    hook for "repeat MARAC", registered in ``MashConfig.ready`` until the MARAC app takes it
    over). A count for a rule, nothing shown: not audited."""
    return (
        Referral.objects.filter(kind=ReferralKind.MARAC, case__victim_id=person_id, made_at__lte=at)
        .order_by("-made_at")
        .values_list("made_at", flat=True)
        .first()
    )


# --- Contacts and the single point of contact -----------------------------------------------------


def contact_person_get_for_user(*, user: User, pk: int) -> Person:
    """A victim whose contact screen the user may open (404 otherwise)."""
    person = get_object_or_404(
        Person.objects.filter(policies.contact_person_visibility(user)), pk=pk
    )
    record_read(actor=user, action="mash.contacts.read", subject=person)
    return person


@dataclass
class ContactScreen:
    person: Person
    plan: ContactPlan | None
    contacts: list[Contact]
    recent_by_others: list[Contact]
    latest_id: int
    within_safe_times: bool
    hours: int


def contact_screen(
    *, user: User, person: Person, now: datetime | None = None, limit: int = PAGE_SIZE
) -> ContactScreen:
    """The victim's safe-contact instructions, their contacts (newest first) and the contacts by
    others in the last ``DAPOLICE_MASH_RECENT_CONTACT_HOURS`` (the warning). Audited."""
    now = now or timezone.now()
    plan = ContactPlan.objects.select_related("spoc").filter(person=person).first()
    contacts = list(
        Contact.objects.filter(person=person)
        .select_related("made_by", "agency")
        .order_by("-at", "-pk")[:limit]
    )
    since = now - timedelta(hours=settings.DAPOLICE_MASH_RECENT_CONTACT_HOURS)
    recent = [c for c in contacts if c.at >= since and c.made_by_id != user.pk]
    record_list(
        actor=user, action="mash.contact.listed", model=Contact, ids=[c.pk for c in contacts]
    )
    latest = max((c.pk for c in contacts), default=0)
    return ContactScreen(
        person=person,
        plan=plan,
        contacts=contacts,
        recent_by_others=recent,
        latest_id=latest,
        within_safe_times=plan is None
        or rules.within_safe_times(now, safe_from=plan.safe_from, safe_until=plan.safe_until),
        hours=settings.DAPOLICE_MASH_RECENT_CONTACT_HOURS,
    )


def contacts_by_others_since(
    *, person_id: int, user: User, after_id: int, now: datetime
) -> list[Contact]:
    """Contacts by others logged after ``after_id`` within the recent window (the service's
    check that nothing new arrived while the user was typing)."""
    since = now - timedelta(hours=settings.DAPOLICE_MASH_RECENT_CONTACT_HOURS)
    return list(
        Contact.objects.filter(person_id=person_id, pk__gt=after_id, at__gte=since)
        .exclude(made_by=user)
        .select_related("made_by")
        .order_by("-at")
    )


@dataclass(frozen=True)
class SafeContact:
    """Where and how a victim may safely be contacted on a channel, now (the shape of the alerts
    app's ``SafeContact``)."""

    address: str


def safe_contact_for(
    victim_type: str, victim_id: str, channel: str, at: datetime
) -> SafeContact | None:
    """The safe-contact rule for notifications to a victim: only to the safe number or e-mail
    address of the victim's contact plan, only inside the safe times; anything else (no plan,
    no safe address for the channel, outside the window) is None: no message. Registered with
    the alerts app's ``safe_contact_rule`` where it exists (``MashConfig.ready``)."""
    if victim_type != Person._meta.label_lower:
        return None
    plan = ContactPlan.objects.filter(person_id=victim_id).first()
    if plan is None:
        return None
    if not rules.within_safe_times(at, safe_from=plan.safe_from, safe_until=plan.safe_until):
        return None
    if channel == ContactChannel.EMAIL and plan.safe_email:
        return SafeContact(address=plan.safe_email)
    if channel in (ContactChannel.TEXT, ContactChannel.PHONE, "sms") and plan.safe_phone:
        return SafeContact(address=plan.safe_phone)
    return None


# --- Alerts for the deadline handlers (system reads: titles carry references only) --------------


def _case_for_alert(case_id: int) -> MashCase | None:
    return MashCase.objects.select_related("incident").filter(pk=case_id).first()


def team_lead_spec(*, title: str, link: str, at: datetime, severity: str) -> AlertSpec:
    """The MASH team lead on the rota at ``at``; nobody on it: every MASH staff member."""
    lead = on_duty(Duty.MASH_TEAM_LEAD, at)
    if lead is not None:
        return AlertSpec(title=title, link=link, recipient_id=lead, severity=severity)
    return AlertSpec(title=title, link=link, recipient_role=Role.MASH, severity=severity)


def duty_sergeant_spec(*, case: MashCase, title: str, link: str) -> AlertSpec:
    """The detective sergeant recorded on the case; nobody was on the rota: the control room's
    supervisors (on duty round the clock), told so in the title."""
    if case.duty_officer_id is not None:
        return AlertSpec(
            title=title, link=link, recipient_id=case.duty_officer_id, severity=Severity.URGENT
        )
    return AlertSpec(
        title=_("%(title)s: no detective sergeant on the duty rota") % {"title": title},
        link=link,
        recipient_role=Role.CONTROL_SUPERVISOR,
        severity=Severity.URGENT,
    )


def _link(case: MashCase) -> str:
    return reverse("mash:case-detail", args=[case.pk])


def out_of_hours_alerts(*, case_id: int) -> list[AlertSpec]:
    case = _case_for_alert(case_id)
    if case is None or case.status != CaseStatus.WAITING:
        return []
    title = _("High-risk case %(ref)s arrived out of MASH hours: yours") % {
        "ref": case.incident.reference
    }
    return [duty_sergeant_spec(case=case, title=title, link=_link(case))]


def start_overdue_alerts(*, case_id: int, now: datetime) -> list[AlertSpec]:
    case = _case_for_alert(case_id)
    if case is None or case.status != CaseStatus.WAITING:
        return []
    title = _("High-risk MASH case %(ref)s not started within %(m)d minutes") % {
        "ref": case.incident.reference,
        "m": settings.DAPOLICE_MASH_HIGH_START_MINUTES,
    }
    if case.duty_officer_id is not None or not rules.in_mash_hours(case.arrived_at):
        return [duty_sergeant_spec(case=case, title=title, link=_link(case))]
    return [team_lead_spec(title=title, link=_link(case), at=now, severity=Severity.URGENT)]


def complete_overdue_alerts(*, case_id: int, now: datetime) -> list[AlertSpec]:
    case = _case_for_alert(case_id)
    if case is None or case.status not in OPEN_STATUSES:
        return []
    title = _("MASH case %(ref)s without a secondary assessment after %(h)d hours") % {
        "ref": case.incident.reference,
        "h": settings.DAPOLICE_MASH_COMPLETE_HOURS,
    }
    return [team_lead_spec(title=title, link=_link(case), at=now, severity=Severity.WARNING)]


def referral_overdue_alerts(*, referral_id: int, now: datetime) -> list[AlertSpec]:
    referral = (
        Referral.objects.select_related("case", "case__incident").filter(pk=referral_id).first()
    )
    if referral is None or referral.status not in OPEN_REFERRAL:
        return []
    title = _("%(kind)s referral on %(ref)s is past its due time") % {
        "kind": ReferralKind(referral.kind).label,
        "ref": referral.case.incident.reference,
    }
    link = reverse("mash:case-detail", args=[referral.case_id])
    specs = [
        AlertSpec(title=title, link=link, recipient_id=referral.made_by_id),
    ]
    if referral.agency_id is not None:
        specs.append(
            AlertSpec(
                title=title,
                link=reverse("mash:referral-detail", args=[referral.pk]),
                recipient_role=Role.PARTNER,
                recipient_agency_id=referral.agency_id,
            )
        )
    return specs


def encompass_overdue_alerts(*, notice_id: int, now: datetime) -> list[AlertSpec]:
    notice = (
        EncompassNotice.objects.select_related("case", "case__incident")
        .filter(pk=notice_id)
        .first()
    )
    if notice is None or notice.status != NoticeStatus.PENDING:
        return []
    title = _("Operation Encompass notice for %(ref)s not sent before the school day") % {
        "ref": notice.case.incident.reference
    }
    return [team_lead_spec(title=title, link=_link(notice.case), at=now, severity=Severity.URGENT)]


def user_get(pk: int) -> User:
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None:
        raise Http404
    return user


# --- Victim follow-ups (issue 9): re-assessment and repeat victims who stopped calling -----------


def _spoc_spec(*, person_id: int, title: str) -> AlertSpec:
    """To the victim's SPOC; a victim without one: the MASH (who names one)."""
    link = reverse("mash:contacts", args=[person_id])
    spoc = (
        ContactPlan.objects.filter(person_id=person_id, spoc__is_active=True)
        .values_list("spoc_id", flat=True)
        .first()
    )
    if spoc is not None:
        return AlertSpec(title=title, link=link, recipient_id=spoc)
    return AlertSpec(
        title=_("%(title)s (no SPOC named)") % {"title": title},
        link=link,
        recipient_role=Role.MASH,
    )


def reassessment_alerts(*, person_id: int) -> list[AlertSpec]:
    """A medium-risk victim's re-assessment is due (recommendation 7). Titles: ids only."""
    title = _("Victim %(id)d: medium-risk re-assessment due") % {"id": person_id}
    return [_spoc_spec(person_id=person_id, title=title)]


def silent_victim_alerts(*, person_id: int) -> list[AlertSpec]:
    """A repeat victim has not been in touch for the configured months: a welfare follow-up."""
    title = _("Victim %(id)d: repeat victim not heard from for %(m)d months: welfare follow-up") % {
        "id": person_id,
        "m": settings.DAPOLICE_SILENT_VICTIM_MONTHS,
    }
    return [_spoc_spec(person_id=person_id, title=title)]


def silent_victims_due() -> list[tuple[int, datetime]]:
    """(person id, when their welfare follow-up is due) for every victim of at least
    ``DAPOLICE_SILENT_VICTIM_MIN_INCIDENTS`` DA incidents: the configured months after their
    last incident or the last logged contact in which they were spoken to, whichever was later.
    Two grouped queries."""
    from dateutil.relativedelta import relativedelta
    from django.db.models import Count, Max

    from incidents.choices import PersonRole
    from incidents.models import IncidentPerson

    victims = dict(
        IncidentPerson.objects.filter(role=PersonRole.VICTIM)
        .values("person_id")
        .annotate(n=Count("incident_id", distinct=True), last=Max("received_at"))
        .filter(n__gte=settings.DAPOLICE_SILENT_VICTIM_MIN_INCIDENTS)
        .values_list("person_id", "last")
    )
    contacts = dict(
        # Only a contact in which someone spoke to the victim breaks the silence.
        Contact.objects.filter(person_id__in=list(victims), outcome=ContactOutcome.SPOKE)
        .values("person_id")
        .annotate(last=Max("at"))
        .values_list("person_id", "last")
    )
    months = relativedelta(months=settings.DAPOLICE_SILENT_VICTIM_MONTHS)
    return [
        (pid, max(last, contacts.get(pid) or last) + months)
        for pid, last in sorted(victims.items())
    ]


# --- Bail, custody and release (recommendation 12) --------------------------------------------


def custody_alerts(*, event_id: int, kind: str) -> list[AlertSpec]:
    """A suspect's bail or custody changed: the re-assessment task (at once), or the victim not
    yet told at the Victims' Code time (nothing once they were). To the victim's SPOC and the
    officer in the case who recorded it (the MASH when neither can be told).

    Titles carry the incident's reference and the event's kind only, and the link is the
    victim's contact screen, which shows the safe number of the contact plan and never the
    other numbers held for the victim: no alert or e-mail can lead to an unsafe number."""
    event = (
        CustodyEvent.objects.select_related("incident", "recorded_by").filter(pk=event_id).first()
    )
    if event is None:
        return []
    if kind == CUSTODY_TELL_VICTIM_DEADLINE and event.victim_informed_at is not None:
        return []
    what, ref = event.get_kind_display(), event.incident.reference
    if kind == CUSTODY_TELL_VICTIM_DEADLINE:
        title = _("%(ref)s: %(what)s: the victim has not been told (Victims' Code)") % {
            "ref": ref,
            "what": what,
        }
        severity = Severity.URGENT
    else:
        by = timezone.localtime(event.tell_victim_by).strftime("%d %b %H:%M")
        title = _("%(ref)s: %(what)s: re-assess the victim's risk; tell the victim by %(by)s") % {
            "ref": ref,
            "what": what,
            "by": by,
        }
        severity = Severity.WARNING
    victim = (
        IncidentPerson.objects.filter(incident_id=event.incident_id, role=PersonRole.VICTIM)
        .order_by("pk")
        .values_list("person_id", flat=True)
        .first()
    )
    if victim is None:
        link = reverse("incidents:detail", args=[event.incident_id])
        spoc = None
    else:
        link = reverse("mash:contacts", args=[victim])
        spoc = (
            ContactPlan.objects.filter(person_id=victim, spoc__is_active=True)
            .values_list("spoc_id", flat=True)
            .first()
        )
    officer = event.recorded_by_id if event.recorded_by.is_active else None
    recipients = list(dict.fromkeys(r for r in (spoc, officer) if r is not None))
    if not recipients:
        return [AlertSpec(title=title, link=link, recipient_role=Role.MASH, severity=severity)]
    return [
        AlertSpec(title=title, link=link, recipient_id=r, severity=severity) for r in recipients
    ]
