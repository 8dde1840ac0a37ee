"""The analyst's promotion form (issue 14)."""

from __future__ import annotations

from typing import Any

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout
from django import forms
from django.utils.translation import gettext_lazy as _


class PromotionForm(forms.Form):
    reason = forms.CharField(
        label=_("Why promote this model?"),
        help_text=_("Kept in the audit trail with both models' figures."),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(Field.textarea("reason"))
