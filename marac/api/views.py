"""The MARAC API: the same selectors, services and policies as the HTML pages. A partner's
endpoints return only what the pages show them (their agency's actions, no address, no
incident); another agency's case or action is 404."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from dapolice.access.api import ObjectPolicyApiMixin
from dapolice.accounts.models import Agency
from dapolice.common.http import AuthenticatedRequest, page_number
from marac import policies, selectors, services
from marac.choices import Criterion, ReportKind, RiskOutcome
from marac.inputs import ActionInput, Household
from marac.models import Action, MaracCase, Meeting, Research
from risk.choices import Level

if TYPE_CHECKING:
    from dapolice.accounts.models import User

# --- Output -------------------------------------------------------------------------------------


class MaracCaseOutput(serializers.ModelSerializer):
    """The minimum every reader of a case sees."""

    reference = serializers.CharField()
    victim_name = serializers.SerializerMethodField()
    meeting_at = serializers.DateTimeField(source="meeting.held_at", allow_null=True)

    class Meta:
        model = MaracCase
        fields = ["id", "reference", "victim_name", "status", "criteria", "is_repeat",
                  "meeting", "meeting_at"]  # fmt: skip

    def get_victim_name(self, case: MaracCase) -> str:
        return str(case.victim)


class CoordinatorCaseOutput(MaracCaseOutput):
    """What only the coordinator sees besides."""

    class Meta(MaracCaseOutput.Meta):
        fields = [
            *MaracCaseOutput.Meta.fields, "victim", "incident", "source", "referring_agency",
            "referred_at", "reason", "previous", "repeat_flagged_at", "children_count",
            "victim_male", "victim_16_17", "victim_lgbt", "victim_bme", "victim_disability",
            "agenda_position", "discussion", "discussed_at", "level_before", "level_after",
            "reassessment_requested_at", "reassessment", "outcome", "closed_at",
        ]  # fmt: skip


class ActionOutput(serializers.ModelSerializer):
    case_reference = serializers.CharField(source="case.reference")

    class Meta:
        model = Action
        fields = [
            "id", "case", "case_reference", "agency", "owner_name", "description", "done_means",
            "due_on", "status", "reported_at", "last_report", "done_at",
        ]  # fmt: skip


class ResearchOutput(serializers.ModelSerializer):
    class Meta:
        model = Research
        fields = ["id", "agency", "known_on", "summary", "recorded_by", "recorded_at"]


class MeetingOutput(serializers.ModelSerializer):
    class Meta:
        model = Meeting
        fields = ["id", "held_at", "cutoff_at", "venue", "status", "invited", "attended"]


def _case(user: User, case: MaracCase) -> dict[str, Any]:
    if policies.is_coordinator(user):
        return dict(CoordinatorCaseOutput(case).data)
    return dict(MaracCaseOutput(case).data)


# --- Cases --------------------------------------------------------------------------------------


class CaseListReferApi(APIView):
    """``GET``: cases the user may see (``status``: a status, ``all``, or open by default).
    ``POST``: refer a victim (a partner: one referred to their agency by the MASH)."""

    policies = {"get": "marac.cases", "post": "marac.refer"}

    class InputSerializer(serializers.Serializer):
        victim = serializers.IntegerField()
        criteria = serializers.ListField(child=serializers.ChoiceField(Criterion.choices))
        reason = serializers.CharField(max_length=4000)
        children_count = serializers.IntegerField(min_value=0, max_value=30, default=0)
        victim_male = serializers.BooleanField(default=False)
        victim_16_17 = serializers.BooleanField(default=False)
        victim_lgbt = serializers.BooleanField(default=False)
        victim_bme = serializers.BooleanField(default=False)
        victim_disability = serializers.BooleanField(default=False)

    @extend_schema(responses=MaracCaseOutput(many=True))
    def get(self, request: AuthenticatedRequest) -> Response:
        page = selectors.case_list(
            user=request.user,
            status=request.query_params.get("status", ""),
            page=page_number(request.query_params),
        )
        return Response([_case(request.user, c) for c in page.object_list])

    @extend_schema(request=InputSerializer, responses={201: MaracCaseOutput})
    def post(self, request: AuthenticatedRequest) -> Response:
        s = self.InputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        person = selectors.person_for_referral(user=request.user, pk=d["victim"])
        case = services.case_refer(
            actor=request.user,
            victim=person,
            criteria=d["criteria"],
            reason=d["reason"],
            household=Household(
                **{
                    k: d[k]
                    for k in (
                        "children_count",
                        "victim_male",
                        "victim_16_17",
                        "victim_lgbt",
                        "victim_bme",
                        "victim_disability",
                    )
                }  # fmt: skip
            ),
        )
        return Response(_case(request.user, case), status=status.HTTP_201_CREATED)


class CaseDetailApi(ObjectPolicyApiMixin, APIView):
    """One case with the research and the actions the user may see."""

    policy = "marac.case.view"

    def select_object(self) -> MaracCase:
        return selectors.case_get_for_user(
            user=cast("User", self.request.user), pk=self.kwargs["pk"]
        )

    def detail(self, request: AuthenticatedRequest, case: MaracCase, code: int = 200) -> Response:
        detail = selectors.case_detail(user=request.user, case=case)
        return Response(
            {
                **_case(request.user, case),
                "research": ResearchOutput(detail.research, many=True).data,
                "actions": ActionOutput([r.action for r in detail.actions], many=True).data,
            },
            status=code,
        )

    @extend_schema(responses=MaracCaseOutput)
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        return self.detail(request, self.get_object())


class ActionAddApi(CaseDetailApi):
    """Add an action to the plan (coordinator)."""

    policy = "marac.coordinate"

    class InputSerializer(serializers.Serializer):
        agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all())
        owner_name = serializers.CharField(allow_blank=True, default="", max_length=200)
        description = serializers.CharField(max_length=4000)
        done_means = serializers.CharField(max_length=4000)
        due_on = serializers.DateField()

    @extend_schema(request=InputSerializer, responses={201: ActionOutput})
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        case = self.get_object()
        s = self.InputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        action = services.action_add(
            actor=request.user,
            case=case,
            data=ActionInput(
                agency_id=d["agency"].pk,
                description=d["description"],
                done_means=d["done_means"],
                due_on=d["due_on"],
                owner_name=d["owner_name"],
            ),
        )
        return Response(ActionOutput(action).data, status=status.HTTP_201_CREATED)


class CaseReassessApi(CaseDetailApi):
    """Ask for the victim's risk to be re-assessed once every action is reported back on
    (400 ``unreported_actions`` before; 409 ``reassessment_requested`` while one is awaited)."""

    policy = "marac.coordinate"

    @extend_schema(request=None, responses=MaracCaseOutput)
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        case = services.case_request_reassessment(actor=request.user, case=self.get_object())
        return self.detail(request, case)


class CaseCloseApi(CaseDetailApi):
    """Close a discussed case (400 ``unreported_actions`` while any action is unreported)."""

    policy = "marac.coordinate"

    class InputSerializer(serializers.Serializer):
        level_after = serializers.ChoiceField(choices=Level.choices)
        outcome = serializers.ChoiceField(choices=RiskOutcome.choices)
        note = serializers.CharField(allow_blank=True, default="", max_length=4000)

    @extend_schema(request=InputSerializer, responses=MaracCaseOutput)
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        case = self.get_object()
        s = self.InputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        case = services.case_close(actor=request.user, case=case, **s.validated_data)
        return self.detail(request, case)


# --- Actions ------------------------------------------------------------------------------------


class ActionListApi(APIView):
    """Open actions the user may see, overdue first (a partner: their agency's only)."""

    policy = "marac.cases"

    @extend_schema(responses=ActionOutput(many=True))
    def get(self, request: AuthenticatedRequest) -> Response:
        tracker = selectors.tracker(user=request.user)
        rows = ActionOutput([r.action for r in tracker.rows], many=True).data
        overdue = {r.action.pk for r in tracker.rows if r.overdue}
        return Response([{**row, "overdue": row["id"] in overdue} for row in rows])


class ActionReportApi(ObjectPolicyApiMixin, APIView):
    """Report back on an action: ``done`` or an ``update`` (409 when already done)."""

    policy = "marac.action.report"

    class InputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=ReportKind.choices)
        note = serializers.CharField(max_length=4000)

    def select_object(self) -> Action:
        return selectors.action_get_for_user(
            user=cast("User", self.request.user), pk=self.kwargs["pk"]
        )

    @extend_schema(request=InputSerializer, responses=ActionOutput)
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        action = self.get_object()
        s = self.InputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        action = services.action_report(actor=request.user, action=action, **s.validated_data)
        return Response(ActionOutput(action).data)


