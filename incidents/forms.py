"""Intake forms: clean what the call taker typed into the service inputs (``incidents.inputs``).

A bound form re-renders with everything that was typed; each error sits beside its field.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, cast

from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Field, Fieldset, Layout, Size
from django import forms
from django.conf import settings
from django.core import signing
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dapolice.access.breakglass import MIN_REASON_LENGTH
from dapolice.common.forms import DateTimeInputsMixin, GovukDateField, govuk_datetime_fields
from incidents import validators
from incidents.choices import CustodyEventKind, PersonRole, Relationship
from incidents.inputs import AddressInput, Checklist, IncidentInput, PersonInput, Thrive
from incidents.matching.engine import MatchQuery
from incidents.models import AddressReveal, AttendanceCategory
from incidents.rules import call_start_problem
from incidents.validators import MAX_ID

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def _yes_no(label: StrOrPromise, hint: StrOrPromise = "") -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        help_text=hint,
        choices=YES_NO,
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Answer yes or no: %(q)s") % {"q": label}},
    )


def _helper(layout: Layout) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = layout
    return helper


class PostcodeField(forms.CharField):
    def __init__(self, **kwargs: Any):
        # Generous, so a wrong postcode gets the postcode message rather than a length one.
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        return validators.clean_postcode(super().clean(value))


class PhoneField(forms.CharField):
    """One or more phone numbers separated by commas, each cleaned to E.164."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("max_length", 100)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> tuple[str, ...]:
        return validators.clean_phones((super().clean(value) or "").split(","))


def _ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


class DateOfBirthField(DateInputField):
    """A date of birth; with ``year_only`` (a child present: issue 8) the year alone is
    accepted too, and cleaned to an ``int``."""

    def __init__(self, *, year_only: bool = False, **kwargs: Any):
        kwargs.setdefault("required", False)
        kwargs.setdefault("require_all_fields", False)
        self.year_only = year_only
        super().__init__(**kwargs)

    def clean(self, value: Any) -> date | int | None:
        if not value or not any(value):
            return None
        typed_year = value[2] or ""
        # ASCII digits only: "²" is a digit to str.isdigit() and not a number to int().
        if self.year_only and not value[0] and not value[1] and _ascii_digits(typed_year):
            year = int(typed_year)
            try:
                validators.validate_birth_year(year)
            except forms.ValidationError as exc:
                raise forms.ValidationError(exc.messages[0]) from None
            return year
        if not all(value):
            if self.year_only:
                raise forms.ValidationError(
                    _("Enter the day, month and year of birth, or the year alone.")
                )
            raise forms.ValidationError(_("Enter the day, month and year of birth."))
        try:
            day, month, year = (int(v) for v in value)
            born = date(year, month, day)
        except (TypeError, ValueError):
            raise forms.ValidationError(_("Date of birth must be a real date.")) from None
        validators.validate_date_of_birth(born)
        return born


def _aliases(text: str) -> tuple[tuple[str, str], ...]:
    out = []
    for part in (text or "").split(","):
        words = part.split()
        if words:
            out.append((" ".join(words[:-1]), words[-1]) if len(words) > 1 else ("", words[0]))
    return tuple(out)


