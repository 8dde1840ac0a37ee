"""The risk API: the same selectors, services and policies as the HTML pages."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dapolice.accounts.models import User
from dapolice.audit.api import AuditedListMixin
from incidents.selectors import incident_get_for_user
from risk import selectors, services
from risk.choices import Answer, Decision, Level
from risk.inputs import AssessmentInput
from risk.models import Assessment, Instrument

# --- Output -------------------------------------------------------------------------------------


class QuestionOutput(serializers.Serializer):
    key = serializers.CharField()
    number = serializers.CharField()
    text = serializers.CharField()
    hint = serializers.CharField()
    counts = serializers.BooleanField()
    standalone_high = serializers.BooleanField()


class SectionOutput(serializers.Serializer):
    title = serializers.CharField()
    supplement = serializers.CharField()
    trigger = serializers.JSONField()
    questions = QuestionOutput(many=True, source="questions.all")


class InstrumentOutput(serializers.ModelSerializer):
    sections = serializers.SerializerMethodField()

    class Meta:
        model = Instrument
        fields = ["id", "code", "version", "name", "audience", "description", "sections"]

    def get_sections(self, instrument: Instrument) -> list[dict[str, Any]]:
        return list(SectionOutput(selectors.instrument_sections(instrument), many=True).data)


class AssessmentSummaryOutput(serializers.ModelSerializer):
    incident_reference = serializers.CharField(source="incident.reference")
    instrument = serializers.CharField(source="instrument.code")
    instrument_version = serializers.CharField(source="instrument.version")
    level = serializers.CharField()

    class Meta:
        model = Assessment
        fields = [
            "id", "incident", "incident_reference", "victim", "instrument", "instrument_version",
            "author", "status", "score", "suggested_level", "officer_level", "level_set_by",
            "final_level", "reviewed_by", "reviewed_at", "submitted_at", "review_due_at",
            "level", "children_present",
        ]  # fmt: skip


class CriterionOutput(serializers.Serializer):
    code = serializers.CharField()
    met = serializers.BooleanField()
    reason = serializers.CharField()


class AssessmentDetailOutput(AssessmentSummaryOutput):
    answers = serializers.SerializerMethodField()
    missing = serializers.SerializerMethodField()
    standalone_high = serializers.SerializerMethodField()
    marac_criteria = CriterionOutput(many=True)
    reviews = serializers.SerializerMethodField()

    class Meta(AssessmentSummaryOutput.Meta):
        fields = [
            *AssessmentSummaryOutput.Meta.fields, "officer_rationale", "honour_concern",
            "children_details", "safety_alarm", "safety_phone", "safety_marker", "safety_arrest",
            "safety_removal", "safety_referral", "safety_plan", "evidence_bwv",
            "evidence_photos", "evidence_999", "evidence_witnesses", "evidence_notes",
            "answers", "missing", "standalone_high", "marac_criteria", "reviews",
        ]  # fmt: skip

    def _view(self) -> Any:
        return self.context["view"]

    def get_answers(self, a: Assessment) -> list[dict[str, Any]]:
        return [
            {"key": r.question.key, "number": r.question.number, "value": r.value,
             "notes": r.notes, "section_open": s.open}
            for s in self._view().sections for r in s.rows
        ]  # fmt: skip

    def get_missing(self, a: Assessment) -> list[dict[str, str]]:
        return [{"field": m.field, "message": m.message} for m in self._view().missing]

    def get_standalone_high(self, a: Assessment) -> list[str]:
        return [q.key for q in self._view().standalone]

    def get_reviews(self, a: Assessment) -> list[dict[str, Any]]:
        return [
            {"decision": r.decision, "level": r.level, "reason": r.reason,
             "reviewer": r.reviewer_id, "decided_at": r.decided_at}
            for r in self._view().reviews
        ]  # fmt: skip


def _detail(request: Request, assessment: Assessment, code: int = status.HTTP_200_OK) -> Response:
    view = selectors.assessment_view(assessment)
    out = AssessmentDetailOutput(view.assessment, context={"request": request, "view": view})
    return Response(out.data, status=code)


# --- Input --------------------------------------------------------------------------------------


class AnswerInput(serializers.Serializer):
    key = serializers.CharField(max_length=40)
    value = serializers.ChoiceField(choices=list(Answer.values), allow_blank=True)
    notes = serializers.CharField(allow_blank=True, default="", max_length=2000)


class AssessmentInputSerializer(serializers.Serializer):
    answers = AnswerInput(many=True, default=list)
    officer_level = serializers.ChoiceField(choices=Level.choices, allow_blank=True, default="")
    officer_rationale = serializers.CharField(allow_blank=True, default="", max_length=4000)
    honour_concern = serializers.BooleanField(default=False)
    children_present = serializers.ChoiceField(
        choices=["", "yes", "no", "not_known"], allow_blank=True, default=""
    )
    children_details = serializers.CharField(allow_blank=True, default="")
    safety_alarm = serializers.BooleanField(default=False)
    safety_phone = serializers.BooleanField(default=False)
    safety_marker = serializers.BooleanField(default=False)
    safety_arrest = serializers.BooleanField(default=False)
    safety_removal = serializers.BooleanField(default=False)
    safety_referral = serializers.BooleanField(default=False)
    safety_plan = serializers.CharField(allow_blank=True, default="")
    evidence_bwv = serializers.BooleanField(default=False)
    evidence_photos = serializers.BooleanField(default=False)
    evidence_999 = serializers.BooleanField(default=False)
    evidence_witnesses = serializers.BooleanField(default=False)
    evidence_notes = serializers.CharField(allow_blank=True, default="", max_length=4000)

    def to_input(self) -> AssessmentInput:
        d = dict(self.validated_data)
        answers = {a["key"]: (a["value"], a["notes"]) for a in d.pop("answers")}
        return AssessmentInput.from_mapping(d, answers=answers)


# --- Endpoints ----------------------------------------------------------------------------------


class InstrumentListApi(APIView):
    """The checklists offered for new assessments, with their sections and questions."""

    policy = "risk.view"

    @extend_schema(responses=InstrumentOutput(many=True))
    def get(self, request: Request) -> Response:
        return Response(InstrumentOutput(selectors.instruments_offered(), many=True).data)


class AssessmentListStartApi(AuditedListMixin, generics.ListAPIView):
    """List visible assessments (paginated, audited) or start one for an incident."""

    policies = {"get": "risk.view", "post": "risk.dash.start"}
    serializer_class = AssessmentSummaryOutput
    audit_list_action = "risk.assessment.listed"

    class InputSerializer(serializers.Serializer):
        incident = serializers.IntegerField()
        instrument = serializers.CharField(max_length=40, required=False, default="")

    def get_queryset(self) -> Any:
        return (
            Assessment.objects.visible_to(self.request.user)
            .select_related("incident", "instrument")
            .order_by("-updated_at", "-pk")
        )

    @extend_schema(request=InputSerializer, responses={201: AssessmentDetailOutput})
    def post(self, request: Request) -> Response:
        s = self.InputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        incident = incident_get_for_user(
            user=cast("User", request.user), pk=s.validated_data["incident"]
        )
        code = s.validated_data["instrument"]
        instrument = None
        if code:
            instrument = next((i for i in selectors.instruments_offered() if i.code == code), None)
            if instrument is None:
                raise serializers.ValidationError({"instrument": ["Unknown or retired checklist."]})
        assessment = services.assessment_start(
            actor=request.user, incident=incident, instrument=instrument
        )
        return _detail(request, assessment, status.HTTP_201_CREATED)


class AssessmentDetailApi(APIView):
    """One assessment with its answers, what is missing, reviews and MARAC criteria; ``PUT``
    saves a draft (answers given replace those answers; the other fields are replaced)."""

    policies = {"get": "risk.view", "put": "risk.dash.edit"}

    @extend_schema(responses=AssessmentDetailOutput)
    def get(self, request: Request, pk: int) -> Response:
        return _detail(request, selectors.assessment_get_for_user(user=request.user, pk=pk))

    @extend_schema(request=AssessmentInputSerializer, responses=AssessmentDetailOutput)
    def put(self, request: Request, pk: int) -> Response:
        assessment = selectors.assessment_get_for_user(user=request.user, pk=pk)
        s = AssessmentInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        assessment = services.assessment_save(
            actor=request.user, assessment=assessment, data=s.to_input()
        )
        return _detail(request, assessment)


class AssessmentSubmitApi(APIView):
    """Submit for review; refused (400) with ``missing``: each field and message."""

    policy = "risk.dash.edit"

    @extend_schema(request=None, responses=AssessmentDetailOutput)
    def post(self, request: Request, pk: int) -> Response:
        assessment = selectors.assessment_get_for_user(user=request.user, pk=pk)
        try:
            assessment = services.assessment_submit(actor=request.user, assessment=assessment)
        except services.Incomplete as exc:
            missing = [{"field": m.field, "message": m.message} for m in exc.items]
            return Response(
                {"detail": [exc.message], "code": exc.code, "missing": missing},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return _detail(request, assessment)


class AssessmentReviewApi(APIView):
    """A supervisor's decision; 409 when another supervisor decided first."""

    policy = "risk.queue"

    class InputSerializer(serializers.Serializer):
        decision = serializers.ChoiceField(choices=Decision.choices)
        level = serializers.ChoiceField(choices=Level.choices, allow_blank=True, default="")
        reason = serializers.CharField(allow_blank=True, default="", max_length=4000)

    @extend_schema(request=InputSerializer, responses=AssessmentDetailOutput)
    def post(self, request: Request, pk: int) -> Response:
        assessment = selectors.assessment_get_for_user(user=request.user, pk=pk)
        s = self.InputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        assessment = services.assessment_review(
            actor=request.user, assessment=assessment, **s.validated_data
        )
        return _detail(request, assessment)


class ReviewQueueApi(APIView):
    """Submitted assessments awaiting review, highest level and oldest first."""

    policy = "risk.queue"

    class OutputSerializer(serializers.Serializer):
        assessment = AssessmentSummaryOutput()
        waited_minutes = serializers.SerializerMethodField()
        overdue = serializers.BooleanField()
        own = serializers.BooleanField()

        def get_waited_minutes(self, row: Any) -> int:
            return int(row.waited.total_seconds() // 60)

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        rows = selectors.review_queue(user=request.user)
        return Response(self.OutputSerializer(rows, many=True).data)


class VictimHistoryApi(APIView):
    """Every assessment of a victim the user may see, oldest first."""

    policy = "risk.view"

    @extend_schema(responses=AssessmentSummaryOutput(many=True))
    def get(self, request: Request, pk: int) -> Response:
        history = selectors.victim_history(user=request.user, person_pk=pk)
        return Response(
            AssessmentSummaryOutput([p.assessment for p in history.points], many=True).data
        )
