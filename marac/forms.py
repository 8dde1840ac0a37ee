"""MARAC forms: clean what was typed into domain types, with their GOV.UK layout. Nothing here
decides: the services refuse what the rules refuse, and the view puts the message beside the
field with what was typed kept."""

from __future__ import annotations

from typing import Any

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size
from django import forms
from django.utils.translation import gettext_lazy as _

from dapolice.accounts.choices import AgencyKind
from dapolice.accounts.models import Agency
from dapolice.common.forms import DateTimeInputsMixin, GovukDateField, govuk_datetime_fields
from marac.choices import Criterion, ReportKind, RiskOutcome
from marac.inputs import ActionInput
from risk.choices import Level


def _helper(*fields: Any) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = Layout(*fields)
    return helper


def partner_agencies() -> Any:
    return Agency.objects.exclude(kind=AgencyKind.POLICE).order_by("name")


class MeetingForm(DateTimeInputsMixin, forms.Form):
    datetime_inputs = ("first_at",)
    first_at, first_at_time = govuk_datetime_fields(
        _("Date of the (first) meeting"),
        required=True,
        error_messages={"required": _("Enter the date of the (first) meeting.")},
    )
    count = forms.IntegerField(
        label=_("How many meetings (every two weeks)"),
        min_value=1,
        max_value=26,
        initial=1,
        error_messages={"required": _("Give how many meetings.")},
    )
    venue = forms.CharField(label=_("Venue"), required=False, max_length=200)
    invited = forms.ModelMultipleChoiceField(
        label=_("Agencies invited"),
        queryset=Agency.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["invited"].queryset = partner_agencies()  # type: ignore[attr-defined]
        self.helper = _helper(
            Field("first_at"),
            Field.text("first_at_time", field_width=5),
            Field.text("count", field_width=2),
            Field.text("venue"),
            Field.checkboxes("invited", legend_size=Size.SMALL, small=True),
        )


class AttendanceForm(forms.Form):
    attended = forms.ModelMultipleChoiceField(
        label=_("Agencies that attended"),
        queryset=Agency.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, invited: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["attended"].queryset = invited  # type: ignore[attr-defined]
        self.helper = _helper(Field.checkboxes("attended", legend_size=Size.SMALL, small=True))


class InviteForm(forms.Form):
    invited = forms.ModelMultipleChoiceField(
        label=_("Agencies invited"),
        queryset=Agency.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["invited"].queryset = partner_agencies()  # type: ignore[attr-defined]
        self.helper = _helper(Field.checkboxes("invited", legend_size=Size.SMALL, small=True))


class ReferForm(forms.Form):
    victim = forms.TypedChoiceField(
        label=_("Victim"), coerce=int, error_messages={"required": _("Choose the victim.")}
    )
    criteria = forms.MultipleChoiceField(
        label=_("Criteria that hold"),
        choices=Criterion.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one criterion that holds.")},
    )
    reason = forms.CharField(
        label=_("Why the victim is referred"),
        widget=forms.Textarea,
        max_length=4000,
        error_messages={"required": _("Say why the victim is referred.")},
    )
    children_count = forms.IntegerField(
        label=_("Children in the household"), min_value=0, max_value=30, initial=0
    )
    victim_male = forms.BooleanField(label=_("The victim is male"), required=False)
    victim_16_17 = forms.BooleanField(label=_("The victim is 16 or 17"), required=False)
    victim_lgbt = forms.BooleanField(label=_("The victim is LGBT"), required=False)
    victim_bme = forms.BooleanField(
        label=_("The victim is from a minority ethnic group"), required=False
    )
    victim_disability = forms.BooleanField(label=_("The victim has a disability"), required=False)

    def __init__(self, *args: Any, victims: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["victim"].choices = [("", _("Choose")), *victims]  # type: ignore[attr-defined]
        self.helper = _helper(
            Field.select("victim"),
            Field.checkboxes("criteria", legend_size=Size.SMALL, small=True),
            Field.textarea("reason", rows=3),
            Field.text("children_count", field_width=2),
            "victim_male", "victim_16_17", "victim_lgbt", "victim_bme", "victim_disability",
        )  # fmt: skip


class ResearchForm(forms.Form):
    known_on = GovukDateField(
        label=_("Date of the information"),
        required=True,
        error_messages={"required": _("Enter the date of the information.")},
    )
    summary = forms.CharField(
        label=_("What your agency knows"),
        widget=forms.Textarea,
        max_length=8000,
        error_messages={"required": _("Write what your agency knows.")},
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field("known_on"), "summary")


class DiscussionForm(forms.Form):
    discussion = forms.CharField(
        label=_("Discussion at the meeting"),
        widget=forms.Textarea,
        max_length=8000,
        error_messages={"required": _("Record what the meeting discussed.")},
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.textarea("discussion", rows=4))


class ActionForm(forms.Form):
    agency = forms.ModelChoiceField(
        label=_("Responsible agency"),
        queryset=Agency.objects.none(),
        error_messages={"required": _("Choose the responsible agency.")},
    )
    owner_name = forms.CharField(label=_("Named owner (if known)"), required=False, max_length=200)
    description = forms.CharField(
        label=_("Action"),
        widget=forms.Textarea,
        max_length=4000,
        error_messages={"required": _("Say what the action is.")},
    )
    done_means = forms.CharField(
        label=_("What done means"),
        widget=forms.Textarea,
        max_length=4000,
        error_messages={"required": _('Say what "done" means for this action.')},
    )
    due_on = GovukDateField(
        label=_("Due by"),
        required=True,
        error_messages={"required": _("Enter the date the action is due by.")},
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.order_by("name")  # type: ignore[attr-defined]
        self.helper = _helper(
            Field.select("agency"),
            Field.text("owner_name"),
            Field.textarea("description", rows=2),
            Field.textarea("done_means", rows=2),
            Field("due_on"),
        )

    def to_input(self) -> ActionInput:
        d = self.cleaned_data
        return ActionInput(
            agency_id=d["agency"].pk,
            description=d["description"],
            done_means=d["done_means"],
            due_on=d["due_on"],
            owner_name=d.get("owner_name") or "",
        )


class ReportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Report back"),
        choices=[(ReportKind.DONE, _("Done")), (ReportKind.UPDATE, _("An update (still open)"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose done or an update.")},
    )
    note = forms.CharField(
        label=_("What was done, or the update"),
        widget=forms.Textarea,
        max_length=4000,
        error_messages={"required": _("Give the update.")},
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.radios("kind", legend_size=Size.SMALL, inline=True),
            Field.textarea("note", rows=3),
        )


class ReassessForm(forms.Form):
    """Ask for the victim's risk to be re-assessed after the actions: a button, nothing typed
    (the service says who is asked, and refuses while an action is unreported)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class CloseForm(forms.Form):
    level_after = forms.ChoiceField(
        label=_("Risk level re-assessed after the actions"),
        choices=[
            (Level.HIGH, _("High")),
            (Level.MEDIUM, _("Medium")),
            (Level.STANDARD, _("Standard")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Give the re-assessed risk level.")},
    )
    outcome = forms.ChoiceField(
        label=_("Did the actions reduce the risk?"),
        choices=RiskOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether the actions reduced the risk.")},
    )
    note = forms.CharField(
        label=_("Outcome"), widget=forms.Textarea, required=False, max_length=4000
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.radios("level_after", legend_size=Size.SMALL, inline=True),
            Field.radios("outcome", legend_size=Size.SMALL, inline=True),
            Field.textarea("note", rows=3),
        )
