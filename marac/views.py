"""MARAC pages. Each view: access (selector, policy through the mixin), service, response; no
rules here. A refused POST re-renders its form with what was typed and the message beside the
field; a conflict says so, and keeps what was typed."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from dapolice import access
from dapolice.access.views import ObjectPolicyMixin, PolicyRequiredMixin
from dapolice.audit.services import record_access
from dapolice.common.errors import Conflict, DomainError
from dapolice.common.forms import error_summary, put_error
from dapolice.common.http import page_number
from marac import pdf, rules, selectors, services
from marac.choices import CaseStatus, MeetingStatus, RiskOutcome
from marac.forms import (
    ActionForm,
    AttendanceForm,
    CloseForm,
    DiscussionForm,
    InviteForm,
    MeetingForm,
    ReassessForm,
    ReferForm,
    ReportForm,
    ResearchForm,
)
from marac.inputs import Household
from marac.models import Action, MaracCase, Meeting

# --- Cases ---------------------------------------------------------------------------------------


class CaseListView(PolicyRequiredMixin, TemplateView):
    """The coordinator's MARAC list (every case); a partner's cases (their agency's)."""

    policy = "marac.cases"
    template_name = "marac/maraccase_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        status = self.request.GET.get("status", "")
        page = selectors.case_list(
            user=self.user, status=status, page=page_number(self.request.GET)
        )
        ctx.update(
            page_obj=page,
            cases=list(page.object_list),
            page_numbers=page.paginator.get_elided_page_range(page.number),
            status=status,
            statuses=CaseStatus.choices,
            coordinator=access.check(self.user, "marac.coordinate"),
            can_refer=access.check(self.user, "marac.refer"),
        )
        return ctx


class CaseReferView(PolicyRequiredMixin, View):
    """Refer a victim to the MARAC (a partner for their agency, or the coordinator)."""

    policy = "marac.refer"
    template_name = "marac/maraccase_refer.html"

    def _form(self, data: Any = None) -> ReferForm:
        return ReferForm(data, victims=selectors.referable_victims(user=self.user))

    def _render(self, form: ReferForm, status: int = 200) -> HttpResponse:
        ctx = {"form": form, "error_list": error_summary(form)}
        return TemplateResponse(self.request, self.template_name, ctx, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(self._form())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self._form(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                case = services.case_refer(
                    actor=self.user,
                    victim=selectors.person_for_referral(user=self.user, pk=d["victim"]),
                    criteria=d["criteria"],
                    reason=d["reason"],
                    household=Household(
                        children_count=d.get("children_count") or 0,
                        victim_male=d["victim_male"],
                        victim_16_17=d["victim_16_17"],
                        victim_lgbt=d["victim_lgbt"],
                        victim_bme=d["victim_bme"],
                        victim_disability=d["victim_disability"],
                    ),
                )
            except DomainError as exc:
                put_error(form, exc)
            else:
                messages.success(
                    request, _("Referred to the MARAC: %(ref)s.") % {"ref": case.reference}
                )
                return redirect("marac:cases")
        return self._render(form, status=400)


class CaseMixin(ObjectPolicyMixin):
    def get_object(self) -> MaracCase:
        return selectors.case_get_for_user(user=self.user, pk=self.kwargs["pk"])

    def case_context(self, case: MaracCase, **forms: Any) -> dict[str, Any]:
        user = self.user
        coordinator = access.check(user, "marac.coordinate")
        detail = selectors.case_detail(user=user, case=case)
        ctx: dict[str, Any] = {
            "case": case,
            "detail": detail,
            "coordinator": coordinator,
            "can_research": access.check(user, "marac.research.add", case)
            and case.status != CaseStatus.CLOSED,
            "research_form": forms.get("research_form") or ResearchForm(),
            "error": forms.get("error", ""),
        }
        if coordinator:
            ctx["discussion_form"] = forms.get("discussion_form") or DiscussionForm(
                initial={"discussion": case.discussion}
            )
            ctx["action_form"] = forms.get("action_form") or ActionForm()
            ctx["reassess_form"] = forms.get("reassess_form") or ReassessForm()
            # The close form starts from the re-assessed level and what the levels say.
            initial = {"level_after": detail.level_after or None}
            if detail.levels_say and detail.levels_say != RiskOutcome.UNKNOWN:
                initial["outcome"] = detail.levels_say
            ctx["close_form"] = forms.get("close_form") or CloseForm(initial=initial)
        ctx["error_list"] = error_summary(*[f for k, f in forms.items() if k.endswith("_form")])
        return ctx


class CaseDetailView(CaseMixin, TemplateView):
    """One case: the coordinator sees everything and works it; a partner sees the minimum, the
    research they may see and their own agency's actions."""

    policy = "marac.case.view"
    template_name = "marac/maraccase_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx.update(self.case_context(self.object))
        return ctx


class CasePostView(CaseMixin, View):
    """A form posted from the case page: success goes back to it; a refusal re-renders the case
    page with what was typed and the message beside the field."""

    template_name = "marac/maraccase_detail.html"
    form_name: str
    form_class: Any
    success_message: str

    def save(self, form: Any) -> Any:
        raise NotImplementedError

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return redirect("marac:case-detail", pk=pk)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = self.form_class(request.POST)
        error = ""
        status = 400
        if form.is_valid():
            try:
                self.save(form)
            except Conflict as exc:
                error, status = exc.message, 409
            except DomainError as exc:
                put_error(form, exc)
            else:
                messages.success(request, self.success_message)
                return redirect("marac:case-detail", pk=pk)
        self.object = selectors.case_get_for_user(user=self.user, pk=pk, audit=False)
        ctx = self.case_context(self.object, **{self.form_name: form, "error": error})
        return TemplateResponse(request, self.template_name, ctx, status=status)


class ResearchAddView(CasePostView):
    policy = "marac.research.add"
    form_name = "research_form"
    form_class = ResearchForm
    success_message = _("Research recorded.")

    def save(self, form: ResearchForm) -> Any:
        d = form.cleaned_data
        return services.research_add(
            actor=self.user, case=self.object, known_on=d["known_on"], summary=d["summary"]
        )


class DiscussionView(CasePostView):
    policy = "marac.coordinate"
    form_name = "discussion_form"
    form_class = DiscussionForm
    success_message = _("Discussion recorded.")

    def save(self, form: DiscussionForm) -> Any:
        return services.case_discuss(
            actor=self.user, case=self.object, discussion=form.cleaned_data["discussion"]
        )


class ActionAddView(CasePostView):
    policy = "marac.coordinate"
    form_name = "action_form"
    form_class = ActionForm
    success_message = _("Action added to the plan.")

    def save(self, form: ActionForm) -> Any:
        return services.action_add(actor=self.user, case=self.object, data=form.to_input())


class CaseReassessView(CasePostView):
    """Ask for the victim's risk to be re-assessed once every action is reported back on."""

    policy = "marac.coordinate"
    form_name = "reassess_form"
    form_class = ReassessForm
    success_message = _("Re-assessment asked for: the victim's officer has been alerted.")

    def save(self, form: ReassessForm) -> Any:
        return services.case_request_reassessment(actor=self.user, case=self.object)


class CaseCloseView(CasePostView):
    policy = "marac.coordinate"
    form_name = "close_form"
    form_class = CloseForm
    success_message = _("Case closed.")

    def save(self, form: CloseForm) -> Any:
        d = form.cleaned_data
        return services.case_close(
            actor=self.user,
            case=self.object,
            level_after=d["level_after"],
            outcome=d["outcome"],
            note=d.get("note") or "",
        )


# --- Report-back ---------------------------------------------------------------------------------


class ActionReportView(ObjectPolicyMixin, View):
    """An agency reports back on its action: done, or an update. A refusal re-renders the form
    with what was typed."""

    policy = "marac.action.report"
    template_name = "marac/action_report.html"

    def get_object(self) -> Action:
        return selectors.action_get_for_user(user=self.user, pk=self.kwargs["pk"])

    def _render(self, form: ReportForm, *, error: str = "", status: int = 200) -> HttpResponse:
        action = self.object
        now = timezone.now()
        ctx = {
            "action": action,
            "case": action.case,
            "reports": selectors.action_reports(action),
            "overdue": rules.is_overdue(
                due_on=action.due_on, done=action.status == "done", now=now
            ),
            "form": form,
            "error": error,
            "error_list": error_summary(form),
        }
        return TemplateResponse(self.request, self.template_name, ctx, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._render(ReportForm())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = ReportForm(request.POST)
        if form.is_valid():
            try:
                services.action_report(
                    actor=self.user,
                    action=self.object,
                    kind=form.cleaned_data["kind"],
                    note=form.cleaned_data["note"],
                )
            except Conflict as exc:
                return self._render(form, error=exc.message, status=409)
            except DomainError as exc:
                put_error(form, exc)
            else:
                messages.success(request, _("Your report-back is recorded."))
                return redirect("marac:case-detail", pk=self.object.case_id)
        return self._render(form, status=400)


# --- Meetings ------------------------------------------------------------------------------------


class MeetingListView(PolicyRequiredMixin, View):
    """Meetings, and the form to schedule more (fortnightly)."""

    policy = "marac.coordinate"
    template_name = "marac/meeting_list.html"

    def _render(self, form: MeetingForm, status: int = 200) -> HttpResponse:
        ctx = {
            "meetings": selectors.meeting_list(user=self.user),
            "form": form,
            "error_list": error_summary(form),
        }
        return TemplateResponse(self.request, self.template_name, ctx, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(MeetingForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = MeetingForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                made = services.meeting_schedule(
                    actor=self.user,
                    first_at=d["first_at"],
                    count=d["count"],
                    venue=d.get("venue") or "",
                    invited=list(d["invited"]),
                )
            except DomainError as exc:
                put_error(form, exc)
            else:
                messages.success(request, _("%(n)d meeting(s) scheduled.") % {"n": len(made)})
                return redirect("marac:meeting-detail", pk=made[0].pk)
        return self._render(form, status=400)


class MeetingMixin(ObjectPolicyMixin):
    policy = "marac.coordinate"

    def get_object(self) -> Meeting:
        return selectors.meeting_get_for_user(user=self.user, pk=self.kwargs["pk"])


class MeetingDetailView(MeetingMixin, View):
    """A meeting: its agenda (cases, slots, essentials), build the agenda, the PDF, record it
    as held with who attended."""

    template_name = "marac/meeting_detail.html"

    def _render(
        self,
        form: AttendanceForm,
        *,
        error: str = "",
        status: int = 200,
        invite_form: InviteForm | None = None,
    ) -> HttpResponse:
        meeting = self.object
        invite_form = invite_form or InviteForm(initial={"invited": list(meeting.invited.all())})
        ctx = {
            "invite_form": invite_form,
            "meeting": meeting,
            "rows": selectors.agenda(user=self.user, meeting=meeting),
            "waiting": selectors.waiting_count(cutoff_at=meeting.cutoff_at),
            "invited": list(meeting.invited.all()),
            "attended": list(meeting.attended.all()),
            "held": meeting.status == MeetingStatus.HELD,
            "form": form,
            "error": error,
            "error_list": error_summary(form, invite_form),
        }
        return TemplateResponse(self.request, self.template_name, ctx, status=status)

    def _form(self, data: Any = None) -> AttendanceForm:
        return AttendanceForm(data, invited=self.object.invited.order_by("name"))

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._render(self._form())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Record the meeting as held, with the agencies that attended."""
        form = self._form(request.POST)
        if form.is_valid():
            try:
                services.meeting_record_held(
                    actor=self.user,
                    meeting=self.object,
                    attended=list(form.cleaned_data["attended"]),
                )
            except DomainError as exc:
                put_error(form, exc)
            else:
                messages.success(request, _("Meeting recorded as held."))
                return redirect("marac:meeting-detail", pk=pk)
        return self._render(form, status=400)


class MeetingInviteView(MeetingDetailView):
    """Change the agencies invited (whose members then see the meeting's cases)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return redirect("marac:meeting-detail", pk=pk)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = InviteForm(request.POST)
        if form.is_valid():
            services.meeting_invite(
                actor=self.user, meeting=self.object, agencies=list(form.cleaned_data["invited"])
            )
            messages.success(request, _("Agencies invited updated."))
            return redirect("marac:meeting-detail", pk=pk)
        return self._render(self._form(), invite_form=form, status=400)


class AgendaBuildView(MeetingMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            added = services.agenda_build(actor=self.user, meeting=self.object)
        except DomainError as exc:
            messages.warning(request, exc.message)
        else:
            messages.success(request, _("%(n)d case(s) added to the agenda.") % {"n": len(added)})
        return redirect("marac:meeting-detail", pk=pk)


class AgendaPdfView(MeetingMixin, View):
    """The agenda as a PDF marked OFFICIAL-SENSITIVE (no refuge address in clear); the export is
    audited. The file name carries the meeting's number only."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        meeting = self.object
        rows = selectors.agenda(user=self.user, meeting=meeting, action="marac.agenda.exported")
        record_access(actor=self.user, action="marac.agenda.pdf", subject=meeting)
        response = HttpResponse(pdf.agenda_pdf(meeting, rows), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="marac-agenda-{meeting.pk}.pdf"'
        return response


# --- Tracker and the quarterly return ------------------------------------------------------------


class TrackerView(PolicyRequiredMixin, TemplateView):
    """Open actions by agency, overdue first, and each agency's completion rate."""

    policy = "marac.coordinate"
    template_name = "marac/action_tracker.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        try:
            agency_id = int(self.request.GET.get("agency") or 0)
        except ValueError:
            agency_id = 0
        ctx["tracker"] = selectors.tracker(user=self.user, agency_id=agency_id or None)
        ctx["agencies"] = selectors.action_agencies()
        ctx["agency_id"] = agency_id
        return ctx


class ReturnView(PolicyRequiredMixin, View):
    """The quarterly MARAC data return, as a page and (``?format=csv``) a CSV file."""

    policy = "marac.return"
    template_name = "marac/return.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        today = timezone.localdate()
        year, quarter = rules.quarter_of(today)
        try:
            year = int(request.GET.get("year", year))
            quarter = int(request.GET.get("quarter", quarter))
            rules.quarter_bounds(year, quarter)
        except ValueError:
            year, quarter = rules.quarter_of(today)
        figures = selectors.quarterly_return(user=self.user, year=year, quarter=quarter)
        if request.GET.get("format") == "csv":
            response = HttpResponse(content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = (
                f'attachment; filename="marac-return-{year}-q{quarter}.csv"'
            )
            writer = csv.writer(response)
            writer.writerow([_("Measure"), f"{year} Q{quarter}"])
            for label, value in figures.rows():
                writer.writerow([label, value])
            return response
        quarters = [(y, q) for y in (today.year - 1, today.year) for q in (1, 2, 3, 4)]
        ctx = {"figures": figures, "year": year, "quarter": quarter, "quarters": quarters}
        return TemplateResponse(request, self.template_name, ctx)
