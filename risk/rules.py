"""The DASH rules as pure functions (no database, no writes): scoring, the suggested level, the
stand-alone high-risk signs, when a supplement opens, what is missing before submission, the
level rules, and the MARAC referral criteria.

Services (every write) and selectors (every read) both use them, so the page, the API and the
review apply one set of rules. Thresholds come from settings (README, "Configuration").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from incidents.selectors import months_before
from risk.choices import ANSWERED, LEVEL_RANK, Answer, Criterion, Level, Supplement

# --- Scoring ------------------------------------------------------------------------------------


def count_yes(questions: Iterable[Any], answers: Mapping[str, str]) -> int:
    """The score: "yes" answers to questions of the main checklist (supplements do not count)."""
    return sum(1 for q in questions if q.counts and answers.get(q.key) == Answer.YES)


def suggested_level(score: int) -> str:
    """The level the count suggests, from the configured bands (defaults 14 high, 10 medium)."""
    if score >= settings.DAPOLICE_DASH_HIGH_MIN:
        return Level.HIGH
    if score >= settings.DAPOLICE_DASH_MEDIUM_MIN:
        return Level.MEDIUM
    return Level.STANDARD


def is_visible_high(score: int) -> bool:
    """SafeLives' visible high risk (default 14 or more "yes")."""
    return score >= settings.DAPOLICE_VISIBLE_HIGH_MIN


def standalone_signs(questions: Iterable[Any], answers: Mapping[str, str]) -> list[Any]:
    """Questions answered "yes" that are stand-alone signs of high risk (strangulation, threats
    to kill, stalking): the officer is prompted to consider high whatever the count."""
    return [q for q in questions if q.standalone_high and answers.get(q.key) == Answer.YES]


def level_problem(*, score: int, level: str, rationale: str) -> tuple[str, str] | None:
    """Why ``level`` cannot be the decision for a DASH with ``score`` yes answers, or None.

    Returns ``(field, message)``. A level is always a person's decision; it may differ from the
    suggestion only with a written reason, and a visible-high-risk DASH is never lowered below
    high, by the officer or by a supervisor.
    """
    if level not in Level.values:
        return "level", _("Choose the risk level: high, medium or standard.")
    if is_visible_high(score) and level != Level.HIGH:
        return "level", _(
            "%(n)d \u201cyes\u201d answers is visible high risk: professional judgement can "
            "raise a level but never lower this one below high."
        ) % {"n": score}
    if level != suggested_level(score) and not rationale.strip():
        return "rationale", _(
            "Explain your professional judgement: the level you chose differs from the "
            "%(suggested)s level the answers suggest."
        ) % {"suggested": Level(suggested_level(score)).label.lower()}
    return None


def is_raised(*, score: int, level: str) -> bool:
    return bool(level) and LEVEL_RANK[Level(level)] > LEVEL_RANK[Level(suggested_level(score))]


# --- Supplements --------------------------------------------------------------------------------


def supplement_open(
    section: Any,
    answers: Mapping[str, str],
    *,
    incident_count: int,
    flags: Mapping[str, bool],
    relationship: str,
) -> bool:
    """Whether a section is shown: always for the main checklist; for a supplement, when any of
    its trigger conditions holds (``Section.trigger``)."""
    if section.supplement == Supplement.MAIN:
        return True
    trigger = section.trigger or {}
    if any(answers.get(key) == Answer.YES for key in trigger.get("any_yes", ())):
        return True
    minimum = trigger.get("min_incidents")
    if minimum == "setting":
        minimum = settings.DAPOLICE_DASH_STALKING_MIN_INCIDENTS
    if minimum and incident_count >= int(minimum):
        return True
    if trigger.get("flag") and flags.get(trigger["flag"]):
        return True
    return relationship in trigger.get("relationship", ())


def trigger_reason(section: Any, *, incident_count: int) -> str:
    """Why a supplement may open, in words (shown above it)."""
    trigger = section.trigger or {}
    parts = []
    if trigger.get("any_yes"):
        parts.append(_("a \u201cyes\u201d to question(s) %(q)s") % {"q": trigger.get("label", "")})
    minimum = trigger.get("min_incidents")
    if minimum:
        minimum = settings.DAPOLICE_DASH_STALKING_MIN_INCIDENTS if minimum == "setting" else minimum
        parts.append(
            _("%(n)d or more incidents in 12 months (this victim: %(c)d)")
            % {"n": int(minimum), "c": incident_count}
        )
    if trigger.get("flag"):
        parts.append(_("signs of so-called honour-based abuse"))
    if trigger.get("relationship"):
        parts.append(_("abuse by a family member"))
    return _("Shown because of: %(why)s.") % {"why": _("; or ").join(parts)} if parts else ""


# --- What is missing before submission ----------------------------------------------------------


@dataclass(frozen=True)
class Missing:
    """One thing to do before a DASH can be submitted: the form field and what to do."""

    field: str
    message: str
    #: The field is a group of radios: the page links to its first one (GOV.UK convention).
    radios: bool = False

    @property
    def anchor(self) -> str:
        return f"id_{self.field}_1" if self.radios else f"id_{self.field}"


