"""The DASH rules as pure functions, at their edges and in the words they give (no database).

Written against the survivors of ``make mutate MODULE=risk/rules.py``: each test pins a rule of
the DASH or the MARAC referral criteria that a mutant broke without any other test noticing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from risk import rules
from risk.choices import Level

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


@dataclass
class Q:
    """A DASH question as the rules read it."""

    key: str
    number: str = "1"
    text: str = "Question"
    section_id: int = 1
    counts: bool = True
    standalone_high: bool = False


def _criteria(**kwargs):
    args = {
        "score": 3,
        "level": Level.STANDARD,
        "incident_at": NOW,
        "victim_incident_times": [NOW],
        "last_referral_at": None,
    } | kwargs
    return {c.code: c for c in rules.marac_criteria(**args)}


# --- Scoring and levels ------------------------------------------------------------------------


def test_score_counts_only_yes_on_counting_questions():
    questions = [Q("a"), Q("b"), Q("c", counts=False), Q("d")]
    answers = {"a": "yes", "b": "no", "c": "yes", "d": "not_known"}
    assert rules.count_yes(questions, answers) == 1
    assert rules.count_yes(questions, {}) == 0


def test_standalone_signs_need_a_yes():
    questions = [
        Q("strangulation", standalone_high=True),
        Q("injured"),
        Q("stalking", standalone_high=True),
    ]
    answers = {"strangulation": "no", "injured": "yes", "stalking": "yes"}
    assert [q.key for q in rules.standalone_signs(questions, answers)] == ["stalking"]


@pytest.mark.parametrize(("score", "visible"), [(13, False), (14, True), (27, True), (0, False)])
def test_visible_high_risk_is_fourteen_or_more(score, visible):
    assert rules.is_visible_high(score) is visible


def test_the_level_messages_say_why():
    assert rules.level_problem(score=3, level="", rationale="") == (
        "level",
        "Choose the risk level: high, medium or standard.",
    )
    assert rules.level_problem(score=15, level="medium", rationale="she feels safe") == (
        "level",
        "15 \u201cyes\u201d answers is visible high risk: professional judgement can raise a "
        "level but never lower this one below high.",
    )
    assert rules.level_problem(score=11, level="high", rationale="  ") == (
        "rationale",
        "Explain your professional judgement: the level you chose differs from the medium "
        "level the answers suggest.",
    )


@pytest.mark.parametrize(
    ("score", "level", "raised"),
    [
        (3, "medium", True),
        (3, "high", True),
        (3, "standard", False),
        (11, "medium", False),
        (11, "standard", False),
        (11, "high", True),
        (14, "high", False),
        (3, "", False),
    ],
)
def test_a_level_above_the_suggestion_is_raised(score, level, raised):
    assert rules.is_raised(score=score, level=level) is raised


# --- Supplements -------------------------------------------------------------------------------


@dataclass
class Section:
    supplement: str
    trigger: dict | None


def test_the_main_checklist_is_always_open_and_a_supplement_without_trigger_never():
    assert rules.supplement_open(Section("", None), {}, incident_count=0, flags={}, relationship="")
    assert not rules.supplement_open(
        Section("stalking", None), {}, incident_count=99, flags={"x": True}, relationship="family"
    )


def test_stalking_opens_at_the_configured_number_of_incidents(settings):
    section = Section("stalking", {"min_incidents": "setting"})
    settings.DAPOLICE_DASH_STALKING_MIN_INCIDENTS = 3

    def is_open(count):
        return rules.supplement_open(
            section, {}, incident_count=count, flags={}, relationship="partner"
        )

    assert not is_open(2)
    assert is_open(3)
    fixed = Section("stalking", {"min_incidents": 4})
    assert not rules.supplement_open(fixed, {}, incident_count=3, flags={}, relationship="")
    assert rules.supplement_open(fixed, {}, incident_count=4, flags={}, relationship="")


def test_the_honour_flag_must_be_set_not_just_present():
    section = Section("honour", {"flag": "honour_concern"})
    assert not rules.supplement_open(
        section, {}, incident_count=0, flags={"honour_concern": False}, relationship=""
    )
    assert not rules.supplement_open(
        section, {}, incident_count=0, flags={"other": True}, relationship=""
    )


def test_trigger_reasons_in_words(settings):
    settings.DAPOLICE_DASH_STALKING_MIN_INCIDENTS = 2
    stalking = Section(
        "stalking", {"any_yes": ["frightened"], "label": "1 or 16", "min_incidents": "setting"}
    )
    assert rules.trigger_reason(stalking, incident_count=1) == (
        "Shown because of: a \u201cyes\u201d to question(s) 1 or 16; or 2 or more incidents "
        "in 12 months (this victim: 1)."
    )
    honour = Section("honour", {"flag": "honour_concern", "relationship": ["family"]})
    assert rules.trigger_reason(honour, incident_count=0) == (
        "Shown because of: signs of so-called honour-based abuse; or abuse by a family member."
    )
    fixed = Section("stalking", {"min_incidents": 5})
    assert rules.trigger_reason(fixed, incident_count=2) == (
        "Shown because of: 5 or more incidents in 12 months (this victim: 2)."
    )
    assert rules.trigger_reason(Section("", None), incident_count=3) == ""


# --- What is missing before submission ---------------------------------------------------------


def _missing(answers=None, values=None, score=0, open_sections=frozenset({1})):
    questions = [
        Q("injured", number="1", text="Injured?", section_id=1),
        Q("frightened", number="S1", text="Frightened?", section_id=2),
    ]
    complete = {
        "children_present": "no",
        "safety_plan": "Plan",
        "officer_level": "standard",
        "officer_rationale": "",
    }
    return [
        (m.field, m.message, m.radios, m.anchor)
        for m in rules.missing_items(
            questions=questions,
            open_sections=set(open_sections),
            answers=answers if answers is not None else {"injured": "no"},
            values=complete | (values or {}),
            score=score,
        )
    ]


def test_a_complete_dash_misses_nothing():
    assert _missing() == []
    assert _missing(values={"children_present": "not_known"}) == []
    assert _missing(values={"children_present": "yes", "children_details": "A, 4, Elm"}) == []


def test_each_missing_item_names_its_field_and_what_to_do():
    assert _missing(answers={"injured": ""}) == [
        ("q_injured", "Answer question 1: Injured?", True, "id_q_injured_1")
    ]
    # A question of a closed supplement is not asked; of an open one it is.
    assert _missing(open_sections={1, 2}) == [
        ("q_frightened", "Answer question S1: Frightened?", True, "id_q_frightened_1")
    ]
    assert _missing(values={"children_present": ""}) == [
        ("children_present", "Say whether children were present.", True, "id_children_present_1")
    ]
    assert _missing(values={"children_present": "yes", "children_details": "  "}) == [
        (
            "children_details",
            "Give the children's names, ages and schools.",
            False,
            "id_children_details",
        )
    ]
    assert _missing(values={"safety_plan": " "}) == [
        ("safety_plan", "Record the safety plan made before leaving.", False, "id_safety_plan")
    ]
    assert _missing(values={"officer_level": ""})[0][:3] == (
        "officer_level",
        "Choose the risk level: high, medium or standard.",
        True,
    )
    assert _missing(values={"officer_level": "high"}) == [
        (
            "officer_rationale",
            "Explain your professional judgement: the level you chose differs from the standard "
            "level the answers suggest.",
            False,
            "id_officer_rationale",
        )
    ]
    # With the reason written, a level other than the suggestion is complete.
    assert _missing(values={"officer_level": "high", "officer_rationale": "Strangled"}) == []


def test_children_details_are_asked_for_only_when_children_were_present():
    assert _missing(values={"children_present": "no", "children_details": ""}) == []
    assert _missing(values={"children_present": "yes"})[0][0] == "children_details"


# --- MARAC referral criteria -------------------------------------------------------------------


def test_visible_high_risk_criterion_and_its_reason():
    below = _criteria(score=13)["visible_high"]
    assert (below.met, below.reason) == (
        False,
        "13 \u201cyes\u201d answers: below the 14 of visible high risk.",
    )
    at = _criteria(score=14, level="high")["visible_high"]
    assert (at.met, at.reason) == (
        True,
        "14 \u201cyes\u201d answers: at or above the 14 of visible high risk.",
    )
    assert at.label == "Visible high risk"
    assert at.as_dict() == {"code": "visible_high", "met": True, "reason": at.reason}


def test_professional_judgement_criterion_and_its_reason():
    judged = _criteria(score=9, level="high")["professional_judgement"]
    assert (judged.met, judged.reason) == (
        True,
        "Assessed high by professional judgement with 9 \u201cyes\u201d answers.",
    )
    counted = _criteria(score=14, level="high")["professional_judgement"]
    assert (counted.met, counted.reason) == (
        False,
        "High because of the count, not by judgement alone.",
    )
    medium = _criteria(score=11, level="medium")["professional_judgement"]
    assert (medium.met, medium.reason) == (False, "The reviewed level is medium, not high.")
    assert _criteria(level="")["professional_judgement"].reason == (
        "The reviewed level is -, not high."
    )


def test_potential_escalation_counts_incidents_in_the_window_up_to_the_assessed_one():
    year_before = datetime(2025, 11, 23, 14, 0, tzinfo=UTC)
    times = [
        year_before - timedelta(seconds=1),  # outside
        year_before,  # the window's first moment: inside
        NOW - timedelta(days=3),
        NOW,
        NOW + timedelta(seconds=1),  # after the assessed incident: not counted
    ]
    met = _criteria(victim_incident_times=times)["potential_escalation"]
    assert met.met is True
    assert met.reason == (
        "3 DA incidents with this victim in the 12 months to 23 Nov 2026 (3 or more is "
        "potential escalation)."
    )
    one = _criteria(victim_incident_times=[NOW])["potential_escalation"]
    assert one.met is False
    assert one.reason == (
        "1 DA incident with this victim in the 12 months to 23 Nov 2026 (3 or more is "
        "potential escalation)."
    )
    two = _criteria(victim_incident_times=times[1:3])["potential_escalation"]
    assert two.met is False


def test_repeat_marac_criterion_and_its_reasons():
    none = _criteria()["repeat_marac"]
    assert (none.met, none.reason) == (False, "No MARAC referral on record for this victim.")
    last = datetime(2025, 11, 23, 14, 0, tzinfo=UTC)
    repeat = _criteria(last_referral_at=last)["repeat_marac"]
    assert (repeat.met, repeat.reason) == (
        True,
        "Last MARAC referral on 23 Nov 2025; this incident is within 12 months of it.",
    )
    new = _criteria(last_referral_at=last - timedelta(seconds=1))["repeat_marac"]
    assert (new.met, new.reason) == (
        False,
        "Last MARAC referral on 23 Nov 2025; this incident is more than 12 months after it, "
        "so it is a new referral.",
    )
    # A referral at the moment of the incident counts; one after it does not.
    assert _criteria(last_referral_at=NOW)["repeat_marac"].met is True
    later = NOW + timedelta(seconds=1)
    assert _criteria(last_referral_at=later)["repeat_marac"].met is False


def test_marac_criteria_read_their_numbers_from_settings(settings):
    hundred_days = _criteria(last_referral_at=NOW - timedelta(days=100))["repeat_marac"]
    assert hundred_days.met is True  # within the default 12 months
    settings.DAPOLICE_VISIBLE_HIGH_MIN = 16
    settings.DAPOLICE_MARAC_ESCALATION_INCIDENTS = 2
    settings.DAPOLICE_MARAC_ESCALATION_MONTHS = 6
    settings.DAPOLICE_MARAC_REPEAT_MONTHS = 3
    criteria = _criteria(
        score=15,
        level="high",
        victim_incident_times=[NOW - timedelta(days=100), NOW],
        last_referral_at=NOW - timedelta(days=80),
    )
    assert criteria["visible_high"].met is False
    assert criteria["visible_high"].reason.endswith("below the 16 of visible high risk.")
    assert criteria["professional_judgement"].met is True
    assert criteria["potential_escalation"].met is True
    assert "in the 6 months" in criteria["potential_escalation"].reason
    assert "(2 or more" in criteria["potential_escalation"].reason
    assert criteria["repeat_marac"].met is True
    assert "within 3 months" in criteria["repeat_marac"].reason
    assert _criteria(last_referral_at=NOW - timedelta(days=100))["repeat_marac"].met is False


def test_dates_in_the_reasons_are_short_in_every_language():
    from django.utils import translation

    with translation.override("cy"):
        criteria = _criteria(last_referral_at=datetime(2025, 12, 1, 9, 0, tzinfo=UTC))
    assert "23 Tach 2026" in criteria["potential_escalation"].reason
    assert "1 Rhag 2025" in criteria["repeat_marac"].reason


def test_a_dash_with_nothing_filled_in_misses_everything_in_page_order():
    missing = rules.missing_items(
        questions=[Q("injured", section_id=1)],
        open_sections={1},
        answers={},
        values={},
        score=0,
    )
    assert [m.field for m in missing] == [
        "q_injured",
        "children_present",
        "safety_plan",
        "officer_level",
    ]
    with_children = rules.missing_items(
        questions=[],
        open_sections=set(),
        answers={},
        values={"children_present": "yes", "officer_level": "medium"},
        score=0,
    )
    assert [m.field for m in with_children] == [
        "children_details",
        "safety_plan",
        "officer_rationale",
    ]
