"""Scoring, bands, the level rules, supplements and the questionnaire data."""

from __future__ import annotations

import pytest

from risk import rules
from risk.choices import Level
from risk.models import Instrument
from tests.risk.conftest import counting_keys


@pytest.mark.parametrize(
    ("score", "level"),
    [(0, "standard"), (9, "standard"), (10, "medium"), (13, "medium"), (14, "high"), (27, "high")],
)
def test_suggested_level_bands_and_their_edges(score, level):
    assert rules.suggested_level(score) == level


def test_bands_are_settings(settings):
    settings.DAPOLICE_DASH_HIGH_MIN = 12
    settings.DAPOLICE_DASH_MEDIUM_MIN = 6
    assert rules.suggested_level(5) == Level.STANDARD
    assert rules.suggested_level(6) == Level.MEDIUM
    assert rules.suggested_level(12) == Level.HIGH


@pytest.mark.django_db
def test_score_counts_yes_on_the_main_checklist_only():
    instrument = Instrument.objects.get(code="dash-2009")
    questions = list(instrument.questions.all())
    answers = {q.key: "yes" for q in questions}  # supplements too
    assert rules.count_yes(questions, answers) == 27
    answers = {q.key: "not_known" for q in questions} | {"injured": "yes", "s_threats": "yes"}
    assert rules.count_yes(questions, answers) == 1


@pytest.mark.django_db
def test_the_questionnaires_are_versioned_data_with_the_right_sizes():
    dash = Instrument.objects.get(code="dash-2009", version="2009.1")
    ric = Instrument.objects.get(code="safelives-ric", version="2009.1")
    assert len(counting_keys(dash)) == 27
    assert dash.sections.filter(supplement="").count() == 4
    assert len(counting_keys(ric)) == 24
    # RIC is the police DASH without questions 10-12 (children and dependants).
    dash_keys = counting_keys(dash)
    assert counting_keys(ric) == dash_keys[:9] + dash_keys[12:]
    for instrument in (dash, ric):
        assert instrument.questions.filter(section__supplement="stalking").count() == 11
        assert instrument.questions.filter(section__supplement="honour").count() == 10
    standalone = set(dash.questions.filter(standalone_high=True).values_list("key", flat=True))
    assert standalone == {"strangulation", "threats_to_kill", "stalking"}


@pytest.mark.parametrize(
    ("score", "level", "rationale", "problem_field"),
    [
        (14, "medium", "She says she feels safe now", "level"),  # never below high at 14
        (20, "standard", "x", "level"),
        (13, "high", "", "rationale"),  # raised without a reason
        (13, "high", "Strangled last week", None),
        (13, "standard", "", "rationale"),  # lowered without a reason
        (13, "medium", "", None),  # as suggested: no reason needed
        (14, "high", "", None),
        (3, "", "", "level"),  # a level is always a person's decision
    ],
)
def test_level_rules(score, level, rationale, problem_field):
    problem = rules.level_problem(score=score, level=level, rationale=rationale)
    assert (problem[0] if problem else None) == problem_field


def test_visible_high_threshold_is_a_setting(settings):
    settings.DAPOLICE_VISIBLE_HIGH_MIN = 16
    assert rules.level_problem(score=15, level="medium", rationale="reason") is None
    assert rules.level_problem(score=16, level="medium", rationale="reason")[0] == "level"


class _Section:
    def __init__(self, supplement, trigger):
        self.supplement = supplement
        self.trigger = trigger


STALKING = _Section("stalking", {"any_yes": ["frightened", "stalking"], "min_incidents": "setting"})
HONOUR = _Section("honour", {"flag": "honour_concern", "relationship": ["family"]})


def _open(section, answers=None, count=1, flags=None, relationship="partner"):
    return rules.supplement_open(
        section, answers or {}, incident_count=count, flags=flags or {}, relationship=relationship
    )


def test_stalking_supplement_opens_when_the_answers_call_for_it():
    assert not _open(STALKING)
    assert _open(STALKING, {"frightened": "yes"})
    assert _open(STALKING, {"stalking": "yes"})
    assert not _open(STALKING, {"stalking": "not_known"})
    assert _open(STALKING, count=2)  # two or more incidents


def test_honour_supplement_opens_on_the_screening_question_or_family_abuse():
    assert not _open(HONOUR)
    assert _open(HONOUR, flags={"honour_concern": True})
    assert _open(HONOUR, relationship="family")


@pytest.mark.django_db
def test_standalone_signs_are_found():
    questions = list(Instrument.objects.get(code="dash-2009").questions.all())
    signs = rules.standalone_signs(questions, {"strangulation": "yes", "injured": "yes"})
    assert [q.key for q in signs] == ["strangulation"]