def missing_items(
    *,
    questions: Sequence[Any],
    open_sections: set[int],
    answers: Mapping[str, str],
    values: Mapping[str, Any],
    score: int,
) -> list[Missing]:
    """Everything that stops submission, in page order: unanswered questions (main checklist,
    and any supplement that is open), the children question, the safety plan, the level and,
    when the level differs from the suggestion, the rationale."""
    out: list[Missing] = []
    for q in questions:
        if q.section_id in open_sections and answers.get(q.key) not in ANSWERED:
            out.append(
                Missing(
                    f"q_{q.key}",
                    _("Answer question %(n)s: %(text)s") % {"n": q.number, "text": q.text},
                    radios=True,
                )
            )
    if values.get("children_present") not in ("yes", "no", "not_known"):
        out.append(
            Missing("children_present", _("Say whether children were present."), radios=True)
        )
    elif values.get("children_present") == "yes" and not values.get("children_details", "").strip():
        out.append(Missing("children_details", _("Give the children's names, ages and schools.")))
    if not values.get("safety_plan", "").strip():
        out.append(Missing("safety_plan", _("Record the safety plan made before leaving.")))
    problem = level_problem(
        score=score,
        level=values.get("officer_level", ""),
        rationale=values.get("officer_rationale", ""),
    )
    if problem is not None:
        field, message = problem
        if field == "level":
            out.append(Missing("officer_level", message, radios=True))
        else:
            out.append(Missing("officer_rationale", message))
    return out


# --- MARAC referral criteria --------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionResult:
    code: str
    met: bool
    reason: str

    @property
    def label(self) -> str:
        return str(Criterion(self.code).label)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "met": self.met, "reason": self.reason}


def _when(moment: datetime) -> str:
    return date_format(localtime(moment), "j M Y")


def marac_criteria(
    *,
    score: int,
    level: str,
    incident_at: datetime,
    victim_incident_times: Sequence[datetime],
    last_referral_at: datetime | None,
) -> list[CriterionResult]:
    """The four SafeLives criteria for a reviewed DASH, each with its reason in words.

    * visible high risk: ``DAPOLICE_VISIBLE_HIGH_MIN`` (14) or more "yes";
    * professional judgement: the reviewed level is high although the count is not visible
      high risk;
    * potential escalation: ``DAPOLICE_MARAC_ESCALATION_INCIDENTS`` (3) or more DA incidents
      with this victim within ``DAPOLICE_MARAC_ESCALATION_MONTHS`` (12) up to the assessed
      incident, that one included (the window includes its first moment);
    * repeat MARAC: the assessed incident is within ``DAPOLICE_MARAC_REPEAT_MONTHS`` (12) after
      the victim's last MARAC referral (at exactly 12 months still repeat; after, a new referral).
    """
    visible = is_visible_high(score)
    results = [
        CriterionResult(
            Criterion.VISIBLE_HIGH,
            visible,
            _("%(n)d \u201cyes\u201d answers: %(cmp)s the %(t)d of visible high risk.")
            % {
                "n": score,
                "cmp": _("at or above") if visible else _("below"),
                "t": settings.DAPOLICE_VISIBLE_HIGH_MIN,
            },
        )
    ]
    judged_high = level == Level.HIGH and not visible
    if judged_high:
        reason = _("Assessed high by professional judgement with %(n)d \u201cyes\u201d answers.")
    elif level == Level.HIGH:
        reason = _("High because of the count, not by judgement alone.")
    else:
        reason = _("The reviewed level is %(level)s, not high.")
    results.append(
        CriterionResult(
            Criterion.PROFESSIONAL_JUDGEMENT,
            judged_high,
            reason % {"n": score, "level": Level(level).label.lower() if level else "-"},
        )
    )
    months = settings.DAPOLICE_MARAC_ESCALATION_MONTHS
    needed = settings.DAPOLICE_MARAC_ESCALATION_INCIDENTS
    since = months_before(incident_at, months)
    count = sum(1 for t in victim_incident_times if since <= t <= incident_at)
    results.append(
        CriterionResult(
            Criterion.POTENTIAL_ESCALATION,
            count >= needed,
            ngettext(
                "%(c)d DA incident with this victim in the %(m)d months to %(d)s (%(n)d or "
                "more is potential escalation).",
                "%(c)d DA incidents with this victim in the %(m)d months to %(d)s (%(n)d or "
                "more is potential escalation).",
                count,
            )
            % {"c": count, "m": months, "d": _when(incident_at), "n": needed},
        )
    )
    repeat_months = settings.DAPOLICE_MARAC_REPEAT_MONTHS
    if last_referral_at is None:
        repeat, reason = False, _("No MARAC referral on record for this victim.")
    else:
        until = months_before(last_referral_at, -repeat_months)
        repeat = last_referral_at <= incident_at <= until
        reason = (
            _("Last MARAC referral on %(d)s; this incident is within %(m)d months of it.")
            if repeat
            else _(
                "Last MARAC referral on %(d)s; this incident is more than %(m)d months after "
                "it, so it is a new referral."
            )
        ) % {"d": _when(last_referral_at), "m": repeat_months}
    results.append(CriterionResult(Criterion.REPEAT_MARAC, repeat, reason))
    return results


def reassess_at(level: str, reviewed_at: datetime) -> datetime | None:
    """When a victim's re-assessment is due after a reviewed DASH: medium risk after
    ``DAPOLICE_REASSESS_MEDIUM_DAYS`` (HMIC recommendation 7); other levels none (``None``
    cancels one a previous medium DASH set: high goes to MARAC, standard needs none)."""
    if level != Level.MEDIUM:
        return None
    return reviewed_at + timedelta(days=settings.DAPOLICE_REASSESS_MEDIUM_DAYS)


def reassess_next(due_at: datetime, now: datetime) -> datetime:
    """The next round of a medium-risk re-assessment that fell due at ``due_at``: every
    ``DAPOLICE_REASSESS_MEDIUM_DAYS`` after the last assessment, the first such moment after
    ``now`` (rounds missed while the sweep was down are not raised one by one)."""
    step = timedelta(days=settings.DAPOLICE_REASSESS_MEDIUM_DAYS)
    nxt = due_at + step
    if nxt <= now:
        nxt += step * ((now - nxt) // step + 1)
    return nxt
