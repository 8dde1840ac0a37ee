"""DASH forms: clean what the officer typed into ``AssessmentInput``; the layout is built from the
instrument's rows (the questions are data), one crispy helper per section.

Nothing here decides: completeness, the level rules and the supplements' triggers are in
``risk.rules`` and applied by the services.
"""

from __future__ import annotations

from typing import Any

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fieldset, Layout, Size
from django import forms
from django.utils.translation import gettext_lazy as _

from risk.choices import Answer, Decision, Level
from risk.inputs import AssessmentInput
from risk.models import Instrument

ANSWER_CHOICES = [(v, label) for v, label in Answer.choices if v]
CHILDREN_CHOICES = [("yes", _("Yes")), ("no", _("No")), ("not_known", _("Not known"))]
LEVEL_CHOICES = [
    (Level.HIGH, _("High")),
    (Level.MEDIUM, _("Medium")),
    (Level.STANDARD, _("Standard")),
]


def _helper(layout: Layout) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = layout
    return helper


class AssessmentForm(forms.Form):
    """The whole DASH on one page. Every field is optional here: a draft may be saved at any
    point, and submission is refused by the service with the list of what is missing."""

    honour_concern = forms.BooleanField(
        label=_(
            "There are signs of so-called honour-based abuse (abuse by several family or "
            "community members, pressure to marry, talk of shame or family honour)"
        ),
        required=False,
    )
    children_present = forms.ChoiceField(
        label=_("Were children present, or do children live in the household?"),
        choices=CHILDREN_CHOICES,
        widget=forms.RadioSelect,
        required=False,
    )
    children_details = forms.CharField(
        label=_("Children: names, ages, schools, and whether each was present"),
        help_text=_(
            "The MASH uses this for the children's services referral and to tell the "
            "school before the next school day (Operation Encompass)."
        ),
        widget=forms.Textarea,
        required=False,
    )
    safety_alarm = forms.BooleanField(label=_("Alarm issued or arranged"), required=False)
    safety_phone = forms.BooleanField(label=_("Phone issued"), required=False)
    safety_marker = forms.BooleanField(
        label=_(
            "Place a \u201ctreat any call as an emergency\u201d marker on the victim's address"
        ),
        required=False,
    )
    safety_arrest = forms.BooleanField(label=_("Suspect arrested"), required=False)
    safety_removal = forms.BooleanField(label=_("Suspect removed from the address"), required=False)
    safety_referral = forms.BooleanField(
        label=_("Referral made (IDVA, refuge, children's services...)"), required=False
    )
    safety_plan = forms.CharField(
        label=_("Safety plan made with the victim before leaving"),
        help_text=_(
            "What was agreed: where the victim will be safe, who to call, what was put in place."
        ),
        widget=forms.Textarea,
        required=False,
    )
    evidence_bwv = forms.BooleanField(label=_("Body-worn video"), required=False)
    evidence_photos = forms.BooleanField(label=_("Photographs"), required=False)
    evidence_999 = forms.BooleanField(label=_("999 call recording requested"), required=False)
    evidence_witnesses = forms.BooleanField(label=_("Witnesses identified"), required=False)
    evidence_notes = forms.CharField(
        label=_("Evidence notes"), widget=forms.Textarea, required=False, max_length=4000
    )
    officer_level = forms.ChoiceField(
        label=_("Your risk level"),
        help_text=_(
            "Your decision. The count of \u201cyes\u201d answers suggests a level; "
            "professional judgement may raise it with a reason, and a visible high "
            "risk DASH is never lowered below high."
        ),
        choices=LEVEL_CHOICES,
        widget=forms.RadioSelect,
        required=False,
    )
    officer_rationale = forms.CharField(
        label=_("Professional judgement: your reasons"),
        help_text=_("Required when your level differs from the suggested one."),
        widget=forms.Textarea,
        required=False,
        max_length=4000,
    )

    def __init__(self, *args: Any, instrument: Instrument, sections: list[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        self.keys: list[str] = []
        self.section_helpers: list[tuple[Any, FormHelper]] = []
        for view in sections:
            layout: list[Any] = []
            for row in view.rows:
                q = row.question
                self.keys.append(q.key)
                self.fields[f"q_{q.key}"] = forms.ChoiceField(
                    label=f"{q.number}. {q.text}",
                    help_text=q.hint,
                    choices=ANSWER_CHOICES,
                    widget=forms.RadioSelect(attrs={"data-question": q.key}),
                    required=False,
                )
                self.fields[f"n_{q.key}"] = forms.CharField(
                    label=_("Notes on question %(n)s") % {"n": q.number},
                    widget=forms.Textarea,
                    required=False,
                    max_length=2000,
                )
                layout += [
                    Field.radios(f"q_{q.key}", legend_size=Size.SMALL, inline=True),
                    Field.textarea(f"n_{q.key}", rows=1),
                ]
            self.section_helpers.append((view, _helper(Layout(*layout))))
        self.children_helper = _helper(
            Layout(
                Field.radios("children_present", legend_size=Size.SMALL, inline=True),
                Field.textarea("children_details", rows=3),
            )
        )
        self.honour_helper = _helper(Layout(Field.checkbox("honour_concern", small=True)))
        self.safety_helper = _helper(
            Layout(
                Fieldset(
                    Field.checkbox("safety_alarm", small=True),
                    Field.checkbox("safety_phone", small=True),
                    Field.checkbox("safety_marker", small=True),
                    Field.checkbox("safety_arrest", small=True),
                    Field.checkbox("safety_removal", small=True),
                    Field.checkbox("safety_referral", small=True),
                    legend=_("What was put in place"),
                    legend_size=Size.SMALL,
                ),
                Field.textarea("safety_plan", rows=4),
            )
        )
        self.evidence_helper = _helper(
            Layout(
                Fieldset(
                    Field.checkbox("evidence_bwv", small=True),
                    Field.checkbox("evidence_photos", small=True),
                    Field.checkbox("evidence_999", small=True),
                    Field.checkbox("evidence_witnesses", small=True),
                    legend=_("Evidence captured"),
                    legend_size=Size.SMALL,
                ),
                Field.textarea("evidence_notes", rows=3),
            )
        )
        self.level_helper = _helper(
            Layout(
                Field.radios("officer_level", legend_size=Size.SMALL, inline=True),
                Field.textarea("officer_rationale", rows=4),
            )
        )

    def typed_answers(self) -> dict[str, tuple[str, str]]:
        """What was typed for each question, valid or not (to re-render and to save)."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        out = {}
        for key in self.keys:
            value = data.get(f"q_{key}", self.data.get(f"q_{key}", "")) or ""
            notes = data.get(f"n_{key}", self.data.get(f"n_{key}", "")) or ""
            out[key] = (value if value in Answer.values else "", notes)
        return out

    def typed_values(self) -> dict[str, Any]:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        names = [n for n in self.base_fields if n in self.fields]
        return {n: data.get(n, self.data.get(n, "")) for n in names}

    def to_input(self) -> AssessmentInput:
        d = self.cleaned_data
        return AssessmentInput.from_mapping(
            {n: d.get(n) for n in self.base_fields}, answers=self.typed_answers()
        )


class StartForm(forms.Form):
    """Which checklist to complete for an incident's victim."""

    instrument = forms.ModelChoiceField(
        label=_("Checklist"),
        queryset=Instrument.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
    )

    def __init__(self, *args: Any, instruments: list[Instrument], **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["instrument"]
        field.queryset = Instrument.objects.filter(pk__in=[i.pk for i in instruments])  # type: ignore[attr-defined]
        if instruments:
            field.initial = instruments[0].pk
        self.helper = _helper(Layout(Field.radios("instrument", legend_size=Size.SMALL)))


class ReviewForm(forms.Form):
    """A supervisor's decision."""

    decision = forms.ChoiceField(
        label=_("Your decision"),
        choices=Decision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose agree, change or return.")},
    )
    level = forms.ChoiceField(
        label=_("New level (if changing)"),
        choices=LEVEL_CHOICES,
        widget=forms.RadioSelect,
        required=False,
    )
    reason = forms.CharField(
        label=_("Reason, or what is missing"),
        help_text=_("Required to change the level or to return the DASH."),
        widget=forms.Textarea,
        required=False,
        max_length=4000,
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Layout(
                Field.radios("decision", legend_size=Size.SMALL),
                Field.radios("level", legend_size=Size.SMALL, inline=True),
                Field.textarea("reason", rows=4),
            )
        )


class ReassessmentCloseForm(forms.Form):
    """Close a victim's medium-risk follow-up: no more re-assessment rounds."""

    reason = forms.CharField(
        label=_("Why the follow-up is closed"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Layout(Field.textarea("reason")))
