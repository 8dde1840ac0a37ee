"""The audit trail's filter form (a GET form; nothing personal is filtered on)."""

from __future__ import annotations

from typing import Any

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout
from django import forms
from django.utils.translation import gettext_lazy as _


class AuditFilterForm(forms.Form):
    action = forms.CharField(
        label=_("Action starts with"),
        help_text=_("For example, incidents.person"),
        max_length=100,
        required=False,
    )
    subject_type = forms.CharField(
        label=_("Record type"),
        help_text=_("For example, incidents.incident"),
        max_length=100,
        required=False,
    )
    subject_id = forms.CharField(
        label=_("Record id"), help_text=_("Needs a record type"), max_length=64, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Field.text("action", field_width=20),
            Field.text("subject_type", field_width=20),
            Field.text("subject_id", field_width=10),
        )

    def filters(self) -> dict[str, str]:
        """The cleaned filters; an invalid form (too long) filters on nothing."""
        if not self.is_valid():
            return {name: "" for name in self.fields}
        return {name: self.cleaned_data[name].strip() for name in self.fields}
