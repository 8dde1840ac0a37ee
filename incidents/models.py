"""Call intake: persons, addresses, markers, incidents and who was involved in each.

Match keys (``*_key`` columns) are computed by ``incidents.matching`` in the services that write
these rows; they exist so candidate retrieval is an indexed lookup, never a scan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dapolice.common.models import BaseModel
from incidents.choices import (
    CustodyEventKind,
    IncidentStatus,
    MarkerKind,
    PersonRole,
    PhoneKind,
    Relationship,
    RiskLevel,
)
from incidents.validators import clean_postcode_area

if TYPE_CHECKING:
    from dapolice.accounts.models import User

# --- Configuration a force edits in the admin ---------------------------------------------------


class AttendanceCategory(models.Model):
    """An attendance grade and its target time from the call (THRIVE grading picks one).

    Seeded with A (15 minutes urban, 20 rural), B (1 hour) and C (4 hours); names and minutes
    vary by force, so they are rows, not code.
    """

    code = models.CharField(_("code"), max_length=4, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    urban_minutes = models.PositiveIntegerField(_("target minutes (urban)"))
    rural_minutes = models.PositiveIntegerField(_("target minutes (rural)"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("attendance category")
        verbose_name_plural = _("attendance categories")
        ordering = ["order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(urban_minutes__gt=0, rural_minutes__gt=0),
                name="attendance_minutes_positive",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.name}"

    def minutes_for(self, *, rural: bool) -> int:
        return self.rural_minutes if rural else self.urban_minutes


class RuralArea(models.Model):
    """A postcode district or sector treated as rural for attendance targets (e.g. ``NR21``)."""

    postcode_prefix = models.CharField(_("postcode district or sector"), max_length=8, unique=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("rural area")
        verbose_name_plural = _("rural areas")
        ordering = ["postcode_prefix"]

    def __str__(self) -> str:
        return self.postcode_prefix

    def clean(self) -> None:
        try:
            self.postcode_prefix = clean_postcode_area(self.postcode_prefix)
        except ValidationError as exc:
            raise ValidationError({"postcode_prefix": exc.messages}) from None


# --- Places and people ---------------------------------------------------------------------------


class AddressQuerySet(models.QuerySet["Address"]):
    def visible_to(self, user: User) -> AddressQuerySet:
        from incidents.policies import address_visibility

        return self.filter(address_visibility(user))


class Address(BaseModel):
    """A place: a victim's home, an incident location, a refuge.

    A restricted (refuge or safe) address is never shown in clear to anyone who is not entitled;
    its text is shown only through the ``address_for`` filter after ``address_reveal``.
    """

    house = models.CharField(_("house number or name"), max_length=80, blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    locality = models.CharField(_("locality"), max_length=100, blank=True)
    town = models.CharField(_("town or city"), max_length=100, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    postcode_key = models.CharField(max_length=8, blank=True, editable=False)
    house_key = models.CharField(max_length=40, blank=True, editable=False)
    is_rural = models.BooleanField(_("rural location"), default=False)
    is_restricted = models.BooleanField(_("restricted (refuge or safe) address"), default=False)

    objects = AddressQuerySet.as_manager()

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        constraints = [
            # One row per dwelling (postcode + house number): concurrent calls typing a new
            # address get one row (``address_get_or_create``), so no twin escapes a restriction.
            models.UniqueConstraint(
                fields=["postcode_key", "house_key"],
                condition=~Q(postcode_key="") & ~Q(house_key=""),
                name="address_one_per_dwelling",
            ),
        ]
        indexes = [
            models.Index(fields=["postcode_key", "house_key"], name="address_key_idx"),
            # The matching engine reads each candidate's address keys from this index alone
            # (an index-only scan), not from the table: one page per candidate, not two.
            models.Index(
                fields=["id", "postcode_key", "house_key", "is_restricted"],
                name="address_match_idx",
            ),
        ]

    def __str__(self) -> str:
        if self.is_restricted:
            return str(_("Restricted address"))
        return self.full_text

    @property
    def full_text(self) -> str:
        """The address in clear. Templates use the ``address_for`` filter, which checks policy."""
        # "14 Magdalen Road", but "Rose Cottage, Church Lane" (UK convention).
        if self.house[:1].isdigit() and self.street:
            first = f"{self.house} {self.street}"
        else:
            first = ", ".join(p for p in (self.house, self.street) if p)
        parts = (first, self.locality, self.town, self.postcode)
        return ", ".join(p for p in parts if p)


class PersonQuerySet(models.QuerySet["Person"]):
    def visible_to(self, user: User) -> PersonQuerySet:
        from incidents.policies import person_visibility

        return self.filter(person_visibility(user))


class Person(BaseModel):
    """Someone involved in domestic abuse incidents: victim, suspect, child, other or caller.

    Names (the primary one and every alias) are ``PersonName`` rows, which carry the match keys;
    ``given_name``/``family_name`` here repeat the primary name for display.
    """

    given_name = models.CharField(_("given name"), max_length=100, blank=True)
    family_name = models.CharField(_("family name"), max_length=100, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    #: When only the year is known (a child's often is, on the phone); never with a full date.
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    address = models.ForeignKey(
        Address,
        verbose_name=_("current address"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="residents",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        indexes = [
            models.Index(fields=["date_of_birth"], name="person_dob_idx"),
            # The matching engine reads each candidate's date of birth (or year of birth
            # alone) and address from this index alone (an index-only scan), not from the
            # table: one page per candidate, not two (at a million persons the largest share of
            # what a search reads).
            models.Index(
                fields=["id", "date_of_birth", "address", "birth_year"],
                name="person_match_year_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}".strip() or f"Person #{self.pk}"


class PersonName(models.Model):
    """A name a person is known by (primary or alias), with its match keys."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="names")
    given_name = models.CharField(_("given name"), max_length=100, blank=True)
    family_name = models.CharField(_("family name"), max_length=100, blank=True)
    is_primary = models.BooleanField(default=False)
    # Keys computed by incidents.matching.keys.name_keys
    dob_key = models.DateField(null=True, blank=True, editable=False)
    given_norm = models.CharField(max_length=100, blank=True, editable=False)
    given_canon = models.CharField(max_length=100, blank=True, editable=False)
    given_phon = models.CharField(max_length=12, blank=True, editable=False)
    family_norm = models.CharField(max_length=100, blank=True, editable=False)
    family_phon = models.CharField(max_length=12, blank=True, editable=False)
    family_phon_alt = models.CharField(max_length=12, blank=True, editable=False)

    class Meta:
        verbose_name = _("name")
        verbose_name_plural = _("names")
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(is_primary=True), name="one_primary_name"
            )
        ]
        indexes = [
            models.Index(fields=["family_phon", "given_phon"], name="name_phon_idx"),
            models.Index(fields=["family_phon_alt", "given_phon"], name="name_phon_alt_idx"),
            models.Index(fields=["family_norm", "given_canon"], name="name_norm_idx"),
            # Blocks of incidents.matching.engine: date of birth (exact or a typed variant) with
            # a surname or a given name that sounds alike; a surname typed with a typo. The
            # name leads: no index on this table starts with dob_key, so PostgreSQL reads the
            # block as one probe of the pair (name IN .. AND dob_key IN ..) rather than ANDing a
            # bitmap of everyone born on those days with one of everyone with the surname.
            models.Index(fields=["family_phon", "dob_key"], name="name_family_dob_idx"),
            models.Index(fields=["given_phon", "dob_key"], name="name_given_dob_idx"),
            models.Index(fields=["given_canon", "family_norm"], name="name_canon_family_idx"),
            # The engine's family_trigram block: the surname's trigrams keyed by the given
            # name (``linda:hol``; SQL functions of migration 0014, PostgreSQL only): a surname
            # mistyped in its first letters (Xmith, Cmith) that no sound code or prefix
            # reaches, read from the entries of the given names typed alone.
            GinIndex(
                models.Func(
                    models.F("given_canon"),
                    models.F("family_norm"),
                    function="dapolice_name_trigrams",
                    output_field=ArrayField(models.TextField()),
                ),
                name="name_keyed_trgm_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


class PersonPhone(models.Model):
    """A phone number, stored in E.164 (``phonenumbers``) so formatting never hides a match."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("number (E.164)"), max_length=20, db_index=True)
    kind = models.CharField(max_length=10, choices=PhoneKind.choices, default=PhoneKind.MOBILE)
    is_safe_contact = models.BooleanField(_("safe contact number"), default=False)

    class Meta:
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")
        constraints = [
            models.UniqueConstraint(fields=["person", "number"], name="person_phone_unique")
        ]
        indexes = [
            # The matching engine reads a candidate's numbers and their kinds from this index
            # alone (an index-only scan) when a number is typed, not from the table.
            models.Index(fields=["person", "number", "kind"], name="phone_match_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class MarkerQuerySet(models.QuerySet["Marker"]):
    def active(self) -> MarkerQuerySet:
        return self.filter(active=True)


class Marker(BaseModel):
    """A warning marker on a person or an address (firearm certificate, treat as emergency...)."""

    kind = models.CharField(_("kind"), max_length=32, choices=MarkerKind.choices)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="markers"
    )
    address = models.ForeignKey(
        Address, null=True, blank=True, on_delete=models.CASCADE, related_name="markers"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = MarkerQuerySet.as_manager()

    class Meta:
        verbose_name = _("warning marker")
        verbose_name_plural = _("warning markers")
        constraints = [
            models.CheckConstraint(
                condition=(Q(person__isnull=False) & Q(address__isnull=True))
                | (Q(person__isnull=True) & Q(address__isnull=False)),
                name="marker_on_person_or_address",
            )
        ]

    def __str__(self) -> str:
        return str(self.get_kind_display())


# --- Incidents -----------------------------------------------------------------------------------


#: Labels by value, built once (lazy: translated when shown).
_LABELS: dict[type[models.TextChoices], dict[str, Any]] = {
    IncidentStatus: dict(IncidentStatus.choices),
    RiskLevel: dict(RiskLevel.choices),
}


def _label(choices: type[models.TextChoices], value: str) -> str:
    """The label of ``value`` in ``choices`` (the value itself when not one of them, as Django)."""
    label = _LABELS[choices].get(value)
    return value if label is None else str(label)


class IncidentQuerySet(models.QuerySet["Incident"]):
    def visible_to(self, user: User) -> IncidentQuerySet:
        from incidents.policies import incident_visibility

        return self.filter(incident_visibility(user))


class Incident(BaseModel):
    """A domestic abuse call, logged while the caller is on the line.

    ``target_at`` is the grade's deadline from the call (received + category minutes, urban or
    rural); ``deadline_at`` is the deadline in force: the target, or a supervisor's deferral.
    Both are plain indexed columns so the control-room board and the attendance sweep are
    index scans.
    """

    reference = models.CharField(_("reference"), max_length=24, unique=True, null=True)
    received_at = models.DateTimeField(_("call received"), db_index=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("call taker"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    location = models.ForeignKey(
        Address, verbose_name=_("location"), on_delete=models.PROTECT, related_name="incidents"
    )
    location_is_rural = models.BooleanField(_("rural location"), default=False)
    relationship = models.CharField(
        _("relationship of victim to suspect"), max_length=16, choices=Relationship.choices
    )
    narrative = models.TextField(_("what happened"), blank=True)

    # The call taker's checklist (HMIC: the last two were missing; both are here).
    immediate_risk = models.BooleanField(_("immediate risk of harm"))
    injuries = models.BooleanField(_("injuries"))
    weapons = models.BooleanField(_("weapons involved or threatened"))
    children_present = models.BooleanField(_("children present"))
    firearm_at_address = models.BooleanField(_("firearm at the address"))
    happened_before = models.BooleanField(_("has this happened before"))
    happened_before_details = models.TextField(
        _("before: when and where (also elsewhere or unreported)"), blank=True
    )
    victim_vulnerable = models.BooleanField(_("victim particularly vulnerable"))
    vulnerability_details = models.TextField(_("vulnerability"), blank=True)

    # THRIVE grading
    thrive_threat = models.TextField(_("threat"), blank=True)
    thrive_harm = models.TextField(_("harm"), blank=True)
    thrive_risk = models.TextField(_("risk"), blank=True)
    thrive_investigation = models.TextField(_("investigation"), blank=True)
    thrive_vulnerability = models.TextField(_("vulnerability"), blank=True)
    thrive_engagement = models.TextField(_("engagement"), blank=True)
    category = models.ForeignKey(
        AttendanceCategory,
        verbose_name=_("attendance category"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    target_minutes = models.PositiveIntegerField(_("target minutes"))
    target_at = models.DateTimeField(_("attendance target"))
    deadline_at = models.DateTimeField(_("attendance deadline"), db_index=True)

    # Deferral past the deadline: control-room supervisor only (HMIC recommendation 2).
    deferred_at = models.DateTimeField(_("deferred at"), null=True, blank=True)
    deferred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    deferral_reason = models.TextField(_("reason for deferral"), blank=True)
    victim_wishes = models.TextField(_("victim's wishes"), blank=True)

    # Attendance
    status = models.CharField(
        _("status"), max_length=12, choices=IncidentStatus.choices, default=IncidentStatus.AWAITING
    )
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    attending_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("attending officer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    arrived_at = models.DateTimeField(_("officer arrived at"), null=True, blank=True)
    # The time claimed (above) and the time it was recorded are both kept: a claim more than
    # DAPOLICE_ATTENDANCE_BACKDATE_MINUTES before its recording needs a supervisor and a reason
    # (issue 7, finding 8), recorded here and in the audit row.
    dispatch_recorded_at = models.DateTimeField(_("dispatch recorded at"), null=True, blank=True)
    dispatch_time_reason = models.TextField(
        _("why the dispatch time is earlier"), blank=True, default=""
    )
    arrival_recorded_at = models.DateTimeField(_("arrival recorded at"), null=True, blank=True)
    arrival_time_reason = models.TextField(
        _("why the arrival time is earlier"), blank=True, default=""
    )

    risk_level = models.CharField(
        _("risk level"), max_length=10, choices=RiskLevel.choices, blank=True, default=""
    )
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        permissions = [
            ("defer_incident", "Can defer attendance past the deadline"),
            ("record_attendance", "Can record dispatch and arrival"),
            ("reveal_restricted_address", "Can reveal a restricted address (break-glass)"),
        ]
        indexes = [
            models.Index(
                fields=["deadline_at"],
                name="incident_open_deadline_idx",
                condition=Q(status__in=["awaiting", "dispatched"]),
            ),
            # The list page sorted by risk (four values): the id orders within one, both ways.
            models.Index(fields=["risk_level", "id"], name="incident_risk_sort_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(deferred_at__isnull=True)
                | (~Q(deferral_reason="") & ~Q(victim_wishes="")),
                name="incident_deferral_has_reason_and_wishes",
            ),
            models.CheckConstraint(
                condition=Q(arrived_at__isnull=True) | Q(arrived_at__gte=models.F("received_at")),
                name="incident_arrival_after_call",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or f"Incident #{self.pk}"

    # Django's generated get_<field>_display rebuilds the choices dict (make_hashable) on every
    # call: a list page of 50 incidents spent more on that than on its queries (issue 8, item 9).
    def get_status_display(self) -> str:  # type: ignore[no-redef]
        return _label(IncidentStatus, self.status)

    def get_risk_level_display(self) -> str:  # type: ignore[no-redef]
        return _label(RiskLevel, self.risk_level)

    @property
    def attended_within_target(self) -> bool | None:
        """None until an officer arrives; then whether they arrived by the grade's target."""
        if self.arrived_at is None:
            return None
        return self.arrived_at <= self.target_at

    @property
    def is_open(self) -> bool:
        return self.status in (IncidentStatus.AWAITING, IncidentStatus.DISPATCHED)


class IncidentPerson(models.Model):
    """A person's part in an incident. The caller is marked on whichever row is theirs."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="people")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="involvements")
    role = models.CharField(_("role"), max_length=10, choices=PersonRole.choices)
    is_caller = models.BooleanField(_("caller"), default=False)
    # Denormalised from the incident so "victim in the last 12 months" is one index range scan.
    received_at = models.DateTimeField()

    class Meta:
        verbose_name = _("person in an incident")
        verbose_name_plural = _("people in incidents")
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "person", "role"], name="incident_person_role_unique"
            )
        ]
        indexes = [
            models.Index(fields=["person", "role", "received_at"], name="involvement_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} in {self.incident_id}"


class IncidentCallQuerySet(models.QuerySet["IncidentCall"]):
    def visible_to(self, user: User) -> IncidentCallQuerySet:
        from incidents.policies import incident_visibility

        return self.filter(incident__in=Incident.objects.filter(incident_visibility(user)))


class IncidentCall(models.Model):
    """A further call about an incident already open: logged on it, not as a second incident
    (the intake page offers it when the address or a person has an open incident)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="calls")
    received_at = models.DateTimeField(_("call received"))
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("call taker"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("what the caller said"), blank=True)
    # The intake page's key: sending the same page twice logs the call once.
    idempotency_key = models.UUIDField(unique=True, editable=False)

    objects = IncidentCallQuerySet.as_manager()

    class Meta:
        verbose_name = _("further call")
        verbose_name_plural = _("further calls")
        ordering = ["received_at", "pk"]

    def __str__(self) -> str:
        return f"Call on {self.incident_id}"


