"""What every app's pages do with a form that came back: the GOV.UK error summary and a
service's ``DomainError`` put beside its field."""

from __future__ import annotations

from typing import Any

from django.forms import CheckboxSelectMultiple, RadioSelect

from dapolice.common.errors import DomainError


def error_summary(*forms: Any) -> list[tuple[str, str]]:
    """(message, #anchor) for the GOV.UK error summary, in page order; a radio or checkbox group
    links to its first input, an error of the whole form to the main content."""
    out: list[tuple[str, str]] = []
    for form in forms:
        if form is None or not form.is_bound:
            continue
        for name, errors in form.errors.items():
            if name == "__all__":
                anchor = "#main-content"
            elif isinstance(form.fields[name].widget, RadioSelect | CheckboxSelectMultiple):
                anchor = f"#{form[name].id_for_label}_1"
            else:
                anchor = f"#{form[name].id_for_label}"
            out.extend((str(e), anchor) for e in errors)
    return out


def put_error(form: Any, exc: DomainError) -> None:
    """A service's refusal beside the field it names (or above the form)."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