# --- Meetings -----------------------------------------------------------------------------------


class MeetingListApi(APIView):
    """``GET``: meetings. ``POST``: schedule ``count`` meetings from ``first_at``."""

    policy = "marac.coordinate"

    class InputSerializer(serializers.Serializer):
        first_at = serializers.DateTimeField()
        count = serializers.IntegerField(min_value=1, max_value=26, default=1)
        venue = serializers.CharField(allow_blank=True, default="", max_length=200)
        invited = serializers.PrimaryKeyRelatedField(
            queryset=Agency.objects.all(), many=True, default=list
        )

    @extend_schema(responses=MeetingOutput(many=True))
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response(MeetingOutput(selectors.meeting_list(user=request.user), many=True).data)

    @extend_schema(request=InputSerializer, responses={201: MeetingOutput(many=True)})
    def post(self, request: AuthenticatedRequest) -> Response:
        s = self.InputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        made = services.meeting_schedule(actor=request.user, **s.validated_data)
        return Response(MeetingOutput(made, many=True).data, status=status.HTTP_201_CREATED)


class AgendaApi(ObjectPolicyApiMixin, APIView):
    """``GET``: the meeting's agenda; ``POST``: build it from the referrals made by the cut-off."""

    policy = "marac.coordinate"

    def select_object(self) -> Meeting:
        return selectors.meeting_get_for_user(
            user=cast("User", self.request.user), pk=self.kwargs["pk"]
        )

    def _agenda(self, request: AuthenticatedRequest, meeting: Meeting) -> Response:
        rows = selectors.agenda(user=request.user, meeting=meeting)
        return Response(
            [
                {
                    **_case(request.user, r.case),
                    "position": r.position,
                    "slot": r.slot,
                    "address": r.address,
                }  # fmt: skip
                for r in rows
            ]
        )

    @extend_schema(responses=MaracCaseOutput(many=True))
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        return self._agenda(request, self.get_object())

    @extend_schema(request=None, responses=MaracCaseOutput(many=True))
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        meeting = self.get_object()
        services.agenda_build(actor=request.user, meeting=meeting)
        return self._agenda(request, meeting)


class ReturnApi(APIView):
    """The quarterly MARAC data return (``year``, ``quarter``): counts only."""

    policy = "marac.return"

    @extend_schema(responses=None)
    def get(self, request: AuthenticatedRequest) -> Response:
        from django.utils import timezone

        from marac import rules

        year, quarter = rules.quarter_of(timezone.localdate())
        try:
            year = int(request.query_params.get("year", year))
            quarter = int(request.query_params.get("quarter", quarter))
            rules.quarter_bounds(year, quarter)
        except ValueError:
            return Response({"detail": "Give a year and a quarter 1 to 4."}, status=400)
        r = selectors.quarterly_return(user=request.user, year=year, quarter=quarter)
        data = {k: v for k, v in vars(r).items() if k != "referrals_by_agency"}
        data["referrals_by_agency"] = dict(r.referrals_by_agency)
        return Response(data)
