"""Every write of the MARAC: ``<entity>_<verb>(*, actor, ...)``.

Each service locks what it changes, checks its precondition (``DomainError`` for a refused
change, ``Conflict`` when someone else changed it first), changes, and writes the audit row in
the same transaction. Action clocks (due soon, overdue) and the repeat-MARAC notice are
``Deadline`` rows set and cancelled in that transaction (``action_deadlines_for`` is the one
place that says when). The rules are ``marac.rules``; who may is ``marac.policies``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dapolice.accounts.models import Agency, User
from dapolice.alerts.services import deadline_set, deadlines_cancel, deadlines_set
from dapolice.audit.services import diff, record_change, record_create, snapshot
from dapolice.common.errors import Conflict, DomainError
from incidents.choices import PersonRole
from incidents.models import Incident, IncidentPerson, Person
from marac import rules, selectors
from marac.choices import (
    ACTION_DUE_SOON_DEADLINE,
    ACTION_OVERDUE_DEADLINE,
    OPEN_CASE,
    REASSESS_CHASE_DEADLINE,
    REASSESS_REQUEST_DEADLINE,
    REASSESSED_DEADLINE,
    REPEAT_DEADLINE,
    ActionStatus,
    CaseStatus,
    Criterion,
    MeetingStatus,
    ReportKind,
    RiskOutcome,
    Source,
)
from marac.inputs import HOUSEHOLD_FIELDS, ActionInput, Household
from marac.models import Action, MaracCase, Meeting, Report, Research
from mash.models import Referral as MashReferral
from risk.choices import Level

CASE_FIELDS = [
    "victim", "incident", "source", "referring_agency", "referred_at", "criteria", "is_repeat",
    "previous", "level_before", *HOUSEHOLD_FIELDS,
]  # fmt: skip

# --- Referrals onto the list ---------------------------------------------------------------------


def _clean_criteria(criteria: Sequence[str]) -> list[str]:
    unknown = [c for c in criteria if c not in Criterion.values]
    if unknown:
        raise DomainError(_("Choose the criteria from the list."), field="criteria")
    return [c for c in Criterion.values if c in set(criteria)]


def case_refer(
    *,
    actor: User,
    victim: Person,
    criteria: Sequence[str],
    reason: str = "",
    incident: Incident | None = None,
    source: str | None = None,
    household: Household | None = None,
    mash_referral: MashReferral | None = None,
    referred_at: datetime | None = None,
) -> MaracCase:
    """Put a victim on the MARAC list. A partner's referral carries their agency; the police's
    (MASH, coordinator) none. "Repeat MARAC" is worked out here: the referral is within
    ``DAPOLICE_MARAC_REPEAT_MONTHS`` of the victim's previous MARAC referral."""
    household = household or Household()
    reason = reason.strip()
    criteria = _clean_criteria(criteria)
    if source is None:
        source = Source.PARTNER if actor.is_partner else Source.COORDINATOR
    if source in (Source.PARTNER, Source.COORDINATOR) and not criteria:
        raise DomainError(_("Choose at least one criterion that holds."), field="criteria")
    if source in (Source.PARTNER, Source.COORDINATOR) and not reason:
        raise DomainError(_("Say why the victim is referred."), field="reason")
    if household.children_count < 0 or household.children_count > 30:
        raise DomainError(_("Give the number of children (0 to 30)."), field="children_count")
    at = referred_at or timezone.now()
    with transaction.atomic():
        # One referral of a victim at a time: lock the victim's row while deciding "repeat".
        Person.objects.select_for_update().filter(pk=victim.pk).values_list("pk").get()
        previous = selectors.last_case_of(victim.pk, before=at)
        repeat = previous is not None and rules.is_repeat(
            incident_at=at, last_referral_at=previous.referred_at
        )
        if repeat and Criterion.REPEAT_MARAC not in criteria:
            criteria = _clean_criteria([*criteria, Criterion.REPEAT_MARAC])
        case = MaracCase(
            victim=victim,
            incident=incident,
            mash_referral=mash_referral,
            source=source,
            referring_agency_id=actor.agency_id if actor.is_partner else None,
            referred_by=actor,
            referred_at=at,
            criteria=criteria,
            reason=reason,
            is_repeat=repeat,
            previous=previous,
            level_before=(incident.risk_level or "") if incident is not None else "",
        )
        for name in HOUSEHOLD_FIELDS:
            setattr(case, name, getattr(household, name))
        case.save()
        record_create(actor=actor, action="marac.case.referred", subject=case, fields=CASE_FIELDS)
    return case


