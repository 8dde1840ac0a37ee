"""The MASH API: the same selectors, services and policies as the HTML pages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from dapolice.access.api import ObjectPolicyApiMixin
from dapolice.accounts.models import Agency
from dapolice.common.http import AuthenticatedRequest
from mash import selectors, services
from mash.choices import ContactChannel, ContactOutcome, ReferralKind, ReferralStatus
from mash.models import Contact, MashCase, OwnershipPeriod, Referral
from risk.choices import Level

if TYPE_CHECKING:
    from dapolice.accounts.models import User

# --- Output -------------------------------------------------------------------------------------


class CaseOutput(serializers.ModelSerializer):
    incident_reference = serializers.CharField(source="incident.reference")

    class Meta:
        model = MashCase
        fields = [
            "id", "assessment", "incident", "incident_reference", "victim", "reason",
            "sample_percent", "dash_level", "level", "status", "team", "duty_officer",
            "arrived_at", "start_due_at", "due_at", "claimed_by", "claimed_at", "final_level",
            "level_reason", "assessed_by", "assessed_at", "plan_version", "owner", "owner_since",
            "offer_to", "offer_to_team", "offer_at",
        ]  # fmt: skip


class QueueRowOutput(serializers.Serializer):
    case = CaseOutput()
    why = serializers.CharField()
    deadline = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField()
    waited_minutes = serializers.SerializerMethodField()

    def get_waited_minutes(self, row: Any) -> int:
        return int(row.waited.total_seconds() // 60)


class OwnershipOutput(serializers.ModelSerializer):
    class Meta:
        model = OwnershipPeriod
        fields = ["owner", "started_at", "ended_at", "how", "offered_by", "note"]


class ReferralOutput(serializers.ModelSerializer):
    incident_reference = serializers.CharField(source="case.incident.reference")

    class Meta:
        model = Referral
        fields = [
            "id", "case", "incident_reference", "kind", "agency", "status", "made_by",
            "made_at", "due_at", "notes", "response_note", "responded_by", "responded_at",
        ]  # fmt: skip


class CaseDetailOutput(CaseOutput):
    ownership = serializers.SerializerMethodField()
    referrals = serializers.SerializerMethodField()

    class Meta(CaseOutput.Meta):
        fields = [*CaseOutput.Meta.fields, "assessment_notes", "ownership", "referrals"]

    def get_ownership(self, case: MashCase) -> list[dict[str, Any]]:
        return list(OwnershipOutput(self.context["detail"].ledger, many=True).data)

    def get_referrals(self, case: MashCase) -> list[dict[str, Any]]:
        return list(ReferralOutput(self.context["detail"].referrals, many=True).data)


def _detail(request: AuthenticatedRequest, case: MashCase, code: int = 200) -> Response:
    detail = selectors.case_detail(user=request.user, case=case)
    return Response(CaseDetailOutput(case, context={"detail": detail}).data, status=code)


# --- Endpoints ----------------------------------------------------------------------------------


class QueueApi(APIView):
    """The MASH queue (risk, then age), with the page's filters: ``level``, ``status``
    (``open`` by default), ``reason``, ``overdue``, ``team``; ``page``."""

    policy = "mash.queue"

    @extend_schema(responses=QueueRowOutput(many=True))
    def get(self, request: AuthenticatedRequest) -> Response:
        try:
            page = max(int(request.query_params.get("page", "1")), 1)
        except ValueError:
            page = 1
        queue = selectors.case_queue(user=request.user, data=request.query_params, page=page)
        return Response(QueueRowOutput(queue.rows, many=True).data)


class NextCaseApi(APIView):
    """Claim the highest-priority unclaimed item (400 ``empty`` when nothing waits)."""

    policy = "mash.queue"

    @extend_schema(request=None, responses=CaseDetailOutput)
    def post(self, request: AuthenticatedRequest) -> Response:
        case = services.case_claim_next(actor=request.user)
        return _detail(request, case)


class CaseDetailApi(ObjectPolicyApiMixin, APIView):
    policy = "mash.case.view"

    def select_object(self) -> MashCase:
        return selectors.case_get_for_user(
            user=cast("User", self.request.user), pk=self.kwargs["pk"]
        )

    @extend_schema(responses=CaseDetailOutput)
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        return _detail(request, self.get_object())


class CaseAssessApi(CaseDetailApi):
    """Record the secondary assessment (409 when someone else has the case)."""

    policy = "mash.case.work"

    class InputSerializer(serializers.Serializer):
        final_level = serializers.ChoiceField(choices=Level.choices)
        reason = serializers.CharField(allow_blank=True, default="", max_length=4000)
        notes = serializers.CharField(allow_blank=True, default="", max_length=8000)

    @extend_schema(request=InputSerializer, responses=CaseDetailOutput)
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        case = self.get_object()
        s = self.InputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        case = services.case_assess(actor=request.user, case=case, **s.validated_data)
        return _detail(request, case)


class ReferralCreateApi(CaseDetailApi):
    """Make a referral from a case (409 when one of the kind is already open)."""

    policy = "mash.case.work"

    class InputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=ReferralKind.choices)
        agency = serializers.PrimaryKeyRelatedField(
            queryset=Agency.objects.all(), allow_null=True, default=None
        )
        due_at = serializers.DateTimeField(allow_null=True, default=None)
        notes = serializers.CharField(allow_blank=True, default="", max_length=4000)

    @extend_schema(request=InputSerializer, responses={201: ReferralOutput})
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        case = self.get_object()
        s = self.InputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        referral = services.referral_make(actor=request.user, case=case, **s.validated_data)
        return Response(ReferralOutput(referral).data, status=status.HTTP_201_CREATED)


class OwnershipAcceptApi(CaseDetailApi):
    """Accept the handover on offer (409 when none is, or another person took it first)."""

    policy = "mash.ownership.accept"

    @extend_schema(request=None, responses=CaseDetailOutput)
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        case = services.ownership_accept(actor=request.user, case=self.get_object())
        return _detail(request, case)


class ReferralListApi(APIView):
    """Referrals the user may see: a partner's agency's, every one for MASH staff."""

    policy = "mash.referrals"

    @extend_schema(responses=ReferralOutput(many=True))
    def get(self, request: AuthenticatedRequest) -> Response:
        page = selectors.referral_list(user=request.user)
        return Response(ReferralOutput(list(page.object_list), many=True).data)


class ReferralRespondApi(ObjectPolicyApiMixin, APIView):
    """The agency's answer: accepted, declined (with a note) or completed."""

    policy = "mash.referral.respond"

    class InputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(
            choices=[s for s in ReferralStatus.choices if s[0] != ReferralStatus.MADE]
        )
        note = serializers.CharField(allow_blank=True, default="", max_length=4000)

    def select_object(self) -> Referral:
        return selectors.referral_get_for_user(
            user=cast("User", self.request.user), pk=self.kwargs["pk"]
        )

    @extend_schema(request=InputSerializer, responses=ReferralOutput)
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        referral = self.get_object()
        s = self.InputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        referral = services.referral_respond(
            actor=request.user, referral=referral, **s.validated_data
        )
        return Response(ReferralOutput(referral).data)


