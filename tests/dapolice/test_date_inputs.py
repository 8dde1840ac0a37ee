"""Every date and time in the app is asked the same way (issue 8 item 8): the GOV.UK date input
(day, month, year) and a time on the 24-hour clock, as "Dispatched at" / "Arrived at" are.

``dapolice.common.forms``: ``GovukDateField``, ``GovukTimeField`` and ``DateTimeInputsMixin``;
each app's forms use them (their view tests show an invalid date coming back with what was
typed). Here: the rules of the fields themselves, and that no form is left with a browser
date picker (``datetime-local`` / ``type="date"``, which showed mm/dd/yyyy).
"""

from __future__ import annotations

import inspect
from datetime import UTC, date, datetime, time

import pytest
from django import forms
from django.utils import timezone

import incidents.forms
import marac.forms
import mash.forms
import risk.forms
from dapolice.common.forms import (
    DateTimeInputsMixin,
    GovukDateField,
    GovukTimeField,
    govuk_datetime_fields,
)
from tests import dates


class WhenForm(DateTimeInputsMixin, forms.Form):
    datetime_inputs = ("at",)
    at, at_time = govuk_datetime_fields("Seen at")


class RequiredForm(DateTimeInputsMixin, forms.Form):
    datetime_inputs = ("starts_at",)
    starts_at, starts_at_time = govuk_datetime_fields(
        "From", required=True, error_messages={"required": "Enter the day the shift starts"}
    )


def _errors(form: forms.Form) -> dict[str, list[str]]:
    assert not form.is_valid()
    return {name: [str(e) for e in errs] for name, errs in form.errors.items()}


def test_a_date_and_a_time_make_one_london_datetime():
    winter = WhenForm(dates.typed("at", "23 11 2026", "18:30"))
    summer = WhenForm(dates.typed("at", "1 7 2027", "0930"))
    assert winter.is_valid()
    assert summer.is_valid()
    assert winter.cleaned_data["at"] == datetime(2026, 11, 23, 18, 30, tzinfo=UTC)
    assert summer.cleaned_data["at"] == datetime(2027, 7, 1, 8, 30, tzinfo=UTC)  # BST


def test_an_optional_question_left_empty_is_none():
    form = WhenForm(dates.typed("at", "", ""))
    assert form.is_valid()
    assert form.cleaned_data["at"] is None


@pytest.mark.parametrize(
    ("day", "at", "field", "message"),
    [
        ("31 2 2026", "10:00", "at", "Seen at must be a real date."),
        ("3 2026", "10:00", "at", "Seen at: enter the day, month and year."),
        ("1 1 26", "10:00", "at", "Seen at must be a real date."),
        ("", "10:00", "at", "Seen at: enter the day, month and year, or leave the time empty."),
        ("3 2 2026", "", "at_time", "Seen at: enter the time on the 24-hour clock, like 18:30."),
        ("3 2 2026", "7pm", "at_time", "Seen at: enter the time on the 24-hour clock, like 18:30."),
        (
            "3 2 2026",
            "24:00",
            "at_time",
            "Seen at: enter the time on the 24-hour clock, like 18:30.",
        ),
        ("29 3 2026", "01:30", "at_time", "Seen at: the clocks change at that time"),  # skipped
        ("25 10 2026", "01:30", "at_time", "Seen at: the clocks change at that time"),  # twice
    ],
)
def test_each_mistake_is_named_on_the_box_to_correct(day, at, field, message):
    errors = _errors(WhenForm(dates.typed("at", day, at)))
    assert list(errors) == [field]
    assert errors[field][0].startswith(message)


def test_a_required_question_says_so_in_its_own_words():
    assert _errors(RequiredForm({})) == {"starts_at": ["Enter the day the shift starts"]}


def test_a_typed_value_comes_back_as_typed():
    form = WhenForm(dates.typed("at", "31 2 2026", "7pm"))
    assert not form.is_valid()
    html = str(form["at"]) + str(form["at_time"])
    for value in ('value="31"', 'value="2"', 'value="2026"', 'value="7pm"'):
        assert value in html


def test_an_initial_datetime_shows_as_its_local_date_and_time():
    form = WhenForm(initial={"at": datetime(2027, 7, 1, 8, 30, tzinfo=UTC)})
    html = str(form["at"]) + str(form["at_time"])
    for value in ('value="1"', 'value="7"', 'value="2027"'):
        assert value in html
    assert 'value="09:30"' in html


def test_the_fields_alone():
    assert GovukDateField(label="Due by").clean(["27", "3", "2026"]) == date(2026, 3, 27)
    assert GovukDateField(label="Due by").clean(["", "", ""]) is None
    with pytest.raises(forms.ValidationError, match="Due by: enter the day, month and year"):
        GovukDateField(label="Due by", required=True).clean(["", "", ""])
    assert GovukTimeField().clean("7.05") == time(7, 5)
    assert GovukTimeField().clean(" ") is None


def test_no_form_in_the_app_offers_a_browser_date_picker():
    """``datetime-local`` showed mm/dd/yyyy next to a hint saying 2026-11-23 18:30."""
    for module in (incidents.forms, mash.forms, marac.forms, risk.forms):
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, forms.BaseForm) or cls.__module__ != module.__name__:
                continue
            for field_name, field in cls.base_fields.items():
                where = f"{module.__name__}.{name}.{field_name}"
                assert not isinstance(field, forms.DateField | forms.DateTimeField), where
                assert field.widget.attrs.get("type") not in ("date", "datetime-local"), where


def test_timezone_is_london():
    assert str(timezone.get_current_timezone()) == "Europe/London"


def test_the_error_summary_links_to_the_day_box_and_the_first_radio():
    from dapolice.common.forms import error_summary

    class Both(WhenForm):
        pick = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect)

    form = Both(dates.typed("at", "31 2 2026", "10:00", prefix="x"), prefix="x")
    assert not form.is_valid()
    anchors = dict((a, m) for m, a in error_summary(form))
    assert set(anchors) == {"#id_x-at_0", "#id_x-pick_1"}
