"""DASH pages. Each view: access (selector), service, response; no rules here."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.forms import RadioSelect
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from dapolice import access
from dapolice.access.views import PolicyRequiredMixin
from dapolice.audit.services import record_access
from dapolice.common.errors import Conflict, DomainError
from dapolice.common.http import page_number
from incidents.selectors import incident_get_for_user, person_get_for_user
from risk import selectors, services
from risk.choices import Status
from risk.forms import AssessmentForm, ReassessmentCloseForm, ReviewForm, StartForm
from risk.models import Assessment
from risk.pdf import assessment_pdf


def _error_list(form: Any) -> list[tuple[str, str]]:
    """(message, #anchor) for the GOV.UK error summary; a radio group links to its first radio."""
    out: list[tuple[str, str]] = []
    for name, errors in form.errors.items():
        if name == "__all__":
            anchor = "#main-content"
        elif isinstance(form.fields[name].widget, RadioSelect):
            anchor = f"#id_{name}_1"
        else:
            anchor = f"#id_{name}"
        out.extend((str(e), anchor) for e in errors)
    return out


class AssessmentListView(PolicyRequiredMixin, TemplateView):
    """The assessments this user may see; for an officer, also the incidents awaiting a DASH."""

    policy = "risk.view"
    template_name = "risk/assessment_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        ctx["page"] = page_number(self.request.GET)
        ctx["assessments"] = selectors.assessment_list(user=user, page=ctx["page"])
        if access.check(user, "risk.dash.start"):
            ctx["to_assess"] = selectors.incidents_to_assess(user=user)
        return ctx


class ReviewQueueView(PolicyRequiredMixin, TemplateView):
    """Submitted DASHes awaiting a supervisor: highest level and oldest first."""

    policy = "risk.queue"
    template_name = "risk/assessment_queue.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["rows"] = selectors.review_queue(user=self.request.user)
        ctx["target_hours"] = settings.DAPOLICE_DASH_REVIEW_HOURS
        return ctx


class AssessmentStartView(PolicyRequiredMixin, View):
    """Start the DASH of an incident the officer is attached to (choose the checklist)."""

    policy = "risk.dash.start"
    template_name = "risk/assessment_start.html"

    def _load(self, request: HttpRequest, pk: int) -> Any:
        incident = incident_get_for_user(user=self.user, pk=pk)
        if not access.check(request.user, "risk.dash.start", incident):
            raise PermissionDenied
        return incident

    def _render(
        self, request: HttpRequest, incident: Any, form: StartForm, status: int = 200
    ) -> HttpResponse:
        ctx = {"incident": incident, "victim": selectors.victim_of_incident(incident), "form": form}
        return TemplateResponse(request, self.template_name, ctx, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        incident = self._load(request, pk)
        return self._render(
            request, incident, StartForm(instruments=selectors.instruments_offered())
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        incident = self._load(request, pk)
        form = StartForm(request.POST, instruments=selectors.instruments_offered())
        if form.is_valid():
            try:
                assessment = services.assessment_start(
                    actor=request.user,
                    incident=incident,
                    instrument=form.cleaned_data["instrument"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("risk:dash-edit", pk=assessment.pk)
        return self._render(request, incident, form, status=400)


class AssessmentEditView(PolicyRequiredMixin, View):
    """The DASH itself, on one tablet-friendly page: save a draft at any time (and the page
    autosaves), submit when complete. A refused submission keeps everything typed (it is saved
    as a draft first) and lists what is missing, each linked to its field."""

    policy = "risk.dash.edit"
    template_name = "risk/assessment_edit.html"

    def _load(self, request: HttpRequest, pk: int) -> Assessment:
        assessment = selectors.assessment_get_for_user(user=request.user, pk=pk)
        if not access.check(request.user, "risk.dash.edit", assessment):
            raise PermissionDenied
        return assessment

    def _render(
        self,
        request: HttpRequest,
        view: Any,
        form: AssessmentForm,
        *,
        missing: list[Any] | None = None,
        error: str = "",
        status: int = 200,
    ) -> HttpResponse:
        errors = _error_list(form)
        ctx = {
            "view": view,
            "assessment": view.assessment,
            "form": form,
            "missing": missing or [],
            "error": error,
            "error_list": errors,
            "bands": {
                "high": settings.DAPOLICE_DASH_HIGH_MIN,
                "medium": settings.DAPOLICE_DASH_MEDIUM_MIN,
                "visible": settings.DAPOLICE_VISIBLE_HIGH_MIN,
            },
        }
        return TemplateResponse(request, self.template_name, ctx, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        assessment = self._load(request, pk)
        if not assessment.is_editable:
            return redirect("risk:dash-detail", pk=pk)
        view = selectors.assessment_view(assessment)
        initial: dict[str, Any] = {
            name: getattr(assessment, name) for name in AssessmentForm.base_fields
        }
        for row in (r for s in view.sections for r in s.rows):
            initial[f"q_{row.question.key}"] = row.value
            initial[f"n_{row.question.key}"] = row.notes
        form = AssessmentForm(
            initial=initial, instrument=assessment.instrument, sections=view.sections
        )
        return self._render(request, view, form)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        assessment = self._load(request, pk)
        autosave = request.headers.get("X-Dapolice-Autosave") == "1"
        sections = selectors.instrument_sections(assessment.instrument)
        plain = [_PlainSection(s) for s in sections]
        form = AssessmentForm(request.POST, instrument=assessment.instrument, sections=plain)
        valid = form.is_valid()
        if valid:
            try:
                assessment = services.assessment_save(
                    actor=request.user, assessment=assessment, data=form.to_input()
                )
            except Conflict as exc:
                if autosave:
                    return JsonResponse({"error": exc.message}, status=409)
                messages.warning(request, exc.message)
                return redirect("risk:dash-detail", pk=pk)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                valid = False
        if autosave:
            if not valid:
                return JsonResponse(
                    {"error": _("Not saved: check the highlighted answers.")}, status=400
                )
            stamp = timezone.localtime(assessment.updated_at).strftime("%H:%M:%S")
            return JsonResponse({"saved_at": stamp})
        view = selectors.assessment_view(
            assessment, typed=form.typed_answers(), values=form.typed_values()
        )
        form = _rebind(request, assessment, view)
        if not valid:
            return self._render(request, view, form, status=400)
        if request.POST.get("action") != "submit":
            messages.success(request, _("Draft saved."))
            return redirect("risk:dash-edit", pk=pk)
        try:
            services.assessment_submit(actor=request.user, assessment=assessment)
        except services.Incomplete as exc:
            return self._render(request, view, form, missing=exc.items, status=400)
        except DomainError as exc:
            return self._render(request, view, form, error=exc.message, status=400)
        messages.success(request, _("DASH submitted for supervisor review."))
        return redirect("risk:dash-detail", pk=pk)


class _PlainSection:
    """A section with its questions, for binding a posted form (no answers needed)."""

    def __init__(self, section: Any):
        self.section = section
        self.rows = [_Row(q) for q in section.questions.all()]


class _Row:
    def __init__(self, question: Any):
        self.question = question


def _rebind(request: HttpRequest, assessment: Assessment, view: Any) -> AssessmentForm:
    form = AssessmentForm(request.POST, instrument=assessment.instrument, sections=view.sections)
    form.is_valid()
    return form


class AssessmentDetailView(PolicyRequiredMixin, TemplateView):
    """One assessment: answers, score and levels, safety plan, reviews, MARAC criteria."""

    policy = "risk.view"
    template_name = "risk/assessment_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        view = selectors.assessment_detail(user=user, pk=kwargs["pk"])
        ctx.update(_detail_context(user, view))
        return ctx


def _detail_context(user: Any, view: Any) -> dict[str, Any]:
    a = view.assessment
    return {
        "view": view,
        "assessment": a,
        "can_edit": a.is_editable and access.check(user, "risk.dash.edit", a),
        "can_review": a.status == Status.SUBMITTED and access.check(user, "risk.dash.review", a),
        "is_own": a.author_id == user.pk,
        "can_export": a.status in (Status.SUBMITTED, Status.REVIEWED),
    }


class AssessmentReviewView(PolicyRequiredMixin, View):
    """A supervisor agrees, changes the level (with a reason) or returns the DASH. The author
    is refused (403, on this page, saying why); a DASH someone else decided first gets 409 and
    says who decided, with what was typed kept."""

    policy = "risk.queue"
    template_name = "risk/assessment_review.html"

    def _render(
        self,
        request: HttpRequest,
        view: Any,
        form: ReviewForm | None,
        *,
        error: str = "",
        status: int = 200,
    ) -> HttpResponse:
        ctx = _detail_context(request.user, view)
        ctx.update({"form": form, "error": error})
        if form is not None and form.is_bound:
            ctx["error_list"] = _error_list(form)
        return TemplateResponse(request, self.template_name, ctx, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        view = selectors.assessment_detail(user=request.user, pk=pk)
        if not access.check(request.user, "risk.dash.review", view.assessment):
            return self._render(
                request,
                view,
                None,
                error=_("You completed this DASH, so another supervisor must review it."),
                status=403,
            )
        if view.assessment.status != Status.SUBMITTED:
            return redirect("risk:dash-detail", pk=pk)
        return self._render(request, view, ReviewForm())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        assessment = selectors.assessment_get_for_user(user=request.user, pk=pk)
        form = ReviewForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.assessment_review(
                    actor=request.user,
                    assessment=assessment,
                    decision=d["decision"],
                    level=d.get("level") or "",
                    reason=d.get("reason") or "",
                )
            except PermissionDenied as exc:
                view = selectors.assessment_view(assessment)
                return self._render(request, view, None, error=str(exc), status=403)
            except Conflict as exc:
                view = selectors.assessment_view(_fresh(assessment))
                return self._render(request, view, form, error=exc.message, status=409)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Review recorded."))
                return redirect("risk:dash-detail", pk=pk)
        view = selectors.assessment_view(assessment)
        return self._render(request, view, form, status=400)


def _fresh(assessment: Assessment) -> Assessment:
    return Assessment.objects.select_related(
        "incident", "victim", "instrument", "author", "reviewed_by", "level_set_by"
    ).get(pk=assessment.pk)


class AssessmentPdfView(PolicyRequiredMixin, View):
    """A submitted or reviewed DASH as a PDF for the case file, marked OFFICIAL-SENSITIVE.
    The export is audited."""

    policy = "risk.view"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        view = selectors.assessment_detail(user=request.user, pk=pk)
        if view.assessment.status not in (Status.SUBMITTED, Status.REVIEWED):
            raise Http404
        record_access(actor=self.user, action="risk.assessment.exported", subject=view.assessment)
        response = HttpResponse(assessment_pdf(view), content_type="application/pdf")
        # The file name carries the record number only, never a name.
        response["Content-Disposition"] = f'inline; filename="dash-{view.assessment.pk}.pdf"'
        response["Cache-Control"] = "no-store"
        return response


class VictimHistoryView(PolicyRequiredMixin, TemplateView):
    """Every assessment of one victim over time, who set and who reviewed each level, a chart."""

    policy = "risk.view"
    template_name = "risk/person_history.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        ctx["history"] = history = selectors.victim_history(user=user, person_pk=kwargs["pk"])
        # The recurring medium-risk re-assessment (recommendation 7) and, for supervisors and
        # the MASH, the form that closes the follow-up (a posted one comes back as typed).
        ctx["reassess_due"] = selectors.reassessment_due_at(person_id=history.person.pk)
        ctx["can_close_reassessment"] = access.check(
            user, "risk.reassessment.close", history.person
        )
        form = kwargs.get("close_form") or ReassessmentCloseForm()
        ctx["close_form"] = form
        ctx["error_list"] = _error_list(form) if form.is_bound else []
        return ctx


class ReassessmentCloseView(PolicyRequiredMixin, View):
    """Close a victim's medium-risk follow-up with a reason: the re-assessment rounds stop."""

    policy = "risk.reassessment.close"

    def _again(self, form: ReassessmentCloseForm, status: int) -> HttpResponse:
        page = VictimHistoryView()
        page.setup(self.request, pk=self.kwargs["pk"])
        ctx = page.get_context_data(pk=self.kwargs["pk"], close_form=form)
        return TemplateResponse(self.request, page.template_name, ctx, status=status)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        person = person_get_for_user(user=self.user, pk=pk)
        form = ReassessmentCloseForm(request.POST)
        if not form.is_valid():
            return self._again(form, 400)
        try:
            services.reassessment_close(
                actor=self.user, victim=person, reason=form.cleaned_data["reason"]
            )
        except Conflict as exc:
            messages.warning(request, exc.message)
            return redirect("risk:history", pk=pk)
        except DomainError as exc:
            form.add_error("reason", exc.message)
            return self._again(form, 400)
        messages.success(request, _("Follow-up closed: no more re-assessment rounds."))
        return redirect("risk:history", pk=pk)

    def policy_denied(self, message: str) -> Any:
        # Someone who may see the victim's history gets it back with what they typed.
        if not access.check(self.user, "risk.view"):
            return super().policy_denied(message)
        form = ReassessmentCloseForm(self.request.POST)
        form.is_valid()
        form.add_error(None, message)
        return self._again(form, 403)