def case_from_mash_referral(*, actor: User, referral_id: int) -> MaracCase:
    """Take a MASH MARAC referral onto the list (``mash.signals.marac_referral_made``). Safe to
    call twice: one case per MASH referral. The criteria are those the DASH's review found."""
    existing = MaracCase.objects.filter(mash_referral_id=referral_id).first()
    if existing is not None:
        return existing
    referral = MashReferral.objects.select_related(
        "case", "case__assessment", "case__incident", "case__victim"
    ).get(pk=referral_id)
    mash_case = referral.case
    met = [c["code"] for c in (mash_case.assessment.marac_criteria or []) if c.get("met")]
    try:
        with transaction.atomic():
            return case_refer(
                actor=actor,
                victim=mash_case.victim,
                incident=mash_case.incident,
                criteria=met,
                reason=referral.notes,
                source=Source.MASH,
                household=Household(children_count=1 if mash_case.children_present else 0),
                mash_referral=referral,
                referred_at=referral.made_at,
            )
    except IntegrityError:
        return MaracCase.objects.get(mash_referral_id=referral_id)


def case_repeat_from_incident(*, actor: User, incident_id: int) -> list[MaracCase]:
    """A new DA incident: for each victim whose last MARAC referral is within the repeat window
    before it, flag their open MARAC case, or (none open) open a repeat referral; either way
    the coordinator is told (a deadline due at once, so the alert fires exactly once)."""
    incident = Incident.objects.get(pk=incident_id)
    victims = IncidentPerson.objects.filter(incident=incident, role=PersonRole.VICTIM)
    out: list[MaracCase] = []
    for row in victims.select_related("person"):
        last = selectors.last_case_of(row.person_id, before=incident.received_at)
        if last is None or not rules.is_repeat(
            incident_at=incident.received_at, last_referral_at=last.referred_at
        ):
            continue
        open_case = (
            MaracCase.objects.filter(victim_id=row.person_id, status__in=OPEN_CASE)
            .order_by("-referred_at")
            .first()
        )
        if open_case is not None:
            with transaction.atomic():
                locked = MaracCase.objects.select_for_update().get(pk=open_case.pk)
                before = snapshot(locked, ["repeat_flagged_at", "is_repeat"])
                locked.repeat_flagged_at = timezone.now()
                locked.save(update_fields=["repeat_flagged_at", "updated_at"])
                record_change(
                    actor=actor,
                    action="marac.case.repeat_flagged",
                    subject=locked,
                    changes={
                        **diff(before, snapshot(locked, ["repeat_flagged_at", "is_repeat"])),
                        "incident": [None, incident.pk],
                    },
                )
                deadline_set(kind=REPEAT_DEADLINE, subject=locked, due_at=timezone.now())
            out.append(locked)
            continue
        with transaction.atomic():
            case = case_refer(
                actor=actor,
                victim=row.person,
                incident=incident,
                criteria=[Criterion.REPEAT_MARAC],
                reason=_("New incident %(ref)s within %(m)d months of the last MARAC referral.")
                % {"ref": incident.reference or "", "m": rules.repeat_months()},
                source=Source.REPEAT,
                referred_at=max(incident.received_at, timezone.now()),
            )
            deadline_set(kind=REPEAT_DEADLINE, subject=case, due_at=timezone.now())
        out.append(case)
    return out


# --- Meetings and the agenda ---------------------------------------------------------------------


def meeting_schedule(
    *,
    actor: User,
    first_at: datetime,
    count: int = 1,
    every_days: int | None = None,
    cutoff_days: int | None = None,
    venue: str = "",
    invited: Sequence[Agency] = (),
) -> list[Meeting]:
    """Schedule ``count`` meetings from ``first_at`` (fortnightly by default), each with its
    agenda cut-off and the agencies invited."""
    if not 1 <= count <= 26:
        raise DomainError(_("Schedule between 1 and 26 meetings at a time."), field="count")
    if first_at <= timezone.now():
        raise DomainError(_("The first meeting must be in the future."), field="first_at")
    out = []
    with transaction.atomic():
        for held_at in rules.schedule(first_at, count, every_days=every_days):
            meeting = Meeting.objects.create(
                held_at=held_at,
                cutoff_at=rules.default_cutoff(held_at, days=cutoff_days),
                venue=venue.strip(),
                created_by=actor,
            )
            meeting.invited.set(invited)
            record_create(
                actor=actor,
                action="marac.meeting.scheduled",
                subject=meeting,
                fields=["held_at", "cutoff_at", "venue"],
            )
            out.append(meeting)
    return out


