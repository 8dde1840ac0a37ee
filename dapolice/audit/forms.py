"""The audit trail's filter form: the base form of ``AuditEventFilter`` (which declares the
fields); this class only lays them out the GOV.UK way."""

from __future__ import annotations

from typing import Any

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout
from django import forms

_WIDTHS = {"action": 20, "subject_type": 20, "subject_id": 10, "actor": 20}


class AuditFilterForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        layout = []
        for name in self.fields:
            if name in _WIDTHS:
                layout.append(Field.text(name, field_width=_WIDTHS[name]))
            elif name == "kind":
                layout.append(Field.select(name))
            else:
                layout.append(Field(name, type="date", css_class="govuk-input--width-10"))
        self.helper.layout = Layout(*layout)