class IncidentOfficer(models.Model):
    """An officer attached to an incident: named at dispatch (one or several), or the attending
    officer who recorded their own arrival. "An officer can only assess incidents they are
    attached to" reads these (``incidents.selectors.incident_officer_ids``).

    ``Incident.attending_officer`` stays the first officer named, for display and the board.
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="officers")
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("officer"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    attached_at = models.DateTimeField(_("attached at"))
    attached_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("officer at an incident")
        verbose_name_plural = _("officers at incidents")
        constraints = [
            models.UniqueConstraint(fields=["incident", "officer"], name="incident_officer_unique")
        ]
        indexes = [models.Index(fields=["officer", "incident"], name="incident_officer_idx")]

    def __str__(self) -> str:
        return f"{self.officer_id} at {self.incident_id}"


class AddressRevealQuerySet(models.QuerySet["AddressReveal"]):
    def visible_to(self, user: User) -> AddressRevealQuerySet:
        from incidents.policies import can_review_reveals

        return self if can_review_reveals(user) else self.none()


class AddressReveal(models.Model):
    """A break-glass reveal of a restricted address for one incident, waiting for a second
    person to sign it off (issue 7, finding 4). The grant itself is the ``access.break_glass``
    audit row; this row is the review queue's item."""

    class Outcome(models.TextChoices):
        JUSTIFIED = "justified", _("Justified")
        NOT_JUSTIFIED = "not_justified", _("Not justified: referred to professional standards")

    address = models.ForeignKey(Address, on_delete=models.PROTECT, related_name="+")
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="reveals")
    revealed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    revealed_at = models.DateTimeField(_("revealed at"))
    reason = models.TextField(_("reason given"))
    #: The revealer logged the incident themselves (a fresh incident of their own: look closer).
    own_incident = models.BooleanField(_("on an incident they logged"), default=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    review_note = models.TextField(_("review note"), blank=True)

    objects = AddressRevealQuerySet.as_manager()

    class Meta:
        verbose_name = _("address reveal")
        verbose_name_plural = _("address reveals")
        constraints = [
            models.CheckConstraint(
                condition=Q(reviewed_by__isnull=True) | ~Q(reviewed_by=models.F("revealed_by")),
                name="reveal_reviewed_by_someone_else",
            ),
            models.CheckConstraint(
                condition=(Q(reviewed_at__isnull=True) & Q(outcome=""))
                | (Q(reviewed_at__isnull=False) & ~Q(outcome="")),
                name="reveal_review_has_outcome",
            ),
        ]
        indexes = [
            models.Index(
                fields=["revealed_at"],
                name="reveal_pending_idx",
                condition=Q(reviewed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"Reveal #{self.pk} on {self.incident_id}"


class StaffExclusionQuerySet(models.QuerySet["StaffExclusion"]):
    def active(self) -> StaffExclusionQuerySet:
        return self.filter(removed_at__isnull=True)


class StaffExclusion(models.Model):
    """A member of staff who must not see a record: a person (and so every incident they are
    in) or one incident. For staff related to the parties, or a police employee who is a party
    (issue 7, "Must-not-see lists"). They get 404 everywhere: pages, API, search, match panel.
    Added and removed (never deleted) through ``incidents.services``, audited."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="exclusions"
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"))
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(_("added at"))
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    objects = StaffExclusionQuerySet.as_manager()

    class Meta:
        verbose_name = _("must-not-see entry")
        verbose_name_plural = _("must-not-see list")
        constraints = [
            models.CheckConstraint(
                condition=(Q(person__isnull=False) & Q(incident__isnull=True))
                | (Q(person__isnull=True) & Q(incident__isnull=False)),
                name="exclusion_person_or_incident",
            ),
        ]
        indexes = [
            models.Index(
                fields=["user", "person", "incident"],
                name="exclusion_active_idx",
                condition=Q(removed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        what = f"person {self.person_id}" if self.person_id else f"incident {self.incident_id}"
        return f"User {self.user_id} must not see {what}"


# --- Bail, custody and release (HMIC recommendation 12) -----------------------------------------


class CustodyEventQuerySet(models.QuerySet["CustodyEvent"]):
    def visible_to(self, user: User) -> CustodyEventQuerySet:
        from incidents.policies import incident_visibility

        return self.filter(incident__in=Incident.objects.filter(incident_visibility(user)))


class CustodyEvent(BaseModel):
    """A change in a suspect's bail or custody, recorded by the police on an incident: bail
    granted, varied or cancelled, charged and remanded, released from custody or from prison.

    Recording one sets, in its transaction, the deadline to tell the victim (Victims' Code,
    ``DAPOLICE_CUSTODY_TELL_VICTIM_WORKING_DAYS``) and a re-assessment task; recording that the
    victim was told cancels the first. ``notes`` are operational (conditions, court, dates): no
    names, addresses or phone numbers, which alerts and e-mails never carry either.
    """

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="custody"
    )
    suspect = models.ForeignKey(
        Person, verbose_name=_("suspect"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("what happened"), max_length=20, choices=CustodyEventKind.choices)
    occurred_at = models.DateTimeField(_("when"))
    notes = models.CharField(_("notes"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    tell_victim_by = models.DateTimeField(_("tell the victim by"))
    victim_informed_at = models.DateTimeField(_("victim informed at"), null=True, blank=True)
    victim_informed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("victim informed by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip

    objects = CustodyEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("bail or custody event")
        verbose_name_plural = _("bail and custody events")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(victim_informed_at__isnull=True, victim_informed_by__isnull=True)
                | Q(victim_informed_at__isnull=False, victim_informed_by__isnull=False),
                name="custody_informed_whole",
            ),
        ]
        indexes = [models.Index(fields=["incident", "occurred_at"], name="custody_incident_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on incident {self.incident_id}"


class DutyInspectorShift(models.Model):
    """Who is the duty inspector from when until when: an unattended incident's escalation goes
    to them (``DAPOLICE_DUTY_INSPECTOR_ROLE`` when nobody is on duty). A shift covers
    ``[starts_at, ends_at)``. Added and ended by supervisors and administrators through
    ``incidents.services``, audited."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("inspector"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("duty inspector shift")
        verbose_name_plural = _("duty inspector rota")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="inspector_shift_ends_after"
            )
        ]
        indexes = [models.Index(fields=["starts_at", "ends_at"], name="inspector_shift_idx")]

    def __str__(self) -> str:
        return f"Duty inspector {self.user_id} {self.starts_at:%d %b %H:%M}"
