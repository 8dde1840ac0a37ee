"""What every app's pages do with a form that came back: the GOV.UK error summary and a
service's ``DomainError`` put beside its field; and the one way every form asks for a date or a
date and time (issue 8): the GOV.UK date input (day, month, year) and a 24-hour time.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from crispy_forms_gds.fields import DateInputField
from django import forms
from django.forms import CheckboxSelectMultiple, MultiWidget, RadioSelect
from django.forms.utils import from_current_timezone
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dapolice.common.errors import DomainError

TIME_HELP = gettext_lazy("24-hour clock, for example 18:30")
DATE_HELP = gettext_lazy("For example 27 3 2026")
_TIME_RE = re.compile(r"^([01]?\d|2[0-3])[:.]?([0-5]\d)$")


class GovukDateField(DateInputField):
    """The GOV.UK date input: day, month and year boxes cleaned to a ``date`` (None when all
    three are empty and the field is optional). What was typed is kept on a re-render; the
    messages name the field (its label) unless ``error_messages`` gives ``required``,
    ``incomplete`` or ``invalid``."""

    def __init__(self, **kwargs: Any):
        messages = kwargs.pop("error_messages", {})
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", DATE_HELP)
        kwargs["require_all_fields"] = False
        super().__init__(**kwargs)
        self.custom_messages = dict(messages)

    def _message(self, key: str) -> str:
        if key in self.custom_messages:
            return str(self.custom_messages[key])
        label = str(self.label or _("Date"))
        if key == "invalid":
            return _("%(label)s must be a real date.") % {"label": label}
        return _("%(label)s: enter the day, month and year.") % {"label": label}

    def clean(self, value: Any) -> date | None:
        if not value or not any(value):
            if self.required:
                raise forms.ValidationError(self._message("required"), code="required")
            return None
        if not all(value):
            raise forms.ValidationError(self._message("incomplete"), code="incomplete")
        try:
            day, month, year = (int(v) for v in value)
            if year < 1000:
                raise ValueError(year)
            return date(year, month, day)
        except (TypeError, ValueError):
            raise forms.ValidationError(self._message("invalid"), code="invalid") from None


class GovukTimeField(forms.CharField):
    """A time on the 24-hour clock ("18:30", "1830", "18.30"), cleaned to a ``time``. ``of``:
    the question it belongs to, named in its message."""

    def __init__(self, *, of: Any = "", **kwargs: Any):
        self.of = of
        kwargs.setdefault("label", gettext_lazy("Time"))
        kwargs.setdefault("help_text", TIME_HELP)
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 5)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> time | None:
        text = (super().clean(value) or "").strip()
        if not text:
            return None
        matched = _TIME_RE.match(text)
        if matched is None:
            message = _("Enter the time on the 24-hour clock, like 18:30.")
            if self.of:
                message = _("%(label)s: enter the time on the 24-hour clock, like 18:30.") % {
                    "label": str(self.of)
                }
            raise forms.ValidationError(message, code="invalid")
        return time(int(matched[1]), int(matched[2]))


def govuk_datetime_fields(
    label: Any, *, required: bool = False, help_text: Any = None, time_help: Any = None,
    time_label: Any = None, error_messages: dict[str, Any] | None = None,
) -> tuple[GovukDateField, GovukTimeField]:  # fmt: skip
    """The date input ``<name>`` and the time ``<name>_time`` of one date-and-time question, for
    a form with ``DateTimeInputsMixin`` listing ``<name>`` in ``datetime_inputs``."""
    date_field = GovukDateField(
        label=label,
        required=required,
        help_text=help_text or DATE_HELP,
        error_messages=error_messages or {},
    )
    time_field = GovukTimeField(
        label=time_label or gettext_lazy("Time"), help_text=time_help or TIME_HELP, of=label
    )
    return date_field, time_field


class DateTimeInputsMixin:
    """Date-and-time questions asked as a GOV.UK date input ``<name>`` and a 24-hour time
    ``<name>_time`` (the "Dispatched at" / "Arrived at" pattern). After ``clean``,
    ``cleaned_data[name]`` is one aware datetime in the current time zone, or None when both are
    empty and the question is optional; a date without a time, or a time without a date, is an
    error on the empty one. An initial ``datetime`` shows as its local date and HH:MM."""

    datetime_inputs: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        form: Any = self
        for name in self.datetime_inputs:
            value = form.initial.get(name, form.fields[name].initial)
            if isinstance(value, datetime):
                local = timezone.localtime(value) if timezone.is_aware(value) else value
                form.initial[name] = local.date()
                form.initial.setdefault(f"{name}_time", local.strftime("%H:%M"))

    def clean(self) -> dict[str, Any]:
        form: Any = self
        data: dict[str, Any] = super().clean() or {}  # type: ignore[misc]
        for name in self.datetime_inputs:
            time_name = f"{name}_time"
            if name in form.errors or time_name in form.errors:
                continue
            day, at = data.get(name), data.get(time_name)
            label = str(form.fields[name].label)
            if day is None and at is None:
                data[name] = None
            elif day is None:
                form.add_error(
                    name,
                    _("%(label)s: enter the day, month and year, or leave the time empty.")
                    % {"label": label},
                )
            elif at is None:
                form.add_error(
                    time_name,
                    _("%(label)s: enter the time on the 24-hour clock, like 18:30.")
                    % {"label": label},
                )
            else:
                try:  # refuses a time the clocks skip or pass twice, as Django's field does
                    data[name] = from_current_timezone(datetime.combine(day, at))
                except forms.ValidationError:
                    form.add_error(
                        time_name,
                        _(
                            "%(label)s: the clocks change at that time; enter a time an hour "
                            "earlier or later."
                        )
                        % {"label": label},
                    )
        return data


def error_summary(*forms: Any) -> list[tuple[str, str]]:
    """(message, #anchor) for the GOV.UK error summary, in page order; a radio or checkbox group
    links to its first input, an error of the whole form to the main content."""
    out: list[tuple[str, str]] = []
    for form in forms:
        if form is None or not form.is_bound:
            continue
        for name, errors in form.errors.items():
            out.extend((str(e), field_anchor(form, name)) for e in errors)
    return out


def field_anchor(form: Any, name: str) -> str:
    """Where the summary's link for an error of ``name`` goes: the field, the first radio or
    checkbox of a group, the day box of a date input; the main content for the whole form."""
    if name == "__all__":
        return "#main-content"
    widget = form.fields[name].widget
    if isinstance(widget, RadioSelect | CheckboxSelectMultiple):
        return f"#{form[name].auto_id}_1"  # crispy-forms-gds numbers the choices from 1
    if isinstance(widget, MultiWidget):
        return f"#{form[name].auto_id}_0"
    return "#" + (form[name].id_for_label or f"id_{form.add_prefix(name)}")


def put_error(form: Any, exc: DomainError) -> None:
    """A service's refusal beside the field it names (or above the form)."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
