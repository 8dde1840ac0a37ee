"""The approvers' decision form and the password form of a reset link."""

from __future__ import annotations

from typing import Any

from crispy_forms_gds.choices import Choice
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size, Submit
from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.utils.translation import gettext_lazy as _


class RoleRequestDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[Choice("approve", _("Approve")), Choice("refuse", _("Refuse"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose approve or refuse.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        help_text=_("Needed when you refuse."),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.radios("decision", legend_size=Size.SMALL, inline=True),
            Field.textarea("reason", rows=2),
            Submit("submit", _("Record decision")),
        )

    @property
    def approve(self) -> bool:
        return bool(self.cleaned_data["decision"] == "approve")


class ResetSetPasswordForm(SetPasswordForm):
    """Django's form (its validators), laid out the GOV.UK way. Saving is the service's job."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.text("new_password1", field_width=20),
            Field.text("new_password2", field_width=20),
            Submit("submit", _("Set my password")),
        )