class ContactOutput(serializers.ModelSerializer):
    notes = serializers.SerializerMethodField()

    class Meta:
        model = Contact
        fields = ["id", "person", "case", "made_by", "agency", "at", "channel", "outcome", "notes"]

    def get_notes(self, contact: Contact) -> str:
        from mash.policies import sees_contact_notes

        return contact.notes if sees_contact_notes(self.context["user"], contact) else ""


class ContactListLogApi(ObjectPolicyApiMixin, APIView):
    """A victim's contacts (newest first) with the recent ones by others flagged; ``POST`` logs
    one (409 when someone else logged one after ``seen_up_to``)."""

    policy = "mash.contacts"

    class InputSerializer(serializers.Serializer):
        channel = serializers.ChoiceField(choices=ContactChannel.choices)
        outcome = serializers.ChoiceField(choices=ContactOutcome.choices)
        notes = serializers.CharField(allow_blank=True, default="", max_length=4000)
        seen_up_to = serializers.IntegerField(required=False, allow_null=True, default=None)

    def select_object(self) -> Any:
        return selectors.contact_person_get_for_user(
            user=cast("User", self.request.user), pk=self.kwargs["pk"]
        )

    @extend_schema(responses=ContactOutput(many=True))
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        screen = selectors.contact_screen(user=request.user, person=self.get_object())
        recent = {c.pk for c in screen.recent_by_others}
        rows = ContactOutput(screen.contacts, many=True, context={"user": request.user}).data
        return Response(
            [{**row, "recent_by_others": row["id"] in recent} for row in rows],
        )

    @extend_schema(request=InputSerializer, responses={201: ContactOutput})
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        person = self.get_object()
        s = self.InputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        contact = services.contact_log(actor=request.user, person=person, **s.validated_data)
        return Response(
            ContactOutput(contact, context={"user": request.user}).data,
            status=status.HTTP_201_CREATED,
        )