def _lock_meeting(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().get(pk=meeting.pk)


def meeting_invite(*, actor: User, meeting: Meeting, agencies: Sequence[Agency]) -> Meeting:
    """Set the agencies invited (whose members then see the meeting's cases)."""
    with transaction.atomic():
        locked = _lock_meeting(meeting)
        before = sorted(locked.invited.values_list("pk", flat=True))
        locked.invited.set(agencies)
        record_change(
            actor=actor,
            action="marac.meeting.invited",
            subject=locked,
            changes={"invited": [before, sorted(a.pk for a in agencies)]},
        )
    return locked


def meeting_record_held(*, actor: User, meeting: Meeting, attended: Sequence[Agency]) -> Meeting:
    """Record the meeting as held, with the agencies that attended (who then read each other's
    research on its cases). Only invited agencies can have attended."""
    with transaction.atomic():
        locked = _lock_meeting(meeting)
        invited = set(locked.invited.values_list("pk", flat=True))
        if any(a.pk not in invited for a in attended):
            raise DomainError(_("Only agencies invited can have attended."), field="attended")
        if timezone.now() < locked.cutoff_at:
            raise DomainError(_("The meeting cannot be held before its agenda's cut-off."))
        before = snapshot(locked, ["status"])
        locked.status = MeetingStatus.HELD
        locked.save(update_fields=["status", "updated_at"])
        locked.attended.set(attended)
        record_change(
            actor=actor,
            action="marac.meeting.held",
            subject=locked,
            changes={
                **diff(before, snapshot(locked, ["status"])),
                "attended": [None, sorted(a.pk for a in attended)],
            },
        )
    return locked


def agenda_build(*, actor: User, meeting: Meeting) -> list[MaracCase]:
    """List on the meeting's agenda the referrals waiting for a meeting that were made by its
    cut-off, oldest first, up to ``DAPOLICE_MARAC_CASES_PER_MEETING`` cases in all; the rest
    wait for the next meeting. Cases already listed keep their places. Returns those added."""
    with transaction.atomic():
        locked = _lock_meeting(meeting)
        if locked.status != MeetingStatus.SCHEDULED:
            raise Conflict(_("This meeting has been held: its agenda is closed."))
        listed = MaracCase.objects.filter(meeting=locked).count()
        waiting = list(
            MaracCase.objects.select_for_update(skip_locked=True)
            .filter(status=CaseStatus.REFERRED, meeting__isnull=True)
            .order_by("referred_at", "pk")
        )
        ids = rules.agenda(
            [rules.Candidate(c.pk, c.referred_at, c.is_repeat) for c in waiting],
            cutoff_at=locked.cutoff_at,
            limit=max(rules.cases_per_meeting() - listed, 0),
        )
        by_pk = {c.pk: c for c in waiting}
        added = []
        for position, pk in enumerate(ids, start=listed + 1):
            case = by_pk[pk]
            case.status = CaseStatus.LISTED
            case.meeting = locked
            case.agenda_position = position
            case.save(update_fields=["status", "meeting", "agenda_position", "updated_at"])
            added.append(case)
        record_change(
            actor=actor,
            action="marac.meeting.agenda_built",
            subject=locked,
            changes={"cases": [listed, listed + len(added)], "added": [None, ids]},
        )
    return added


# --- Research and the action plan ----------------------------------------------------------------


def research_add(*, actor: User, case: MaracCase, known_on: date, summary: str) -> Research:
    """What the actor's agency knows about the case (the police's when the coordinator writes
    it), dated; append-only."""
    summary = summary.strip()
    if not summary:
        raise DomainError(_("Write what your agency knows."), field="summary")
    if known_on > timezone.localdate():
        raise DomainError(_("The date cannot be in the future."), field="known_on")
    with transaction.atomic():
        locked = MaracCase.objects.select_for_update().get(pk=case.pk)
        if locked.status == CaseStatus.CLOSED:
            raise Conflict(_("This case is closed."))
        entry = Research.objects.create(
            case=locked,
            agency_id=actor.agency_id if actor.is_partner else None,
            known_on=known_on,
            summary=summary,
            recorded_by=actor,
            recorded_at=timezone.now(),
        )
        record_create(
            actor=actor,
            action="marac.research.added",
            subject=entry,
            fields=["case", "agency", "known_on", "summary"],
        )
    return entry


def case_discuss(*, actor: User, case: MaracCase, discussion: str) -> MaracCase:
    """Record the meeting's discussion of a listed case."""
    discussion = discussion.strip()
    if not discussion:
        raise DomainError(_("Record what the meeting discussed."), field="discussion")
    with transaction.atomic():
        locked = MaracCase.objects.select_for_update().get(pk=case.pk)
        if locked.status not in (CaseStatus.LISTED, CaseStatus.DISCUSSED):
            raise Conflict(_("Only a case on a meeting's agenda can be discussed."))
        fields = ["status", "discussion", "discussed_at"]
        before = snapshot(locked, fields)
        locked.status = CaseStatus.DISCUSSED
        locked.discussion = discussion
        locked.discussed_at = locked.discussed_at or timezone.now()
        locked.save(update_fields=[*fields, "updated_at"])
        record_change(
            actor=actor,
            action="marac.case.discussed",
            subject=locked,
            changes=diff(before, snapshot(locked, fields)),
        )
    return locked


def action_deadlines_for(action: Action) -> list[tuple[str, datetime]]:
    """THE place that says when an action's alerts are due: (deadline kind, due at) for
    "due soon" (its agency) and "overdue" (its agency and the coordinator). An action done has
    none. ``action_clocks_set`` writes them as ``Deadline`` rows."""
    if action.status == ActionStatus.DONE:
        return []
    return [
        (ACTION_DUE_SOON_DEADLINE, rules.due_soon_at(action.due_on)),
        (ACTION_OVERDUE_DEADLINE, rules.overdue_at(action.due_on)),
    ]


def action_clocks_set(action: Action) -> None:
    """Set (or, for an action done, cancel) the action's deadlines with the alerts app's
    ``deadlines_set``; in the caller's transaction."""
    due: dict[str, datetime | None] = dict.fromkeys(
        (ACTION_DUE_SOON_DEADLINE, ACTION_OVERDUE_DEADLINE)
    )
    due.update(action_deadlines_for(action))
    deadlines_set(subject=action, due=due)


def action_add(*, actor: User, case: MaracCase, data: ActionInput) -> Action:
    """Add an action to the case's action plan: the responsible agency, a named owner where
    known, a due date and what "done" means. Listing it makes the case "discussed"."""
    description, done_means = data.description.strip(), data.done_means.strip()
    if not description:
        raise DomainError(_("Say what the action is."), field="description")
    if not done_means:
        raise DomainError(_('Say what "done" means for this action.'), field="done_means")
    if data.due_on < timezone.localdate():
        raise DomainError(_("The due date cannot be in the past."), field="due_on")
    agency = Agency.objects.filter(pk=data.agency_id).first()
    if agency is None:
        raise DomainError(_("Choose the responsible agency."), field="agency")
    with transaction.atomic():
        locked = MaracCase.objects.select_for_update().get(pk=case.pk)
        if locked.status not in (CaseStatus.LISTED, CaseStatus.DISCUSSED):
            raise Conflict(_("Actions are agreed for a case on a meeting's agenda."))
        action = Action.objects.create(
            case=locked,
            agency=agency,
            owner_name=data.owner_name.strip(),
            description=description,
            done_means=done_means,
            due_on=data.due_on,
            created_by=actor,
        )
        record_create(
            actor=actor,
            action="marac.action.added",
            subject=action,
            fields=["case", "agency", "owner_name", "description", "done_means", "due_on"],
        )
        if locked.status == CaseStatus.LISTED:
            locked.status = CaseStatus.DISCUSSED
            locked.discussed_at = timezone.now()
            locked.save(update_fields=["status", "discussed_at", "updated_at"])
            record_change(
                actor=actor,
                action="marac.case.discussed",
                subject=locked,
                changes={"status": [CaseStatus.LISTED, CaseStatus.DISCUSSED]},
            )
        action_clocks_set(action)
    return action


def action_report(*, actor: User, action: Action, kind: str, note: str) -> Action:
    """Report back on an action: an update (it stays open) or done. An action already done is
    a ``Conflict`` naming when."""
    note = note.strip()
    if kind not in ReportKind.values:
        raise DomainError(_("Choose done or an update."), field="kind")
    if not note:
        raise DomainError(
            _("Say what was done.") if kind == ReportKind.DONE else _("Give the update."),
            field="note",
        )
    with transaction.atomic():
        locked = Action.objects.select_for_update().get(pk=action.pk)
        if locked.status == ActionStatus.DONE:
            raise Conflict(
                _("This action was already reported done."),
                code="action_done",
            )
        now = timezone.now()
        Report.objects.create(
            action=locked,
            kind=kind,
            note=note,
            by=actor,
            agency_id=actor.agency_id if actor.is_partner else None,
            at=now,
        )
        fields = ["status", "reported_at", "last_report", "done_at"]
        before = snapshot(locked, fields)
        locked.reported_at = now
        locked.last_report = note
        if kind == ReportKind.DONE:
            locked.status = ActionStatus.DONE
            locked.done_at = now
        locked.save(update_fields=[*fields, "updated_at"])
        record_change(
            actor=actor,
            action=f"marac.action.{'done' if kind == ReportKind.DONE else 'updated'}",
            subject=locked,
            changes=diff(before, snapshot(locked, fields)),
        )
        action_clocks_set(locked)
    return locked


REQUEST_FIELDS = [
    "reassessment_requested_at", "reassessment_requested_by", "reassessment_requested_from",
]  # fmt: skip


def case_request_reassessment(*, actor: User, case: MaracCase) -> MaracCase:
    """Ask for the victim's risk to be re-assessed (a new DASH through ``risk``'s services) once
    every action of a discussed case is reported back on. The coordinator cannot start a DASH
    (risk lets only an officer attached to the incident do that), so the request goes as an
    alert to the officer who wrote the victim's latest reviewed DASH, else their SPOC, else the
    MASH team (a ``Deadline`` due now), and the coordinator is alerted if no DASH has been
    reviewed ``DAPOLICE_MARAC_REASSESS_DAYS`` later. Asking again while waiting is a
    ``Conflict``; once a DASH has come, asking again asks for a newer one."""
    with transaction.atomic():
        locked = MaracCase.objects.select_for_update().get(pk=case.pk)
        if locked.status == CaseStatus.CLOSED:
            raise Conflict(_("This case is already closed."))
        if locked.status != CaseStatus.DISCUSSED:
            raise DomainError(_("The re-assessment is asked for after the meeting's actions."))
        unreported = Action.objects.filter(case=locked, reported_at__isnull=True).count()
        if unreported:
            raise DomainError(
                _("%(n)d action(s) not yet reported back on: the risk is re-assessed after them.")
                % {"n": unreported},
                code="unreported_actions",
            )
        if locked.reassessment_requested_at is not None and locked.reassessment_id is None:
            raise Conflict(
                _("A re-assessment was already asked for on %(d)s: it has not come yet.")
                % {"d": timezone.localtime(locked.reassessment_requested_at).strftime("%d %b %Y")},
                code="reassessment_requested",
            )
        now = timezone.now()
        before = snapshot(locked, [*REQUEST_FIELDS, "reassessment"])
        locked.reassessment_requested_at = now
        locked.reassessment_requested_by = actor
        locked.reassessment_requested_from_id = selectors.reassessor_of(locked).user_id
        locked.reassessment = None
        locked.save(update_fields=[*REQUEST_FIELDS, "reassessment", "updated_at"])
        record_change(
            actor=actor,
            action="marac.case.reassessment_requested",
            subject=locked,
            changes=diff(before, snapshot(locked, [*REQUEST_FIELDS, "reassessment"])),
        )
        deadlines_set(
            subject=locked,
            due={
                REASSESS_REQUEST_DEADLINE: now,
                REASSESS_CHASE_DEADLINE: rules.reassess_chase_at(now),
                REASSESSED_DEADLINE: None,
            },
        )
    return locked


def case_reassessment_link(*, actor: User, assessment_id: int) -> list[MaracCase]:
    """A DASH was reviewed (``risk.signals.assessment_reviewed``): it is the re-assessment of
    every discussed case of its victim whose coordinator asked for one before the review. The
    case links it, the chase stops, and the coordinator is told. Safe to call twice."""
    from risk.models import Assessment

    assessment = Assessment.objects.filter(pk=assessment_id).first()
    if assessment is None or assessment.reviewed_at is None:
        return []
    linked = []
    with transaction.atomic():
        cases = MaracCase.objects.select_for_update().filter(
            victim_id=assessment.victim_id,
            status=CaseStatus.DISCUSSED,
            reassessment_requested_at__lte=assessment.reviewed_at,
        )
        for case in cases.exclude(reassessment=assessment).order_by("pk"):
            before = snapshot(case, ["reassessment"])
            case.reassessment = assessment
            case.save(update_fields=["reassessment", "updated_at"])
            record_change(
                actor=actor,
                action="marac.case.reassessed",
                subject=case,
                changes=diff(before, snapshot(case, ["reassessment"])),
            )
            deadlines_cancel(
                subject=case, kinds=[REASSESS_REQUEST_DEADLINE, REASSESS_CHASE_DEADLINE]
            )
            deadline_set(kind=REASSESSED_DEADLINE, subject=case, due_at=timezone.now())
            linked.append(case)
    return linked


def case_close(
    *, actor: User, case: MaracCase, level_after: str, outcome: str, note: str = ""
) -> MaracCase:
    """Close a discussed case: refused while any action is unreported (never reported back
    on). The victim's risk re-assessed after the actions and whether they reduced it are
    recorded (HMIC recommendation 10). When the victim has a DASH reviewed after the meeting
    (after the coordinator's request, once asked: ``case_request_reassessment``), it is linked,
    and the level recorded must be its level. The level before the meeting is recorded beside
    it (``selectors.level_before_meeting``); an outcome other than what the two levels say
    (``rules.risk_change``) needs a reason in the note."""
    if level_after not in Level.values:
        raise DomainError(_("Give the re-assessed risk level."), field="level_after")
    if outcome not in RiskOutcome.values:
        raise DomainError(_("Say whether the actions reduced the risk."), field="outcome")
    with transaction.atomic():
        locked = MaracCase.objects.select_for_update().get(pk=case.pk)
        if locked.status == CaseStatus.CLOSED:
            raise Conflict(_("This case is already closed."))
        if locked.status != CaseStatus.DISCUSSED:
            raise DomainError(_("A case is closed after the meeting has discussed it."))
        unreported = Action.objects.filter(case=locked, reported_at__isnull=True).count()
        if unreported:
            raise DomainError(
                _("%(n)d action(s) not yet reported back on: chase the agencies first.")
                % {"n": unreported},
                code="unreported_actions",
            )
        reassessment = selectors.reassessment_after(locked)
        if reassessment is not None and reassessment.final_level != level_after:
            raise DomainError(
                _("The victim's DASH reviewed after the meeting is %(level)s: record that level.")
                % {"level": Level(reassessment.final_level).label.lower()},
                field="level_after",
            )
        level_before = selectors.level_before_meeting(locked)
        levels_say = rules.risk_change(level_before, level_after)
        if rules.outcome_needs_reason(outcome=outcome, levels_say=levels_say) and not note.strip():
            raise DomainError(
                _(
                    "The levels before the meeting and after the actions say %(say)s: say why "
                    "the outcome is different."
                )
                % {"say": RiskOutcome(levels_say).label.lower()},
                field="note",
            )
        fields = ["status", "level_before", "level_after", "reassessment", "outcome",
                  "outcome_note", "closed_at", "closed_by"]  # fmt: skip
        before = snapshot(locked, fields)
        locked.level_before = level_before
        locked.status = CaseStatus.CLOSED
        locked.reassessment = reassessment
        locked.level_after = level_after
        locked.outcome = outcome
        locked.outcome_note = note.strip()
        locked.closed_at = timezone.now()
        locked.closed_by = actor
        locked.save(update_fields=[*fields, "updated_at"])
        record_change(
            actor=actor,
            action="marac.case.closed",
            subject=locked,
            changes=diff(before, snapshot(locked, fields)),
        )
        deadlines_cancel(
            subject=locked,
            kinds=[REASSESS_REQUEST_DEADLINE, REASSESS_CHASE_DEADLINE, REASSESSED_DEADLINE],
        )
    return locked
