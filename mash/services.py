"""Every write of the MASH: ``<entity>_<verb>(*, actor, ...)``.

Each service locks what it changes, checks its precondition (``DomainError`` for a refused
change, ``Conflict`` when someone else changed it first), changes, and writes the audit row in
the same transaction. The queue's clocks, the referrals' due times and the Operation Encompass
notices are ``Deadline`` rows set and cancelled in that transaction too; the MARAC signal goes
out on commit. The rules themselves are in ``mash.rules``; who may is ``mash.policies``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from dapolice import access
from dapolice.accounts.models import Agency, User
from dapolice.alerts.services import deadline_cancel, deadline_set
from dapolice.audit.services import diff, record_change, record_create, snapshot
from dapolice.common.errors import Conflict, DomainError
from incidents.choices import PersonRole
from incidents.models import IncidentPerson, Person
from incidents.services import incident_set_risk_level
from mash import rules, selectors, signals
from mash.choices import (
    COMPLETE_DEADLINE,
    ENCOMPASS_DEADLINE,
    OUT_OF_HOURS_DEADLINE,
    REFERRAL_AGENCY_KIND,
    REFERRAL_DEADLINE,
    SILENT_VICTIM_DEADLINE,
    START_DEADLINE,
    CaseStatus,
    ContactChannel,
    ContactOutcome,
    Duty,
    EntryReason,
    InformationSource,
    NoticeStatus,
    OwnershipEvent,
    ReferralKind,
    ReferralStatus,
    Team,
)
from mash.inputs import CONTACT_PLAN_FIELDS, ActionInput, ContactPlanInput
from mash.models import (
    Contact,
    ContactPlan,
    EncompassNotice,
    InformationEntry,
    MashCase,
    OwnershipPeriod,
    PlanAction,
    Referral,
)
from risk.choices import Level
from risk.models import Assessment


def _when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "H:i, j M Y")


# --- Entering the queue -------------------------------------------------------------------------


def case_open_from_review(
    *, actor: User, assessment_id: int, level: str, children_present: bool
) -> MashCase | None:
    """A supervisor reviewed a DASH: put it in the MASH queue if the rules say so.

    Called by ``mash.receivers`` for ``risk.signals.assessment_reviewed``. Every decision,
    in or out, is audited with the sample draw, so the sample can be checked afterwards. Safe to
    call twice (one case per assessment). The attending officer owns safeguarding from the
    start, with the handover offered to the MASH team, or out of MASH hours for a high-risk
    case to the detective sergeant on the duty rota.
    """
    with transaction.atomic():
        Assessment.objects.select_for_update().filter(pk=assessment_id).values_list("pk").get()
        assessment = Assessment.objects.select_related("incident").get(pk=assessment_id)
        existing = MashCase.objects.filter(assessment=assessment).first()
        if existing is not None:
            return existing
        percent = float(settings.DAPOLICE_MASH_SAMPLE_PERCENT)
        reason = rules.entry_reason(
            assessment_id=assessment.pk,
            level=level,
            children_present=children_present,
            percent=percent,
        )
        decision: dict[str, object] = {"level": [None, level], "queued": [None, reason or ""]}
        if level == Level.STANDARD:
            draw = rules.sample_draw(assessment.pk)
            decision["sample_draw"] = [None, round(draw, 6)]
            decision["sample_percent"] = [None, percent]
        record_change(
            actor=actor, action="mash.entry.decided", subject=assessment, changes=decision
        )
        if reason is None:
            return None
        return _open(
            actor=actor,
            assessment=assessment,
            level=level,
            reason=reason,
            percent=percent if reason == EntryReason.SAMPLE else None,
            children_present=children_present,
        )


def _open(
    *,
    actor: User,
    assessment: Assessment,
    level: str,
    reason: str,
    percent: float | None,
    children_present: bool,
) -> MashCase:
    now = timezone.now()
    clocks = rules.clocks(level=level, arrived_at=now)
    to_sergeant = rules.goes_to_duty_sergeant(level=level, arrived_at=now)
    duty_id = selectors.on_duty(Duty.DETECTIVE_SERGEANT, now) if to_sergeant else None
    owner_id = assessment.author_id
    owner_since = min(assessment.incident.arrived_at or assessment.created_at, now)
    # The attending officer's reviewed DASH goes to the MASH: their handover, on offer.
    offer: dict[str, Any] = {"offer_at": now, "offer_by_id": owner_id}
    if not to_sergeant:
        offer["offer_to_team"] = Team.MASH
    elif duty_id is not None and duty_id != owner_id:
        offer["offer_to_id"] = duty_id
    else:
        offer["offer_to_team"] = Team.DUTY_DS
    case = MashCase.objects.create(
        assessment=assessment,
        incident_id=assessment.incident_id,
        victim_id=assessment.victim_id,
        reason=reason,
        sample_percent=percent,
        dash_level=level,
        level=level,
        priority=rules.priority(level),
        children_present=children_present,
        team=Team.DUTY_DS if to_sergeant else Team.MASH,
        duty_officer_id=duty_id,
        arrived_at=now,
        start_due_at=clocks.start_due_at,
        due_at=clocks.due_at,
        owner_id=owner_id,
        owner_since=owner_since,
        **offer,
    )
    OwnershipPeriod.objects.create(
        case=case, owner_id=owner_id, started_at=owner_since, how=OwnershipEvent.OPENED
    )
    record_create(
        actor=actor,
        action="mash.case.opened",
        subject=case,
        fields=["assessment", "reason", "sample_percent", "level", "team", "duty_officer",
                "owner", "offer_to", "offer_to_team", "start_due_at", "due_at"],
    )  # fmt: skip
    if clocks.start_due_at is not None:
        deadline_set(kind=START_DEADLINE, subject=case, due_at=clocks.start_due_at)
    deadline_set(kind=COMPLETE_DEADLINE, subject=case, due_at=clocks.due_at)
    if to_sergeant:
        # Due at once: the next scan tells the sergeant (a row, so it fires exactly once).
        deadline_set(kind=OUT_OF_HOURS_DEADLINE, subject=case, due_at=now)
    if children_present:
        _encompass_notices(actor=actor, case=case)
    return case


def _encompass_notices(*, actor: User, case: MashCase) -> None:
    """One Operation Encompass notice per child of the incident (one to fill in when the call
    named none), each due before the next school day after the incident."""
    incident_at = case.incident.received_at
    due = rules.encompass_due(incident_at)
    children = list(
        IncidentPerson.objects.filter(incident_id=case.incident_id, role=PersonRole.CHILD)
        .select_related("person")
        .order_by("pk")
    )
    rows = [
        EncompassNotice(
            case=case,
            child=c.person,
            child_name=str(c.person),
            incident_at=incident_at,
            present=True,
            due_at=due,
        )
        for c in children
    ] or [EncompassNotice(case=case, incident_at=incident_at, due_at=due)]
    for notice in rows:
        notice.save()
        record_create(
            actor=actor,
            action="mash.encompass.opened",
            subject=notice,
            fields=["case", "child", "incident_at", "due_at"],
        )
        deadline_set(kind=ENCOMPASS_DEADLINE, subject=notice, due_at=due)


# --- Claiming -------------------------------------------------------------------------------------


def _already_claimed(case: MashCase) -> Conflict:
    if case.status == CaseStatus.ASSESSED:
        return Conflict(_("This case's secondary assessment is already complete."))
    return Conflict(
        _("%(who)s claimed this case at %(when)s.")
        % {"who": case.claimed_by, "when": _when(case.claimed_at or case.updated_at)},
        code="already_claimed",
    )


def _claim(*, actor: User, locked: MashCase, how: str) -> MashCase:
    before = snapshot(locked, ["status", "claimed_by", "claimed_at"])
    locked.status = CaseStatus.IN_PROGRESS
    locked.claimed_by = actor
    locked.claimed_at = timezone.now()
    locked.save(update_fields=["status", "claimed_by", "claimed_at", "updated_at"])
    record_change(
        actor=actor,
        action=f"mash.case.{how}",
        subject=locked,
        changes=diff(before, snapshot(locked, ["status", "claimed_by", "claimed_at"])),
    )
    deadline_cancel(kind=START_DEADLINE, subject=locked)
    return locked


def case_claim_next(*, actor: User) -> MashCase:
    """ "Next case": claim the highest-priority unclaimed item (high, then medium, then
    standard; the longest waiting first). Rows another transaction holds are skipped
    (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so two staff pressing at once never get the
    same item."""
    with transaction.atomic():
        locked = selectors.next_waiting(actor).select_for_update(skip_locked=True).first()
        if locked is None:
            raise DomainError(_("Nothing is waiting in the queue."), code="empty")
        return _claim(actor=actor, locked=locked, how="claimed_next")


def _lock(case: MashCase) -> MashCase:
    """Lock the case row, then read it with its relations. Locking a join would let a row that
    another transaction changed (a new owner) drop out of the result when PostgreSQL rechecks
    it after the wait, as if the case did not exist."""
    MashCase.objects.select_for_update().filter(pk=case.pk).values_list("pk").get()
    return MashCase.objects.select_related("incident", "claimed_by", "owner").get(pk=case.pk)


def case_claim(*, actor: User, case: MashCase) -> MashCase:
    """Claim one item from its page; one claimed by someone else is a ``Conflict``."""
    with transaction.atomic():
        locked = _lock(case)
        if locked.status != CaseStatus.WAITING:
            if locked.claimed_by_id == actor.pk and locked.status == CaseStatus.IN_PROGRESS:
                return locked
            raise _already_claimed(locked)
        return _claim(actor=actor, locked=locked, how="claimed")


# --- The secondary assessment ---------------------------------------------------------------------


def case_assess(
    *, actor: User, case: MashCase, final_level: str, reason: str = "", notes: str = ""
) -> MashCase:
    """Record the secondary assessment: the MASH level (it may differ from the DASH's, with a
    reason) and what was found. An unclaimed case is claimed by the assessor; one claimed by
    someone else, or already assessed, is a ``Conflict``. A level different from the incident's
    goes on the incident (``incident_set_risk_level``). Stops the queue's clocks."""
    reason, notes = reason.strip(), notes.strip()
    if final_level not in Level.values:
        raise DomainError(_("Choose high, medium or standard."), field="final_level")
    with transaction.atomic():
        locked = _lock(case)
        if locked.status == CaseStatus.ASSESSED:
            raise _already_claimed(locked)
        if locked.status == CaseStatus.IN_PROGRESS and locked.claimed_by_id != actor.pk:
            raise _already_claimed(locked)
        if final_level != locked.dash_level and not reason:
            raise DomainError(
                _("Give the reason the MASH level differs from the DASH's (%(level)s).")
                % {"level": Level(locked.dash_level).label.lower()},
                field="reason",
            )
        if not notes:
            raise DomainError(_("Summarise the secondary assessment."), field="notes")
        if locked.status == CaseStatus.WAITING:
            _claim(actor=actor, locked=locked, how="claimed")
        fields = ["status", "final_level", "level", "priority", "level_reason",
                  "assessment_notes", "assessed_by", "assessed_at"]  # fmt: skip
        before = snapshot(locked, fields)
        locked.status = CaseStatus.ASSESSED
        locked.final_level = final_level
        locked.level = final_level
        locked.priority = rules.priority(final_level)
        locked.level_reason = reason
        locked.assessment_notes = notes
        locked.assessed_by = actor
        locked.assessed_at = timezone.now()
        locked.save()
        record_change(
            actor=actor,
            action="mash.case.assessed",
            subject=locked,
            changes=diff(before, snapshot(locked, fields)),
            reason=reason,
        )
        deadline_cancel(kind=START_DEADLINE, subject=locked)
        deadline_cancel(kind=COMPLETE_DEADLINE, subject=locked)
        if locked.incident.risk_level != final_level:
            incident_set_risk_level(actor=actor, incident=locked.incident, level=final_level)
    return locked


def information_add(
    *, actor: User, case: MashCase, source: str, received_on: date, summary: str
) -> InformationEntry:
    """A dated entry of what one agency knows (append-only). A partner's entry carries their
    agency (they read back only what they wrote)."""
    summary = summary.strip()
    if source not in InformationSource.values:
        raise DomainError(_("Choose the agency."), field="source")
    if not summary:
        raise DomainError(_("Write what the agency told you."), field="summary")
    if received_on > timezone.localdate():
        raise DomainError(_("The date cannot be in the future."), field="received_on")
    with transaction.atomic():
        locked = _lock(case)
        entry = InformationEntry.objects.create(
            case=locked,
            source=source,
            received_on=received_on,
            summary=summary,
            recorded_by=actor,
            agency_id=actor.agency_id if actor.is_partner else None,
            recorded_at=timezone.now(),
        )
        record_create(
            actor=actor,
            action="mash.information.added",
            subject=entry,
            fields=["case", "source", "received_on", "summary", "agency"],
        )
    return entry


# --- The safeguarding plan (optimistic locking) -----------------------------------------------


def plan_save(
    *,
    actor: User,
    case: MashCase,
    version: int,
    summary: str,
    actions: Sequence[ActionInput],
) -> MashCase:
    """Save the safeguarding plan: its summary and the whole list of actions (what, owner,
    agency, due date). ``version`` is the plan version the user started from: if someone saved
    it since, nothing is written and a ``Conflict`` says who and when (the page keeps what was
    typed). Each save moves the version on."""
    rows = [a for a in actions if a.description.strip() or a.owner_name.strip() or a.due_on]
    for i, action in enumerate(rows):
        if not action.description.strip():
            raise DomainError(_("Say what the action is."), field=f"actions-{i}-description")
        if not action.owner_name.strip():
            raise DomainError(_("Name who owns the action."), field=f"actions-{i}-owner_name")
        if action.owner_agency not in InformationSource.values:
            raise DomainError(_("Choose the owner's agency."), field=f"actions-{i}-owner_agency")
        if action.due_on is None:
            raise DomainError(_("Give the date it is due."), field=f"actions-{i}-due_on")
    with transaction.atomic():
        locked = _lock(case)
        if locked.plan_version != version:
            raise Conflict(
                _(
                    "%(who)s saved this plan at %(when)s, after you opened it. Your changes "
                    "are not saved: they are below, with the plan as it is now."
                )
                % {"who": locked.plan_updated_by, "when": _when(locked.plan_updated_at or now())},
                code="plan_changed",
            )
        before_actions = [_action_text(a) for a in locked.actions.all()]
        before = snapshot(locked, ["plan_summary", "plan_version"])
        locked.actions.all().delete()
        PlanAction.objects.bulk_create(
            PlanAction(
                case=locked,
                position=i,
                description=a.description.strip(),
                owner_name=a.owner_name.strip(),
                owner_agency=a.owner_agency,
                due_on=a.due_on,  # type: ignore[misc]  # checked above: never None here
                done=a.done,
            )
            for i, a in enumerate(rows)
        )
        locked.plan_summary = summary.strip()
        locked.plan_version = version + 1
        locked.plan_updated_by = actor
        locked.plan_updated_at = timezone.now()
        locked.save(
            update_fields=["plan_summary", "plan_version", "plan_updated_by", "plan_updated_at",
                           "updated_at"]
        )  # fmt: skip
        changes = diff(before, snapshot(locked, ["plan_summary", "plan_version"]))
        after_actions = [_action_text(a) for a in rows]
        if after_actions != before_actions:
            changes["actions"] = [before_actions, after_actions]
        record_change(actor=actor, action="mash.plan.saved", subject=locked, changes=changes)
    return locked


def now() -> datetime:
    return timezone.now()


def _action_text(a: Any) -> str:
    due = a.due_on.isoformat() if a.due_on else ""
    return f"{a.description.strip()} | {a.owner_name.strip()} ({a.owner_agency}) | {due}" + (
        " | done" if a.done else ""
    )


# --- Referrals ------------------------------------------------------------------------------------


def referral_make(
    *,
    actor: User,
    case: MashCase,
    kind: str,
    agency: Agency | None = None,
    due_at: datetime | None = None,
    notes: str = "",
) -> Referral:
    """Make a referral from a case, due by the rule (``rules.referral_due``: the sanctuary
    survey within 48 hours). A second open referral of the same kind is a ``Conflict``. A MARAC
    referral sends ``mash.signals.marac_referral_made`` on commit."""
    if kind not in ReferralKind.values:
        raise DomainError(_("Choose who the referral is to."), field="kind")
    expected = REFERRAL_AGENCY_KIND.get(ReferralKind(kind))
    if agency is not None and agency.kind != expected:
        raise DomainError(_("That agency does not take this kind of referral."), field="agency")
    made_at = timezone.now()
    if due_at is not None and due_at < made_at:
        raise DomainError(_("The due date cannot be in the past."), field="due_at")
    with transaction.atomic():
        locked = _lock(case)
        if Referral.objects.filter(
            case=locked, kind=kind, status__in=[ReferralStatus.MADE, ReferralStatus.ACCEPTED]
        ).exists():
            raise Conflict(
                _("A %(kind)s referral is already open for this case.")
                % {"kind": ReferralKind(kind).label},
                field="kind",
            )
        try:
            with transaction.atomic():
                referral = Referral.objects.create(
                    case=locked,
                    kind=kind,
                    agency=agency,
                    made_by=actor,
                    made_at=made_at,
                    due_at=rules.referral_due(kind=kind, made_at=made_at, asked=due_at),
                    notes=notes.strip(),
                )
        except IntegrityError:
            raise Conflict(_("This referral was made a moment ago.")) from None
        record_create(
            actor=actor,
            action="mash.referral.made",
            subject=referral,
            fields=["case", "kind", "agency", "status", "due_at"],
        )
        deadline_set(kind=REFERRAL_DEADLINE, subject=referral, due_at=referral.due_at)
        if kind == ReferralKind.MARAC:
            payload = {
                "referral_id": referral.pk,
                "case_id": locked.pk,
                "assessment_id": locked.assessment_id,
                "incident_id": locked.incident_id,
                "victim_id": locked.victim_id,
                "made_at": made_at,
                "made_by_id": actor.pk,
            }
            transaction.on_commit(lambda: signals.marac_referral_made.send(Referral, **payload))
    return referral


#: Which answers each status may be given.
_NEXT = {
    ReferralStatus.MADE: {
        ReferralStatus.ACCEPTED,
        ReferralStatus.DECLINED,
        ReferralStatus.COMPLETED,
    },
    ReferralStatus.ACCEPTED: {ReferralStatus.COMPLETED, ReferralStatus.DECLINED},
}


def referral_respond(*, actor: User, referral: Referral, status: str, note: str = "") -> Referral:
    """The agency's answer: accepted, declined (with a reason) or completed. A referral already
    closed, or answered differently meanwhile, is a ``Conflict``."""
    note = note.strip()
    if status not in (ReferralStatus.ACCEPTED, ReferralStatus.DECLINED, ReferralStatus.COMPLETED):
        raise DomainError(_("Choose accepted, declined or completed."), field="status")
    if status == ReferralStatus.DECLINED and not note:
        raise DomainError(_("Say why the referral is declined."), field="note")
    with transaction.atomic():
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        allowed = _NEXT.get(ReferralStatus(locked.status), set())
        if status not in allowed:
            raise Conflict(
                _("This referral is already %(status)s.")
                % {"status": ReferralStatus(locked.status).label.lower()},
                code="referral_closed",
            )
        fields = ["status", "response_note", "responded_by", "responded_at"]
        before = snapshot(locked, fields)
        locked.status = status
        locked.response_note = note
        locked.responded_by = actor
        locked.responded_at = timezone.now()
        locked.save(update_fields=[*fields, "updated_at"])
        record_change(
            actor=actor,
            action="mash.referral.answered",
            subject=locked,
            changes=diff(before, snapshot(locked, fields)),
            reason=note,
        )
        if status in (ReferralStatus.DECLINED, ReferralStatus.COMPLETED):
            deadline_cancel(kind=REFERRAL_DEADLINE, subject=locked)
    return locked


# --- Operation Encompass --------------------------------------------------------------------------


def notice_send(
    *,
    actor: User,
    notice: EncompassNotice,
    child_name: str,
    school: str,
    present: bool,
    welfare_check: bool,
) -> EncompassNotice:
    """Record the notice to the child's school as sent: the child, the school, whether present,
    whether a welfare check was done (the date and time of the incident are on the notice)."""
    child_name, school = child_name.strip(), school.strip()
    if not child_name:
        raise DomainError(_("Name the child."), field="child_name")
    if not school:
        raise DomainError(_("Name the child's school."), field="school")
    with transaction.atomic():
        locked = EncompassNotice.objects.select_for_update().get(pk=notice.pk)
        if locked.status == NoticeStatus.SENT:
            raise Conflict(
                _("%(who)s recorded this notice as sent at %(when)s.")
                % {"who": locked.sent_by, "when": _when(locked.sent_at or now())}
            )
        fields = ["status", "child_name", "school", "present", "welfare_check", "sent_by",
                  "sent_at"]  # fmt: skip
        before = snapshot(locked, fields)
        locked.child_name = child_name
        locked.school = school
        locked.present = present
        locked.welfare_check = welfare_check
        locked.status = NoticeStatus.SENT
        locked.sent_by = actor
        locked.sent_at = timezone.now()
        locked.save()
        record_change(
            actor=actor,
            action="mash.encompass.sent",
            subject=locked,
            changes=diff(before, snapshot(locked, fields)),
        )
        deadline_cancel(kind=ENCOMPASS_DEADLINE, subject=locked)
    return locked


# --- Ownership of safeguarding --------------------------------------------------------------------


def _offer_fields() -> list[str]:
    return ["offer_to", "offer_to_team", "offer_by", "offer_at", "offer_note"]


def _clear_offer(locked: MashCase) -> None:
    locked.offer_to = None
    locked.offer_to_team = ""
    locked.offer_by = None
    locked.offer_at = None
    locked.offer_note = ""


def ownership_offer(*, actor: User, case: MashCase, to: User, note: str = "") -> MashCase:
    """Offer the ownership of safeguarding to a named police officer; it stays with the owner
    until they accept. One offer at a time."""
    if not (to.is_active and to.is_police and access.check(to, "mash.case.view")):
        raise DomainError(_("Offer it to a police officer who can work MASH cases."), field="to")
    with transaction.atomic():
        locked = _lock(case)
        if locked.owner_id == to.pk:
            raise DomainError(_("They already own safeguarding of this case."), field="to")
        if locked.offer_at is not None:
            raise Conflict(
                _("A handover is already on offer: it must be accepted or withdrawn first."),
                code="offer_pending",
            )
        before = snapshot(locked, _offer_fields())
        locked.offer_to = to
        locked.offer_by = actor
        locked.offer_at = timezone.now()
        locked.offer_note = note.strip()
        locked.save(update_fields=[*_offer_fields(), "updated_at"])
        record_change(
            actor=actor,
            action="mash.ownership.offered",
            subject=locked,
            changes=diff(before, snapshot(locked, _offer_fields())),
            reason=locked.offer_note,
        )
    return locked


def ownership_withdraw(*, actor: User, case: MashCase, reason: str = "") -> MashCase:
    """Withdraw (or, by its recipient, decline) a handover on offer; the owner stays."""
    with transaction.atomic():
        locked = _lock(case)
        if locked.offer_at is None:
            raise Conflict(_("No handover is on offer."), code="no_offer")
        if locked.offer_to_team:
            raise DomainError(_("A handover to a team stays on offer until it is accepted."))
        action = "declined" if locked.offer_to_id == actor.pk else "withdrawn"
        before = snapshot(locked, _offer_fields())
        _clear_offer(locked)
        locked.save(update_fields=[*_offer_fields(), "updated_at"])
        record_change(
            actor=actor,
            action=f"mash.ownership.{action}",
            subject=locked,
            changes=diff(before, snapshot(locked, _offer_fields())),
            reason=reason.strip(),
        )
    return locked


def ownership_accept(*, actor: User, case: MashCase) -> MashCase:
    """Accept the handover on offer: in one transaction the owner's period closes and the new
    owner's opens, so there is never a moment with no owner or two (the database refuses
    both). Of two people accepting a team offer at once, the second is told who took it."""
    with transaction.atomic():
        locked = _lock(case)
        if locked.offer_at is None:
            raise Conflict(
                _("No handover is on offer: %(who)s owns safeguarding since %(when)s.")
                % {"who": locked.owner, "when": _when(locked.owner_since)},
                code="no_offer",
            )
        # The offer decides who may accept: checked here, under the lock, as well as by the view.
        access.require(actor, "mash.ownership.accept", locked)
        if locked.owner_id == actor.pk:
            raise DomainError(_("You already own safeguarding of this case."))
        now_ = timezone.now()
        offered_by, note = locked.offer_by_id, locked.offer_note
        closed = OwnershipPeriod.objects.filter(case=locked, ended_at__isnull=True).update(
            ended_at=now_
        )
        if closed != 1:
            raise Conflict(_("The ownership of this case changed; reload the page."))
        OwnershipPeriod.objects.create(
            case=locked,
            owner=actor,
            started_at=now_,
            how=OwnershipEvent.ACCEPTED,
            offered_by_id=offered_by,
            note=note,
        )
        fields = ["owner", "owner_since", *_offer_fields()]
        before = snapshot(locked, fields)
        locked.owner = actor
        locked.owner_since = now_
        _clear_offer(locked)
        locked.save(update_fields=[*fields, "updated_at"])
        record_change(
            actor=actor,
            action="mash.ownership.accepted",
            subject=locked,
            changes=diff(before, snapshot(locked, fields)),
        )
    return locked


# --- Single point of contact and contacts -----------------------------------------------------


def contact_plan_save(*, actor: User, person: Person, data: ContactPlanInput) -> ContactPlan:
    """Name the victim's single point of contact and record the safe-contact instructions.
    The code word's value is never written to the audit trail (only that it changed)."""
    spoc = None
    if data.spoc_id is not None:
        spoc = User.objects.filter(pk=data.spoc_id, is_active=True).first()
        if spoc is None or not (spoc.is_police or spoc.is_partner):
            raise DomainError(_("Choose an active member of staff."), field="spoc")
    if (data.safe_from is None) != (data.safe_until is None):
        raise DomainError(_("Give both ends of the safe times, or neither."), field="safe_from")
    if data.safe_from is not None and data.safe_from == data.safe_until:
        # A window that ends when it starts is never open: no message could ever be sent.
        raise DomainError(
            _("The safe times cannot start and end at the same time."), field="safe_until"
        )
    with transaction.atomic():
        plan, created = ContactPlan.objects.select_for_update().get_or_create(person=person)
        before = snapshot(plan, CONTACT_PLAN_FIELDS)
        plan.spoc = spoc
        for name in CONTACT_PLAN_FIELDS[1:]:
            value = getattr(data, name)
            setattr(plan, name, value.strip() if isinstance(value, str) else value)
        plan.save()
        changes = diff(before, snapshot(plan, CONTACT_PLAN_FIELDS))
        if "code_word" in changes:
            changes["code_word"] = [bool(before["code_word"]), bool(plan.code_word)]
        if changes:
            record_change(
                actor=actor, action="mash.contact_plan.saved", subject=plan, changes=changes
            )
    return plan


def contact_log(
    *,
    actor: User,
    person: Person,
    channel: str,
    outcome: str,
    notes: str = "",
    at: datetime | None = None,
    seen_up_to: int | None = None,
    case: MashCase | None = None,
) -> Contact:
    """Log one contact with a victim. Refused: a voicemail when the victim's instructions say
    "no voicemail"; a time in the future. ``seen_up_to`` is the latest contact the user was
    shown: a contact by someone else logged since (within the recent window) is a
    ``Conflict`` naming it, so nobody contacts the victim twice without knowing."""
    now_ = timezone.now()
    at = at or now_
    if channel not in ContactChannel.values:
        raise DomainError(_("Choose how you made contact."), field="channel")
    if outcome not in ContactOutcome.values:
        raise DomainError(_("Choose the outcome."), field="outcome")
    if at > now_:
        raise DomainError(_("The time of the contact cannot be in the future."), field="at")
    with transaction.atomic():
        plan = ContactPlan.objects.select_for_update().filter(person=person).first()
        if plan is not None and plan.no_voicemail and outcome == ContactOutcome.VOICEMAIL:
            raise DomainError(
                _("The victim's instructions say no voicemail: a message must not be left."),
                field="outcome",
            )
        if seen_up_to is not None:
            newer = selectors.contacts_by_others_since(
                person_id=person.pk, user=actor, after_id=seen_up_to, now=now_
            )
            if newer:
                first = newer[0]
                raise Conflict(
                    _(
                        "%(who)s logged a contact with the victim at %(when)s (%(channel)s: "
                        "%(outcome)s) while you were typing. Check it before contacting again; "
                        "nothing of yours was saved."
                    )
                    % {
                        "who": first.made_by,
                        "when": _when(first.at),
                        "channel": first.get_channel_display().lower(),
                        "outcome": first.get_outcome_display().lower(),
                    },
                    code="recent_contact",
                )
        contact = Contact.objects.create(
            person=person,
            case=case,
            made_by=actor,
            agency_id=actor.agency_id,
            at=at,
            channel=channel,
            outcome=outcome,
            notes=notes.strip(),
        )
        record_create(
            actor=actor,
            action="mash.contact.logged",
            subject=contact,
            fields=["person", "case", "at", "channel", "outcome"],
        )
    return contact


def welfare_deadlines_refresh() -> int:
    """The periodic sweep of repeat victims who stopped calling: set (or move) each one's
    welfare deadline to the configured months after their last incident or contact. Setting
    the same moment again changes nothing; a new silence after a fired one re-arms it (a new
    follow-up). The alerts sweep raises them. Returns how many victims are watched."""
    due = selectors.silent_victims_due()
    people = Person.objects.in_bulk([pid for pid, _ in due])
    for pid, due_at in due:
        with transaction.atomic():
            deadline_set(kind=SILENT_VICTIM_DEADLINE, subject=people[pid], due_at=due_at)
    return len(due)