class PersonForm(forms.Form):
    """One person in the call. ``person_id`` is set when the call taker links a match."""

    role = forms.ChoiceField(
        label=_("Role"),
        choices=[(PersonRole.CHILD, _("Child")), (PersonRole.OTHER, _("Other person present"))],
        required=False,
    )
    # Rendered by the match panel (incidents/_match_panel.html) when the call taker links a match.
    person_id = forms.IntegerField(
        required=False, widget=forms.HiddenInput, min_value=1, max_value=MAX_ID
    )
    given_name = forms.CharField(label=_("Given name"), max_length=100, required=False)
    family_name = forms.CharField(label=_("Family name"), max_length=100, required=False)
    aliases = forms.CharField(
        label=_("Other names"),
        help_text=_("Maiden names or nicknames, separated by commas"),
        max_length=300,
        required=False,
    )
    date_of_birth = DateOfBirthField(label=_("Date of birth"))
    phones = PhoneField(label=_("Phone numbers"), help_text=_("Separate numbers with commas"))
    lives_at_location = forms.BooleanField(
        label=_("Lives at the incident location"), required=False
    )
    house = forms.CharField(
        label=_("House number or name"),
        max_length=80,
        required=False,
        validators=[validators.validate_house],
    )
    street = forms.CharField(label=_("Street"), max_length=200, required=False)
    town = forms.CharField(label=_("Town or city"), max_length=100, required=False)
    postcode = PostcodeField(label=_("Postcode"))

    def __init__(self, *args: Any, fixed_role: str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fixed_role = fixed_role
        if fixed_role is not None:
            del self.fields["role"]
        else:
            # A child present: often only the year of birth is known on the phone.
            self.fields["date_of_birth"] = DateOfBirthField(
                label=_("Date of birth"),
                year_only=True,
                help_text=_("For example 27 3 2019, or the year alone if that is all"),
            )
        fields: list[Any] = [] if fixed_role else [Field.select("role")]
        self.helper = _helper(
            Layout(
                *fields,
                Field.text("given_name", field_width=20),
                Field.text("family_name", field_width=20),
                Field.text("aliases", field_width=30),
                Field("date_of_birth"),
                Field.text("phones", field_width=20),
                Field.checkbox("lives_at_location", small=True),
                Fieldset(
                    Field.text("house", field_width=10),
                    Field.text("street", field_width=30),
                    Field.text("town", field_width=20),
                    Field.text("postcode", field_width=10),
                    legend=_("Home address, if not the incident location"),
                    legend_size=Size.SMALL,
                ),
            )
        )

    @property
    def is_blank(self) -> bool:
        """Nothing typed and nothing linked: an unused optional block."""
        if not self.is_bound:
            return True
        names = ["person_id", "given_name", "family_name", "aliases", "phones", "house",
                 "street", "town", "postcode"]  # fmt: skip
        typed = any((self.data.get(self.add_prefix(n)) or "").strip() for n in names)
        dob = any(
            (self.data.get(f"{self.add_prefix('date_of_birth')}_{i}") or "").strip()
            for i in range(3)
        )
        return not (typed or dob)

    def clean_aliases(self) -> str:
        text: str = self.cleaned_data.get("aliases", "")
        for given, family in _aliases(text):
            validators.validate_name(given)
            validators.validate_name(family)
        return text

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        named = data.get("given_name") or data.get("family_name")
        if not self.is_blank and not data.get("person_id") and not named:
            self.add_error("family_name", _("Enter a name, or link a match."))
        return data

    def to_input(self, *, role: str | None = None, is_caller: bool = False) -> PersonInput:
        d = self.cleaned_data
        address = AddressInput(
            house=d.get("house", ""),
            street=d.get("street", ""),
            town=d.get("town", ""),
            postcode=d.get("postcode", ""),
        )
        born = d.get("date_of_birth")
        return PersonInput(
            role=role or self.fixed_role or d.get("role") or PersonRole.OTHER,
            person_id=d.get("person_id"),
            given_name=d.get("given_name", ""),
            family_name=d.get("family_name", ""),
            aliases=_aliases(d.get("aliases", "")),
            date_of_birth=born if isinstance(born, date) else None,
            birth_year=born if isinstance(born, int) else None,
            phones=d.get("phones", ()),
            address=None if address.is_empty else address,
            lives_at_location=bool(d.get("lives_at_location")),
            is_caller=is_caller,
        )


RURALITY = [
    ("auto", _("Decide from the postcode")),
    ("urban", _("Urban")),
    ("rural", _("Rural")),
]
CALLER = [
    ("victim", _("The victim")),
    ("other", _("Someone else (enter them under Caller)")),
]


CALL_STAMP_SALT = "incidents.call_started"


def call_stamp(moment: datetime) -> str:
    """A signed stamp of when the intake page was opened (the call's start)."""
    return signing.TimestampSigner(salt=CALL_STAMP_SALT).sign(str(int(moment.timestamp())))


class IncidentForm(forms.Form):
    """The call itself: where, the checklist, what happened and the grade.

    ``call_started`` is signed when the page opens, so the attendance deadline runs from the
    start of the call, not from when the call taker finally sends the form.
    """

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    call_started = forms.CharField(widget=forms.HiddenInput)
    location_house = forms.CharField(
        label=_("House number or name"), max_length=80, validators=[validators.validate_house]
    )
    location_street = forms.CharField(label=_("Street"), max_length=200, required=False)
    location_town = forms.CharField(label=_("Town or city"), max_length=100, required=False)
    location_postcode = PostcodeField(label=_("Postcode"))
    location_rurality = forms.ChoiceField(
        label=_("Urban or rural"), choices=RURALITY, initial="auto", widget=forms.RadioSelect
    )
    caller = forms.ChoiceField(
        label=_("Who is calling?"), choices=CALLER, initial="victim", widget=forms.RadioSelect
    )
    relationship = forms.ChoiceField(
        label=_("Relationship of the victim to the suspect"),
        choices=Relationship.choices,
        widget=forms.RadioSelect,
    )
    immediate_risk = _yes_no(_("Is anyone at immediate risk of harm?"))
    injuries = _yes_no(_("Is anyone injured?"))
    weapons = _yes_no(_("Are weapons involved or threatened?"))
    children_present = _yes_no(_("Are children present?"))
    firearm_at_address = _yes_no(_("Is there a firearm at the address?"))
    happened_before = _yes_no(
        _("Has this happened before?"), _("Including elsewhere, or never reported")
    )
    happened_before_details = forms.CharField(
        label=_("When and where did it happen before?"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    victim_vulnerable = _yes_no(
        _("Is the victim particularly vulnerable?"),
        _("For example pregnant, disabled, elderly, isolated, mental health"),
    )
    vulnerability_details = forms.CharField(
        label=_("How is the victim vulnerable?"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    narrative = forms.CharField(
        label=_("What is happening?"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    thrive_threat = forms.CharField(
        label=_("Threat"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    thrive_harm = forms.CharField(
        label=_("Harm"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    thrive_risk = forms.CharField(
        label=_("Risk"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    thrive_investigation = forms.CharField(
        label=_("Investigation"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    thrive_vulnerability = forms.CharField(
        label=_("Vulnerability"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    thrive_engagement = forms.CharField(
        label=_("Engagement"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    category = forms.ChoiceField(label=_("Attendance category"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4())
            self.initial.setdefault("call_started", call_stamp(timezone.now()))
        categories = list(AttendanceCategory.objects.filter(active=True).order_by("order"))
        cast(forms.ChoiceField, self.fields["category"]).choices = [
            (c.code, _category_label(c)) for c in categories
        ]
        self.location_helper = _helper(
            Layout(
                "idempotency_key",
                "call_started",
                Field.text("location_house", field_width=10),
                Field.text("location_postcode", field_width=10),
                # Filled from the address on record when there is one (static/js/intake.js):
                # then shown as one line with a "Change" button instead of two boxes.
                HTML(
                    '<p class="govuk-body" data-address-found hidden></p>'
                    '<button type="button" class="govuk-button govuk-button--secondary" '
                    'data-module="govuk-button" data-address-change hidden>'
                    + str(_("Change the street or town"))
                    + "</button><div data-address-more>"
                ),
                Field.text("location_street", field_width=30),
                Field.text("location_town", field_width=20),
                HTML("</div>"),
                Field.radios("caller", legend_size=Size.SMALL, inline=True),
            )
        )
        self.checklist_helper = _helper(
            Layout(
                Field.radios("relationship", legend_size=Size.SMALL),
                *[
                    Field.radios(name, legend_size=Size.SMALL, inline=True)
                    for name in (
                        "immediate_risk",
                        "injuries",
                        "weapons",
                        "children_present",
                        "firearm_at_address",
                        "happened_before",
                    )  # fmt: skip
                ],
                Field.textarea("happened_before_details"),
                Field.radios("victim_vulnerable", legend_size=Size.SMALL, inline=True),
                Field.textarea("vulnerability_details"),
                Field.textarea("narrative"),
            )
        )
        self.grading_helper = _helper(
            Layout(
                HTML(
                    '<p class="govuk-body">'
                    + str(_("THRIVE: note what you weighed, then choose the category."))
                    + "</p>"
                ),
                *[
                    Field.textarea(f"thrive_{n}")
                    for n in (
                        "threat",
                        "harm",
                        "risk",
                        "investigation",
                        "vulnerability",
                        "engagement",
                    )  # fmt: skip
                ],
                # Beside the grade: with it, it decides the deadline the summary shows.
                Field.radios("location_rurality", legend_size=Size.SMALL, inline=True),
                Field.radios("category", legend_size=Size.MEDIUM),
            )
        )
        if not self.is_bound:
            # The call starts at the address: the first key typed goes there (issue 8, item 6).
            self.fields["location_house"].widget.attrs["autofocus"] = True

    def clean_call_started(self) -> datetime:
        max_age = settings.DAPOLICE_MAX_CALL_MINUTES * 60
        try:
            seconds = signing.TimestampSigner(salt=CALL_STAMP_SALT).unsign(
                self.cleaned_data["call_started"], max_age=max_age
            )
            started = datetime.fromtimestamp(int(seconds), tz=UTC)
        except (signing.BadSignature, ValueError):
            # Too old or tampered with: the page gets a fresh stamp; the call taker sends again.
            fresh = cast(QueryDict, self.data).copy()
            fresh[self.add_prefix("call_started")] = call_stamp(timezone.now())
            self.data = fresh
            raise forms.ValidationError(
                _("This page was opened too long ago to time the call. Check it and send again.")
            ) from None
        problem = call_start_problem(started)
        if problem:
            raise forms.ValidationError(problem)
        return started

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("happened_before") and not (data.get("happened_before_details") or "").strip():
            self.add_error(
                "happened_before_details",
                _("Say when and where it happened before (also elsewhere or unreported)."),
            )
        return data

    def location_input(self) -> AddressInput:
        d = self.cleaned_data
        rurality = d.get("location_rurality", "auto")
        return AddressInput(
            house=d["location_house"],
            street=d.get("location_street", ""),
            town=d.get("location_town", ""),
            postcode=d.get("location_postcode", ""),
            is_rural=None if rurality == "auto" else rurality == "rural",
        )

    def to_input(self, people: tuple[PersonInput, ...]) -> IncidentInput:
        d = self.cleaned_data
        return IncidentInput(
            location=self.location_input(),
            relationship=d["relationship"],
            checklist=Checklist.from_mapping(d),
            category_code=d["category"],
            people=people,
            thrive=Thrive.from_mapping(d, prefix="thrive_"),
            narrative=d.get("narrative", ""),
            received_at=d["call_started"],
            idempotency_key=d["idempotency_key"],
        )


class AddressLookupForm(forms.Form):
    """A house and a postcode typed at the intake: is the address on record?"""

    location_house = forms.CharField(max_length=80)
    location_postcode = forms.CharField(max_length=20)


class DeadlinePreviewForm(forms.Form):
    """What the intake page has so far that decides the deadline (issue 8, item 5): the grade,
    the postcode or the call taker's urban/rural choice, and the signed start of the call.

    Never refuses: what cannot be read yet (no grade, half a postcode, a stale stamp) is left
    out, and the preview says what it is missing.
    """

    category = forms.CharField(max_length=10, required=False)
    location_postcode = forms.CharField(max_length=20, required=False)
    location_rurality = forms.ChoiceField(choices=RURALITY, required=False)
    call_started = forms.CharField(max_length=200, required=False)

    def clean_location_postcode(self) -> str:
        try:
            return validators.clean_postcode(self.cleaned_data.get("location_postcode", ""))
        except forms.ValidationError:
            return ""

    def clean_call_started(self) -> datetime:
        now = timezone.now()
        try:
            seconds = signing.TimestampSigner(salt=CALL_STAMP_SALT).unsign(
                self.cleaned_data.get("call_started", ""),
                max_age=settings.DAPOLICE_MAX_CALL_MINUTES * 60,
            )
            started = datetime.fromtimestamp(int(seconds), tz=UTC)
        except (signing.BadSignature, ValueError):
            return now
        return now if call_start_problem(started) else started

    def location(self) -> AddressInput:
        rurality = self.cleaned_data.get("location_rurality") or "auto"
        return AddressInput(
            postcode=self.cleaned_data.get("location_postcode", ""),
            is_rural=None if rurality == "auto" else rurality == "rural",
        )


def _category_label(category: AttendanceCategory) -> str:
    if category.urban_minutes == category.rural_minutes:
        minutes = _("%(m)d minutes") % {"m": category.urban_minutes}
    else:
        minutes = _("%(u)d minutes urban, %(r)d rural") % {
            "u": category.urban_minutes,
            "r": category.rural_minutes,
        }
    return f"{category.code}: {category.name} ({minutes})"


class RegradeForm(forms.Form):
    """THRIVE re-applied when the situation changes: a new category and what changed."""

    category = forms.ChoiceField(label=_("New attendance category"), widget=forms.RadioSelect)
    reason = forms.CharField(label=_("What has changed?"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        categories = AttendanceCategory.objects.filter(active=True).order_by("order")
        cast(forms.ChoiceField, self.fields["category"]).choices = [
            (c.code, _category_label(c)) for c in categories
        ]
        self.helper = _helper(
            Layout(Field.radios("category", legend_size=Size.SMALL), Field.textarea("reason"))
        )


class DeferForm(DateTimeInputsMixin, forms.Form):
    datetime_inputs = ("until",)
    until, until_time = govuk_datetime_fields(
        _("Defer attendance until"),
        required=True,
        error_messages={"required": _("Enter the day, month and year to defer attendance until")},
    )
    reason = forms.CharField(
        label=_("Reason for the deferral"), widget=forms.Textarea(attrs={"rows": 3})
    )
    victim_wishes = forms.CharField(
        label=_("The victim's wishes"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Layout(
                Field("until"),
                Field.text("until_time", field_width=5),
                Field.textarea("reason"),
                Field.textarea("victim_wishes"),
            )  # fmt: skip
        )


class WhenDateField(GovukDateField):
    """The day, month and year of a time already past (the GOV.UK date input); None if empty.
    The common field (``dapolice.common.forms``) with the dispatch and arrival forms' words."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault(
            "error_messages",
            {"incomplete": _("Enter the day, month and year."), "invalid": _("Enter a real date.")},
        )
        super().__init__(**kwargs)


_TIME_RE = re.compile(r"^([01]?\d|2[0-3])[:.]?([0-5]\d)$")


class AttendanceForm(forms.Form):
    """When the officer arrived: a GOV.UK date input and a 24-hour time, both empty for now."""

    at = WhenDateField(label=_("Arrived at"), help_text=_("For example 23 11 2026"))
    at_time = forms.CharField(
        label=_("Time"),
        help_text=_("24-hour clock, for example 18:30. Leave the date and time empty for now."),
        required=False,
        max_length=5,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    reason = forms.CharField(
        label=_("Why is the time earlier than now?"),
        help_text=_(
            "Only for a time more than a few minutes ago: a control-room supervisor or a "
            "supervisor records it, with the reason"
        ),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Layout(Field("at"), Field.text("at_time", field_width=5), Field.textarea("reason"))
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day = data.get("at")
        text = (data.get("at_time") or "").strip()
        if "at" in self.errors:
            return data
        if day is None and not text:
            data["at"] = None  # now
            return data
        if day is None:
            self.add_error("at", _("Enter the day, month and year, or leave the time empty."))
            return data
        matched = _TIME_RE.match(text)
        if matched is None:
            self.add_error("at_time", _("Enter the time on the 24-hour clock, like 18:30."))
            return data
        data["at"] = datetime(
            day.year,
            day.month,
            day.day,
            int(matched[1]),
            int(matched[2]),
            tzinfo=timezone.get_current_timezone(),
        )
        return data


class DispatchForm(AttendanceForm):
    """Dispatch names the officer(s) sent, by collar number: an officer can only complete the
    DASH of an incident they are attached to."""

    officers = forms.CharField(
        label=_("Officers sent"),
        help_text=_("Collar numbers, separated by commas"),
        required=False,
        max_length=200,
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["at"].label = _("Dispatched at")
        self.helper = _helper(
            Layout(
                Field.text("officers", field_width=20),
                Field("at"),
                Field.text("at_time", field_width=5),
                Field.textarea("reason"),
            )
        )

    def clean_officers(self) -> list[Any]:
        from dapolice.accounts.models import User

        numbers = [n.strip() for n in self.cleaned_data["officers"].split(",") if n.strip()]
        users = list(User.objects.filter(collar_number__in=numbers, is_active=True))
        missing = sorted(set(numbers) - {u.collar_number for u in users})
        if missing:
            raise forms.ValidationError(
                _("No officer has the collar number %(n)s.") % {"n": ", ".join(missing)}
            )
        return users


class RevealAddressForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you need to see this restricted address?"),
        help_text=_("Your reason is recorded with your name and the time."),
        widget=forms.Textarea(attrs={"rows": 3}),
        min_length=MIN_REASON_LENGTH,
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Layout(Field.textarea("reason")))


class RevealReviewForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Was the reveal justified?"),
        choices=AddressReveal.Outcome.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        help_text=_("Required when the reveal was not justified"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Layout(Field.radios("outcome"), Field.textarea("note")))


# --- The live match panel -------------------------------------------------------------------


class MatchSearchForm(forms.Form):
    """What is typed so far in one person block (prefixed as the block). A field not valid yet
    (half a date of birth) is left out of the search, never reported: the block's own form
    reports errors when the call is sent."""

    person_id = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    given_name = forms.CharField(max_length=100, required=False)
    family_name = forms.CharField(max_length=100, required=False)
    #: A year alone is searched with too (a child's date: compared with stored years).
    date_of_birth = DateOfBirthField(year_only=True)
    phones = forms.CharField(max_length=100, required=False)
    lives_at_location = forms.BooleanField(required=False)
    house = forms.CharField(max_length=80, required=False, validators=[validators.validate_house])
    postcode = forms.CharField(max_length=20, required=False)

    def clean_phones(self) -> tuple[str, ...]:
        return tuple(p.strip() for p in self.cleaned_data["phones"].split(",") if p.strip())


#: Most "not this person" decisions one block's search carries (a panel shows five).
MAX_REJECTED = 50


class MatchPanelForm(forms.Form):
    """One request of the live match panel: which block (``panel``), whether to link or unlink a
    person, and the incident location (searched when the person lives there)."""

    panel = forms.ChoiceField(choices=[])
    link = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    #: "Not this person" on a shown candidate (issue 14): a negative label, and the candidate
    #: leaves this block's panel (its id travels in hidden ``<panel>-rejected`` inputs).
    reject = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    unlink = forms.CharField(required=False)
    location_postcode = forms.CharField(max_length=20, required=False)
    location_house = forms.CharField(max_length=80, required=False)
    location_street = forms.CharField(max_length=200, required=False)
    location_town = forms.CharField(max_length=100, required=False)

    def __init__(self, *args: Any, blocks: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["panel"]).choices = [(b, b) for b in blocks]

    def search_form(self) -> MatchSearchForm:
        form = MatchSearchForm(self.data, prefix=self.cleaned_data["panel"])
        form.is_valid()  # cleans what it can; invalid fields are left out of cleaned_data
        return form

    def linked_person_id(self, search: MatchSearchForm) -> int | None:
        """The person to show as linked: one just chosen, else the one already linked (unless
        the call taker unlinks)."""
        if self.cleaned_data["link"]:
            return int(self.cleaned_data["link"])
        if self.cleaned_data["unlink"]:
            return None
        return search.cleaned_data.get("person_id")

    def rejected_ids(self) -> tuple[int, ...]:
        """Candidates the call taker has said are not this person, in this block's search
        (the one just rejected included); anything that is not an id is ignored."""
        key = f"{self.cleaned_data['panel']}-rejected"
        raw = self.data.getlist(key) if isinstance(self.data, QueryDict) else []
        ids = {int(v) for v in raw[:MAX_REJECTED] if _ascii_digits(str(v)) and 0 < int(v) <= MAX_ID}
        if self.cleaned_data.get("reject"):
            ids.add(int(self.cleaned_data["reject"]))
        return tuple(sorted(ids))

    def query(self, search: MatchSearchForm) -> MatchQuery | None:
        """The search, or None when nothing searchable is typed yet (an address alone is not:
        living there is not a match)."""
        d = search.cleaned_data
        here = d.get("lives_at_location")
        born = d.get("date_of_birth")
        query = MatchQuery(
            given_name=(d.get("given_name") or "").strip(),
            family_name=(d.get("family_name") or "").strip(),
            date_of_birth=born if isinstance(born, date) else None,
            birth_year=born if isinstance(born, int) else None,
            phones=d.get("phones") or (),
            postcode=self.cleaned_data["location_postcode"] if here else d.get("postcode", ""),
            house=self.cleaned_data["location_house"] if here else d.get("house", ""),
            # A person block has no street of its own: the incident location's, when they
            # live there (compared when the postcode disagrees, never searched).
            street=self.cleaned_data["location_street"] if here else "",
            town=self.cleaned_data["location_town"] if here else "",
        )
        if query.family_name or query.given_name or query.phones or query.date_of_birth:
            return replace(query, exclude_person_ids=self.rejected_ids())
        return None


class AddCallForm(forms.Form):
    """The intake page sent as a further call on an open incident: only its key and story."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    narrative = forms.CharField(required=False, max_length=10_000)


class IncidentSearchForm(forms.Form):
    """The incident list's search box (posted; the term is kept in the session)."""

    q = forms.CharField(
        label=_("Search by reference, name, street or postcode"), max_length=100, required=False
    )


class CustodyEventForm(DateTimeInputsMixin, forms.Form):
    """A suspect's bail or custody change (recommendation 12). ``suspects``: the incident's."""

    datetime_inputs = ("occurred_at",)

    suspect = forms.TypedChoiceField(
        label=_("Suspect"), coerce=int, error_messages={"required": _("Choose the suspect")}
    )
    kind = forms.ChoiceField(
        label=_("What happened"),
        choices=[("", _("Choose")), *CustodyEventKind.choices],
        error_messages={"required": _("Choose what happened")},
    )
    occurred_at, occurred_at_time = govuk_datetime_fields(
        _("When"),
        time_help=_("24-hour clock, for example 18:30. Leave the date and time empty for now."),
    )
    notes = forms.CharField(
        label=_("Notes"),
        help_text=_(
            "Conditions, court, next date. No names, addresses or phone numbers: the victim's "
            "safe-contact instructions are on their contact plan"
        ),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, suspects: list[Any] = (), **kwargs: Any):  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        self.fields["suspect"].choices = [(p.pk, str(p)) for p in suspects]  # type: ignore[attr-defined]
        self.helper = _helper(
            Layout(
                Field.select("suspect"),
                Field.select("kind"),
                Field("occurred_at"),
                Field.text("occurred_at_time", field_width=5),
                Field.textarea("notes"),
            )
        )


class VictimInformedForm(DateTimeInputsMixin, forms.Form):
    """The victim was told of a bail or custody change."""

    datetime_inputs = ("at",)
    at, at_time = govuk_datetime_fields(
        _("Told at"),
        time_help=_("24-hour clock, for example 18:30. Leave the date and time empty for now."),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Layout(Field("at"), Field.text("at_time", field_width=5)))


class InspectorShiftForm(DateTimeInputsMixin, forms.Form):
    """A shift on the duty inspector rota: who, from, until (local time)."""

    datetime_inputs = ("starts_at", "ends_at")

    user: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Inspector"),
        queryset=None,
        error_messages={"required": _("Choose the inspector")},
    )
    starts_at, starts_at_time = govuk_datetime_fields(
        _("From"),
        required=True,
        time_label=_("Start time"),
        error_messages={"required": _("Enter the day, month and year the shift starts")},
    )
    ends_at, ends_at_time = govuk_datetime_fields(
        _("Until"),
        required=True,
        time_label=_("End time"),
        error_messages={"required": _("Enter the day, month and year the shift ends")},
    )

    def __init__(self, *args: Any, **kwargs: Any):
        from dapolice.accounts.models import User

        super().__init__(*args, **kwargs)
        field = cast("forms.ModelChoiceField[Any]", self.fields["user"])
        field.queryset = User.objects.filter(is_active=True).order_by("last_name", "first_name")
        self.helper = _helper(
            Layout(
                Field.select("user"),
                Field("starts_at"),
                Field.text("starts_at_time", field_width=5),
                Field("ends_at"),
                Field.text("ends_at_time", field_width=5),
            )
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The shift must end after it starts."))
        return data
