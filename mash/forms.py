"""MASH forms: clean what was typed into domain types, with their GOV.UK layout. Nothing here
decides: the services refuse what the rules refuse, and the view puts the message beside the
field with what was typed kept."""

from __future__ import annotations

from typing import Any

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size
from django import forms
from django.utils.translation import gettext_lazy as _

from dapolice.accounts.models import Agency
from dapolice.common.forms import DateTimeInputsMixin, GovukDateField, govuk_datetime_fields
from mash.choices import (
    REFERRAL_AGENCY_KIND,
    ContactChannel,
    ContactOutcome,
    InformationSource,
    ReferralKind,
    ReferralStatus,
)
from mash.inputs import ActionInput, ContactPlanInput
from risk.choices import Level

LEVEL_CHOICES = [
    (Level.HIGH, _("High")),
    (Level.MEDIUM, _("Medium")),
    (Level.STANDARD, _("Standard")),
]


def _helper(*fields: Any) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = Layout(*fields)
    return helper


class AssessForm(forms.Form):
    """The secondary assessment."""

    final_level = forms.ChoiceField(
        label=_("MASH risk level"),
        help_text=_("It may differ from the DASH's level: give the reason."),
        choices=LEVEL_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose high, medium or standard.")},
    )
    reason = forms.CharField(
        label=_("Reason for the level (required if it differs from the DASH)"),
        widget=forms.Textarea,
        required=False,
        max_length=4000,
    )
    notes = forms.CharField(
        label=_("Secondary assessment"),
        help_text=_("What all agencies' information shows about the risk."),
        widget=forms.Textarea,
        required=False,
        max_length=8000,
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.radios("final_level", legend_size=Size.SMALL, inline=True),
            Field.textarea("reason", rows=3),
            Field.textarea("notes", rows=6),
        )


class InformationForm(forms.Form):
    source = forms.ChoiceField(label=_("Agency"), choices=InformationSource.choices)
    received_on = GovukDateField(
        label=_("Date of the information"),
        required=True,
        error_messages={"required": _("Enter the date of the information.")},
    )
    summary = forms.CharField(
        label=_("Information"),
        widget=forms.Textarea,
        max_length=8000,
        error_messages={"required": _("Write what the agency told you.")},
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.select("source"), Field("received_on"), "summary")


class PlanForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    summary = forms.CharField(
        label=_("Safeguarding plan"), widget=forms.Textarea, required=False, max_length=8000
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = _helper("version", Field.textarea("summary", rows=4))


class ActionForm(forms.Form):
    description = forms.CharField(label=_("Action"), required=False, max_length=2000)
    owner_name = forms.CharField(label=_("Owner"), required=False, max_length=200)
    owner_agency = forms.ChoiceField(
        label=_("Agency"), choices=[("", "")] + list(InformationSource.choices), required=False
    )
    due_on = GovukDateField(label=_("Due by"))
    done = forms.BooleanField(label=_("Done"), required=False)

    def to_input(self) -> ActionInput:
        d = self.cleaned_data
        return ActionInput(
            description=d.get("description") or "",
            owner_name=d.get("owner_name") or "",
            owner_agency=d.get("owner_agency") or "",
            due_on=d.get("due_on"),
            done=bool(d.get("done")),
        )


ActionFormSet = forms.formset_factory(ActionForm, extra=2, max_num=50)


class ReferralForm(DateTimeInputsMixin, forms.Form):
    datetime_inputs = ("due_at",)
    kind = forms.ChoiceField(
        label=_("Referral to"),
        choices=ReferralKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose who the referral is to.")},
    )
    agency = forms.ModelChoiceField(
        label=_("Agency (for partner agencies with access)"),
        queryset=Agency.objects.none(),
        required=False,
    )
    due_at, due_at_time = govuk_datetime_fields(
        _("Due by"),
        time_help=_(
            "24-hour clock, for example 18:30. Leave the date and time empty for the usual time."
        ),
    )
    notes = forms.CharField(
        label=_("What is asked"), widget=forms.Textarea, required=False, max_length=4000
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["agency"]
        field.queryset = Agency.objects.filter(  # type: ignore[attr-defined]
            kind__in=set(REFERRAL_AGENCY_KIND.values())
        ).order_by("name")
        self.helper = _helper(
            Field.radios("kind", legend_size=Size.SMALL, small=True),
            Field.select("agency"),
            Field("due_at"),
            Field.text("due_at_time", field_width=5),
            Field.textarea("notes", rows=3),
        )


class RespondForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Your answer"),
        choices=[
            (ReferralStatus.ACCEPTED, _("Accepted")),
            (ReferralStatus.DECLINED, _("Declined")),
            (ReferralStatus.COMPLETED, _("Completed")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose accepted, declined or completed.")},
    )
    note = forms.CharField(
        label=_("Note (required to decline)"),
        widget=forms.Textarea,
        required=False,
        max_length=4000,
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.radios("status", legend_size=Size.SMALL, inline=True),
            Field.textarea("note", rows=3),
        )


class NoticeForm(forms.Form):
    child_name = forms.CharField(label=_("Child"), max_length=200, required=False)
    school = forms.CharField(label=_("School"), max_length=200, required=False)
    present = forms.TypedChoiceField(
        label=_("Was the child present?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether the child was present.")},
    )
    welfare_check = forms.TypedChoiceField(
        label=_("Was a welfare check done?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether a welfare check was done.")},
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.text("child_name"),
            Field.text("school"),
            Field.radios("present", legend_size=Size.SMALL, inline=True),
            Field.radios("welfare_check", legend_size=Size.SMALL, inline=True),
        )


class OfferForm(forms.Form):
    to = forms.ModelChoiceField(
        label=_("Offer ownership of safeguarding to"),
        queryset=Agency.objects.none(),
        error_messages={"required": _("Choose who to offer it to.")},
    )
    note = forms.CharField(
        label=_("Handover note"), widget=forms.Textarea, required=False, max_length=2000
    )

    def __init__(self, *args: Any, people: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = people  # type: ignore[attr-defined]
        self.helper = _helper(Field.select("to"), Field.textarea("note", rows=2))


class ContactPlanForm(forms.Form):
    spoc = forms.ModelChoiceField(
        label=_("Single point of contact"), queryset=Agency.objects.none(), required=False
    )
    safe_phone = forms.CharField(label=_("Safe number"), max_length=32, required=False)
    safe_email = forms.EmailField(label=_("Safe e-mail address"), required=False)
    safe_from = forms.TimeField(
        label=_("Safe to contact from (e.g. 09:00)"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    safe_until = forms.TimeField(
        label=_("Safe to contact until (e.g. 15:00)"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    safe_times_note = forms.CharField(
        label=_("Safe times in words"), max_length=200, required=False
    )
    no_voicemail = forms.BooleanField(label=_("No voicemail"), required=False)
    code_word = forms.CharField(label=_("Code word"), max_length=60, required=False)
    instructions = forms.CharField(
        label=_("Other instructions"), widget=forms.Textarea, required=False, max_length=2000
    )

    def __init__(self, *args: Any, people: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["spoc"].queryset = people  # type: ignore[attr-defined]
        self.helper = _helper(
            Field.select("spoc"),
            Field.text("safe_phone", field_width=20),
            Field.text("safe_email"),
            "safe_from",
            "safe_until",
            Field.text("safe_times_note"),
            Field.checkbox("no_voicemail", small=True),
            Field.text("code_word", field_width=20),
            Field.textarea("instructions", rows=2),
        )

    def to_input(self) -> ContactPlanInput:
        d = self.cleaned_data
        spoc = d.get("spoc")
        return ContactPlanInput(
            spoc_id=spoc.pk if spoc is not None else None,
            safe_phone=d.get("safe_phone") or "",
            safe_email=d.get("safe_email") or "",
            safe_from=d.get("safe_from"),
            safe_until=d.get("safe_until"),
            safe_times_note=d.get("safe_times_note") or "",
            no_voicemail=bool(d.get("no_voicemail")),
            code_word=d.get("code_word") or "",
            instructions=d.get("instructions") or "",
        )


class ContactForm(forms.Form):
    seen_up_to = forms.IntegerField(widget=forms.HiddenInput, required=False)
    channel = forms.ChoiceField(
        label=_("How"),
        choices=ContactChannel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how you made contact.")},
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=ContactOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the outcome.")},
    )
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea, required=False, max_length=4000
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            "seen_up_to",
            Field.radios("channel", legend_size=Size.SMALL, small=True),
            Field.radios("outcome", legend_size=Size.SMALL, small=True),
            Field.textarea("notes", rows=3),
        )
