"""The call-intake API: the same selectors, services and policies as the HTML pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from dapolice.access.api import ObjectPolicyApiMixin
from dapolice.audit.api import AuditedListMixin
from dapolice.audit.services import batched
from dapolice.common.api import (
    PROBLEM_CONTENT_TYPE,
    CachedModelFieldsMixin,
    SharedFieldsMixin,
    problem,
)
from dapolice.common.errors import DomainError
from dapolice.common.http import AuthenticatedRequest
from dapolice.common.throttling import ResilientScopedRateThrottle
from incidents import selectors, services, validators
from incidents.choices import CustodyEventKind, MarkerKind, PersonRole, Relationship
from incidents.filters import IncidentFilter
from incidents.inputs import AddressInput, Checklist, IncidentInput, PersonInput, Thrive
from incidents.models import Address, CustodyEvent, Incident, Marker, Person
from incidents.policies import can_see_address_in_clear
from incidents.rules import call_start_problem
from incidents.validators import MAX_ID

# --- Output -------------------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "object",
        "properties": {
            "id": {"type": "integer", "nullable": True},
            "restricted": {"type": "boolean"},
            "text": {"type": "string"},
            "postcode": {"type": "string", "nullable": True},
            "rural": {"type": "boolean", "nullable": True},
        },
        "required": ["id", "restricted", "text", "postcode", "rural"],
    }
)
class AddressField(serializers.Field):
    """An address in clear only for a user entitled to see it; otherwise "Restricted address".

    A restricted address the user may not see in clear carries no id, postcode or rural flag:
    its id would let anyone correlate it across records (a typed address, a match's home) and
    so confirm a refuge (issue 7, probe findings 2 and 10). With ``incident`` in the context,
    a reveal granted for that incident counts (a reveal is for one incident only).
    """

    def __init__(self, **kwargs: Any):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Address) -> dict[str, Any]:
        user = self.context["request"].user
        clear = can_see_address_in_clear(user, value, incident=self.context.get("incident"))
        return {
            "id": value.pk if clear else None,
            "restricted": value.is_restricted,
            "text": value.full_text if clear else str(value),
            "postcode": value.postcode if clear else None,
            "rural": value.is_rural if clear else None,
        }


class FlagsSerializer(serializers.Serializer):
    repeat_victim = serializers.BooleanField()
    known_perpetrator = serializers.BooleanField()
    serial_perpetrator = serializers.BooleanField()
    victim_count = serializers.IntegerField()
    recent_incidents = serializers.IntegerField()
    highest_risk = serializers.CharField()
    recent_roles = serializers.ListField(child=serializers.CharField())
    markers = serializers.SerializerMethodField()

    def get_markers(self, flags: Any) -> list[str]:
        return [m.kind for m in flags.markers]


class PersonOutput(CachedModelFieldsMixin, serializers.ModelSerializer):
    address = AddressField(allow_null=True)  # a person may have no address on record
    names = serializers.SerializerMethodField()
    phones = serializers.SerializerMethodField()

    class Meta:
        model = Person
        fields = ["id", "given_name", "family_name", "date_of_birth", "address", "names", "phones"]

    def get_names(self, person: Person) -> list[dict[str, Any]]:
        return [
            {"given_name": n.given_name, "family_name": n.family_name, "primary": n.is_primary}
            for n in person.names.all()
        ]

    def get_phones(self, person: Person) -> list[str]:
        return [p.number for p in person.phones.all()]


class IncidentOutput(CachedModelFieldsMixin, serializers.ModelSerializer):
    category = serializers.CharField(source="category.code")
    location = AddressField()
    attended_within_target = serializers.BooleanField(read_only=True, allow_null=True)
    people = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id", "reference", "received_at", "status", "category", "target_minutes",
            "target_at", "deadline_at", "deferred_at", "deferral_reason", "victim_wishes",
            "dispatched_at", "dispatch_recorded_at", "arrived_at", "arrival_recorded_at",
            "attended_within_target", "risk_level",
            "relationship", "location", "location_is_rural", "immediate_risk", "injuries",
            "weapons", "children_present", "firearm_at_address", "happened_before",
            "happened_before_details", "victim_vulnerable", "vulnerability_details",
            "narrative", "people",
        ]  # fmt: skip

    def get_people(self, incident: Incident) -> list[dict[str, Any]]:
        people = self.context.get("people", {}).get(incident.pk)
        if people is None:
            return []
        return [
            {"person_id": ip.person_id, "role": ip.role, "is_caller": ip.is_caller} for ip in people
        ]


# --- Input --------------------------------------------------------------------------------------


class AddressInputSerializer(serializers.Serializer):
    house = serializers.CharField(max_length=80, allow_blank=True, default="")
    street = serializers.CharField(max_length=200, allow_blank=True, default="")
    town = serializers.CharField(max_length=100, allow_blank=True, default="")
    postcode = serializers.CharField(max_length=10, allow_blank=True, default="")
    is_rural = serializers.BooleanField(allow_null=True, default=None)


class PersonInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=PersonRole.choices)
    person_id = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=MAX_ID
    )
    given_name = serializers.CharField(max_length=100, allow_blank=True, default="")
    family_name = serializers.CharField(max_length=100, allow_blank=True, default="")
    aliases = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField(allow_blank=True, max_length=100),
                                    min_length=2, max_length=2),
        default=list,
    )  # fmt: skip
    date_of_birth = serializers.DateField(required=False, allow_null=True, default=None)
    phones = serializers.ListField(child=serializers.CharField(max_length=30), default=list)
    address = AddressInputSerializer(required=False, allow_null=True, default=None)
    lives_at_location = serializers.BooleanField(default=False)
    is_caller = serializers.BooleanField(default=False)


def _address_input(data: dict[str, Any] | None) -> AddressInput | None:
    return AddressInput(**data) if data else None


def _person_input(data: dict[str, Any]) -> PersonInput:
    return PersonInput(
        role=data["role"],
        person_id=data.get("person_id"),
        given_name=data.get("given_name", ""),
        family_name=data.get("family_name", ""),
        aliases=tuple((a[0], a[1]) for a in data.get("aliases", [])),
        date_of_birth=data.get("date_of_birth"),
        phones=tuple(data.get("phones", [])),
        address=_address_input(data.get("address")),
        lives_at_location=data.get("lives_at_location", False),
        is_caller=data.get("is_caller", False),
    )


_IDEMPOTENCY_KEY_REQUIRED = (
    "Send an idempotency_key: a new UUID (version 4) for each call you log, in the JSON body "
    '("idempotency_key": "...") or the Idempotency-Key header, and the same key again when you '
    "retry, so a retried request returns the incident already logged instead of a duplicate."
)


class IncidentListCreateApi(AuditedListMixin, generics.ListAPIView):
    """List incidents (filtered, paginated) or log a new one."""

    policies = {"get": "incidents.view", "post": "incidents.create"}
    serializer_class = IncidentOutput
    throttle_scope = "create"

    def get_throttles(self) -> list[Any]:
        # Creation is throttled (issue 7, finding 2); reading the list is not.
        return [ResilientScopedRateThrottle()] if self.request.method == "POST" else []

    filterset_class = IncidentFilter
    audit_list_action = "incidents.incident.listed"

    class InputSerializer(serializers.Serializer):
        idempotency_key = serializers.UUIDField(
            help_text="Required: a new UUID per call logged, the same one on every retry "
            "(or the Idempotency-Key header); without it the answer is 428."
        )
        received_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

        def validate_received_at(self, value: Any) -> Any:
            # A command-and-control system may send when the call began; not backdated further
            # than a call can last (the deadline runs from it).
            if value is not None:
                problem = call_start_problem(value)
                if problem:
                    raise serializers.ValidationError(problem)
            return value

        location = AddressInputSerializer()
        relationship = serializers.ChoiceField(choices=Relationship.choices)
        category = serializers.CharField(max_length=4)
        immediate_risk = serializers.BooleanField()
        injuries = serializers.BooleanField()
        weapons = serializers.BooleanField()
        children_present = serializers.BooleanField()
        firearm_at_address = serializers.BooleanField()
        happened_before = serializers.BooleanField()
        happened_before_details = serializers.CharField(allow_blank=True, default="")
        victim_vulnerable = serializers.BooleanField()
        vulnerability_details = serializers.CharField(allow_blank=True, default="")
        narrative = serializers.CharField(allow_blank=True, default="")
        thrive = serializers.DictField(child=serializers.CharField(allow_blank=True), default=dict)
        people = PersonInputSerializer(many=True)

    request: AuthenticatedRequest

    def get_queryset(self) -> Any:
        return selectors.incident_queryset(user=self.request.user)

    @extend_schema(request=InputSerializer, responses={201: IncidentOutput, 428: None})
    def post(self, request: AuthenticatedRequest) -> Response:
        # A client that retries after a timeout must not log the call twice: the key is required
        # (in the body or the Idempotency-Key header), or nothing is created (issue 13, item 5).
        body = request.data if isinstance(request.data, dict) else {}
        key = body.get("idempotency_key") or request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return Response(
                problem(
                    status.HTTP_428_PRECONDITION_REQUIRED,
                    _IDEMPOTENCY_KEY_REQUIRED,
                    errors={"idempotency_key": [_IDEMPOTENCY_KEY_REQUIRED]},
                ),
                status=status.HTTP_428_PRECONDITION_REQUIRED,
                content_type=PROBLEM_CONTENT_TYPE,
            )
        s = self.InputSerializer(data={**body, "idempotency_key": key})
        s.is_valid(raise_exception=True)
        d = s.validated_data
        data = IncidentInput(
            location=AddressInput(**d["location"]),
            relationship=d["relationship"],
            checklist=Checklist.from_mapping(d),
            category_code=d["category"],
            people=tuple(_person_input(p) for p in d["people"]),
            thrive=Thrive.from_mapping(d["thrive"]),
            narrative=d["narrative"],
            received_at=d["received_at"],
            idempotency_key=d["idempotency_key"],
        )
        incident = services.incident_create(actor=request.user, data=data)
        with batched():  # the reads' audit rows in one INSERT, before the response is built
            shown = selectors.incident_get_for_user(user=request.user, pk=incident.pk)
            people = selectors.incident_people(user=request.user, incident=shown)
        out = IncidentOutput(shown, context={"request": request, "people": {incident.pk: people}})
        return Response(out.data, status=status.HTTP_201_CREATED)


class _IncidentApi(ObjectPolicyApiMixin, APIView):
    """An endpoint on one incident: loaded through the selector, the view's policy on it."""

    request: AuthenticatedRequest

    def select_object(self) -> Incident:
        return selectors.incident_get_for_user(user=self.request.user, pk=self.kwargs["pk"])


class IncidentDetailApi(_IncidentApi):
    policy = "incidents.view"

    @extend_schema(responses=IncidentOutput)
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        detail = selectors.incident_detail(user=request.user, incident=self.get_object())
        out = IncidentOutput(
            detail.incident,
            context={
                "request": request,
                "people": {pk: detail.people},
                "incident": detail.incident,
            },
        )
        return Response(out.data)


class IncidentDeferApi(_IncidentApi):
    """Control-room supervisors only: defer attendance with a reason and the victim's wishes."""

    policy = "incidents.defer"

    class InputSerializer(serializers.Serializer):
        until = serializers.DateTimeField()
        reason = serializers.CharField()
        victim_wishes = serializers.CharField()

    @extend_schema(request=InputSerializer, responses=IncidentOutput)
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        incident = self.get_object()
        s = self.InputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        incident = services.incident_defer(
            actor=request.user, incident=incident, **s.validated_data
        )
        return Response(IncidentOutput(incident, context={"request": request}).data)


class IncidentArrivalApi(_IncidentApi):
    policy = "incidents.record_attendance"

    class InputSerializer(serializers.Serializer):
        at = serializers.DateTimeField(required=False, allow_null=True, default=None)
        reason = serializers.CharField(max_length=500, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses=IncidentOutput)
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        incident = self.get_object()
        s = self.InputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        incident = services.incident_record_arrival(
            actor=request.user,
            incident=incident,
            at=s.validated_data["at"],
            reason=s.validated_data["reason"],
        )
        return Response(IncidentOutput(incident, context={"request": request}).data)


# --- Bail, custody and release (recommendation 12) ----------------------------------------------


class CustodyEventOutput(serializers.ModelSerializer):
    class Meta:
        model = CustodyEvent
        fields = [
            "id", "incident", "suspect", "kind", "occurred_at", "notes", "recorded_by",
            "tell_victim_by", "victim_informed_at", "victim_informed_by",
        ]  # fmt: skip


class CustodyEventCreateApi(_IncidentApi):
    """A suspect's bail or custody change on an incident (attending officers, investigators,
    sergeants): the victim is to be told by ``tell_victim_by`` (Victims' Code) and a
    re-assessment task is raised, both as alerts to the victim's SPOC and the officer."""

    policy = "incidents.custody.record"
    throttle_classes = [ResilientScopedRateThrottle]
    throttle_scope = "create"

    class InputSerializer(serializers.Serializer):
        suspect = serializers.IntegerField(min_value=1, max_value=MAX_ID)
        kind = serializers.ChoiceField(choices=CustodyEventKind.choices)
        occurred_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
        notes = serializers.CharField(max_length=500, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses={201: CustodyEventOutput})
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        incident = self.get_object()
        s = self.InputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        suspect = next(
            (p for p in selectors.incident_suspects(incident=incident) if p.pk == d["suspect"]),
            None,
        )
        if suspect is None:
            raise DomainError(_("Choose a suspect of this incident."), field="suspect")
        event = services.custody_event_record(
            actor=request.user,
            incident=incident,
            suspect=suspect,
            kind=d["kind"],
            occurred_at=d["occurred_at"],
            notes=d["notes"],
        )
        return Response(CustodyEventOutput(event).data, status=status.HTTP_201_CREATED)


class CustodyVictimInformedApi(_IncidentApi):
    """Record that the victim was told of a bail or custody change (the SPOC may too)."""

    policy = "incidents.custody.inform"

    class InputSerializer(serializers.Serializer):
        at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    @extend_schema(request=InputSerializer, responses=CustodyEventOutput)
    def post(self, request: AuthenticatedRequest, pk: int, event_pk: int) -> Response:
        incident = self.get_object()
        s = self.InputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        event = selectors.custody_event_get_for_user(
            user=request.user, incident=incident, pk=event_pk
        )
        event = services.custody_victim_informed(
            actor=request.user, event=event, at=s.validated_data["at"]
        )
        return Response(CustodyEventOutput(event).data)


# --- Persons and markers --------------------------------------------------------------------


class PersonCreateApi(APIView):
    """Add a person to an open incident (a suspect, a child, another person present).

    Persons are never created on their own (issue 7, finding 2): each one belongs to a call, so
    typing an address is always part of an audited incident; throttled like every creation.
    """

    policy = "incidents.person.create"
    throttle_classes = [ResilientScopedRateThrottle]
    throttle_scope = "create"
    request: AuthenticatedRequest

    class InputSerializer(PersonInputSerializer):
        incident = serializers.IntegerField(min_value=1, max_value=MAX_ID)

    @extend_schema(request=InputSerializer, responses={201: PersonOutput})
    def post(self, request: AuthenticatedRequest) -> Response:
        s = self.InputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        incident = selectors.incident_get_for_user(
            user=request.user, pk=s.validated_data["incident"]
        )
        person = services.incident_add_person(
            actor=request.user, incident=incident, data=_person_input(s.validated_data)
        )
        shown = selectors.person_list(user=request.user, ids=[person.pk])[0]
        return Response(
            PersonOutput(shown, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class PersonDetailApi(ObjectPolicyApiMixin, APIView):
    policy = "incidents.match"
    request: AuthenticatedRequest

    def select_object(self) -> Person:
        return selectors.person_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    class OutputSerializer(PersonOutput):
        flags = serializers.SerializerMethodField()

        class Meta(PersonOutput.Meta):
            fields = [*PersonOutput.Meta.fields, "flags"]

        def get_flags(self, person: Person) -> dict[str, Any]:
            return dict(FlagsSerializer(self.context["flags"]).data)

    @extend_schema(responses=OutputSerializer)
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        person = self.get_object()
        flags = selectors.person_flags([person.pk], new_call=False)[person.pk]
        out = self.OutputSerializer(person, context={"request": request, "flags": flags})
        return Response(out.data)


class MatchedPersonOutput(PersonOutput):
    """A matched person with the names and phones the match already read (no query per row)."""

    def get_names(self, person: Person) -> list[dict[str, Any]]:
        row = self.context["rows"][person.pk]
        return [{"given_name": g, "family_name": f, "primary": p} for g, f, p in row.names]

    def get_phones(self, person: Person) -> list[str]:
        return list(self.context["rows"][person.pk].phones)


class PersonMatchApi(APIView):
    """Possible matches for a person being typed: the live panel's search, as JSON.

    A POST with a JSON body, not a GET: names, dates of birth and phone numbers never go into a
    URL, where access logs and proxies would keep them.
    """

    policy = "incidents.match"
    throttle_classes = [ResilientScopedRateThrottle]
    throttle_scope = "match"

    class InputSerializer(SharedFieldsMixin, serializers.Serializer):
        given_name = serializers.CharField(max_length=100, allow_blank=True, default="")
        family_name = serializers.CharField(max_length=100, allow_blank=True, default="")
        date_of_birth = serializers.DateField(required=False, allow_null=True, default=None)
        birth_year = serializers.IntegerField(
            required=False,
            allow_null=True,
            default=None,
            help_text="A year of birth known alone (a child's, say); ignored with a full date.",
        )
        phones = serializers.ListField(
            child=serializers.CharField(max_length=30), default=list, max_length=5
        )
        postcode = serializers.CharField(max_length=20, allow_blank=True, default="")
        house = serializers.CharField(max_length=80, allow_blank=True, default="")
        street = serializers.CharField(max_length=200, allow_blank=True, default="")
        town = serializers.CharField(max_length=100, allow_blank=True, default="")
        limit = serializers.IntegerField(min_value=1, max_value=20, default=5)

        def validate_birth_year(self, year: int | None) -> int | None:
            if year is not None:
                try:
                    validators.validate_birth_year(year)
                except DjangoValidationError as exc:
                    raise serializers.ValidationError(exc.messages) from exc
            return year

        def validate(self, data: dict[str, Any]) -> dict[str, Any]:
            if not (
                data["given_name"].strip()
                or data["family_name"].strip()
                or data["phones"]
                or data["date_of_birth"]
            ):
                raise serializers.ValidationError("Give a name, a phone number or a date of birth.")
            return data

    class OutputSerializer(serializers.Serializer):
        person = MatchedPersonOutput()
        score = serializers.FloatField()
        flagged = serializers.BooleanField()
        reasons = serializers.ListField(child=serializers.CharField())
        flags = FlagsSerializer()

    @extend_schema(request=InputSerializer, responses=OutputSerializer(many=True))
    def post(self, request: AuthenticatedRequest) -> Response:
        from incidents.matching.engine import MatchQuery

        s = self.InputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        query = MatchQuery(
            given_name=d["given_name"].strip(),
            family_name=d["family_name"].strip(),
            date_of_birth=d["date_of_birth"],
            birth_year=d["birth_year"],
            phones=tuple(p for p in d["phones"] if p.strip()),
            postcode=d["postcode"],
            house=d["house"],
            street=d["street"],
            town=d["town"],
        )
        result = selectors.person_match(
            user=request.user, query=query, limit=d["limit"], with_names_and_phones=True
        )
        return Response(match_rows_output(request.user, result.rows))


def _address_output(user: Any, address: Address | None) -> dict[str, Any] | None:
    """What :class:`AddressField` gives for ``address`` (no incident: a reveal never counts)."""
    if address is None:
        return None
    clear = can_see_address_in_clear(user, address)
    return {
        "id": address.pk if clear else None,
        "restricted": address.is_restricted,
        "text": address.full_text if clear else str(address),
        "postcode": address.postcode if clear else None,
        "rural": address.is_rural if clear else None,
    }


def match_rows_output(user: Any, rows: list[selectors.MatchRow]) -> list[dict[str, Any]]:
    """``PersonMatchApi.OutputSerializer(rows, many=True).data``, built directly: the search is
    sent on every keystroke, and DRF's field-by-field serialisation was a fifth of its CPU. The
    serializer stays the schema (OpenAPI); a test holds the two to the same output."""
    out = []
    for r in rows:
        person, flags = r.person, r.flags
        out.append(
            {
                "person": {
                    "id": person.pk,
                    "given_name": person.given_name,
                    "family_name": person.family_name,
                    "date_of_birth": (
                        person.date_of_birth.isoformat() if person.date_of_birth else None
                    ),
                    "address": _address_output(user, person.address),
                    "names": [
                        {"given_name": g, "family_name": f, "primary": p} for g, f, p in r.names
                    ],
                    "phones": list(r.phones),
                },
                "score": float(r.score),
                "flagged": bool(r.flagged),
                "reasons": [str(reason) for reason in r.reasons],
                "flags": {
                    "repeat_victim": bool(flags.repeat_victim),
                    "known_perpetrator": bool(flags.known_perpetrator),
                    "serial_perpetrator": bool(flags.serial_perpetrator),
                    "victim_count": int(flags.victim_count),
                    "recent_incidents": int(flags.recent_incidents),
                    "highest_risk": str(flags.highest_risk),
                    "recent_roles": [str(role) for role in flags.recent_roles],
                    "markers": [m.kind for m in flags.markers],
                },
            }
        )
    return out


class MarkerOutput(CachedModelFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = Marker
        fields = ["id", "kind", "person", "address", "note", "active", "created_at"]


class MarkerCreateApi(APIView):
    policy = "incidents.marker.create"
    throttle_classes = [ResilientScopedRateThrottle]
    throttle_scope = "create"

    class InputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=MarkerKind.choices)
        person = serializers.IntegerField(
            required=False, allow_null=True, default=None, min_value=1, max_value=MAX_ID
        )
        address = serializers.IntegerField(
            required=False, allow_null=True, default=None, min_value=1, max_value=MAX_ID
        )
        note = serializers.CharField(max_length=300, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses={201: MarkerOutput})
    def post(self, request: AuthenticatedRequest) -> Response:
        s = self.InputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        person = (
            selectors.person_get_for_user(user=request.user, pk=d["person"])
            if d["person"]
            else None
        )
        address = (
            selectors.address_get_for_user(user=request.user, pk=d["address"])
            if d["address"]
            else None
        )
        marker = services.marker_add(
            actor=request.user, kind=d["kind"], person=person, address=address, note=d["note"]
        )
        return Response(MarkerOutput(marker).data, status=status.HTTP_201_CREATED)
