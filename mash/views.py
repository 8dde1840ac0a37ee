"""MASH pages. Each view: access (selector, policy through the mixin), service, response; no
rules here. A refused POST re-renders its form with what was typed and the message beside the
field; a conflict (someone else first) says who, and keeps what was typed."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from dapolice import access
from dapolice.access.views import ObjectPolicyMixin, PolicyRequiredMixin
from dapolice.accounts.models import User
from dapolice.common.errors import Conflict, DomainError
from dapolice.common.forms import error_summary, put_error
from dapolice.common.http import page_number
from mash import selectors, services
from mash.choices import NoticeStatus
from mash.forms import (
    ActionFormSet,
    AssessForm,
    ContactForm,
    ContactPlanForm,
    InformationForm,
    NoticeForm,
    OfferForm,
    PlanForm,
    ReferralForm,
    RespondForm,
)
from mash.models import EncompassNotice, MashCase


def _police_people() -> Any:
    return User.objects.filter(is_active=True, groups__name__in=_POLICE_GROUPS).distinct()


_POLICE_GROUPS = ("mash", "attending_officer", "supervisor", "investigator", "marac_coordinator")


# --- The queue ------------------------------------------------------------------------------------


class CaseQueueView(PolicyRequiredMixin, TemplateView):
    """The MASH queue: risk then age, with filters; "Next case" claims the top unclaimed item."""

    policy = "mash.queue"
    template_name = "mash/mashcase_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        queue = selectors.case_queue(
            user=self.user, data=self.request.GET, page=page_number(self.request.GET)
        )
        page = queue.page
        ctx.update(
            queue=queue,
            page_obj=page,
            page_numbers=page.paginator.get_elided_page_range(page.number),
            idva=selectors.idva_rate(),
        )
        return ctx


class CaseNextView(PolicyRequiredMixin, View):
    policy = "mash.queue"

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            case = services.case_claim_next(actor=self.user)
        except DomainError as exc:
            messages.info(request, exc.message)
            return redirect("mash:queue")
        messages.success(request, _("You claimed %(ref)s.") % {"ref": case.incident.reference})
        return redirect("mash:case-detail", pk=case.pk)


# --- One case -------------------------------------------------------------------------------------


class CaseMixin(ObjectPolicyMixin):
    """A page about one case, loaded through its selector (404 when not visible)."""

    def get_object(self) -> MashCase:
        return selectors.case_get_for_user(user=self.user, pk=self.kwargs["pk"])

    def case_context(self, case: MashCase) -> dict[str, Any]:
        user = self.user
        return {
            "detail": selectors.case_detail(user=user, case=case),
            "case": case,
            "can_work": access.check(user, "mash.case.work", case),
            "can_offer": access.check(user, "mash.ownership.offer", case),
            "can_accept": case.offer_at is not None
            and access.check(user, "mash.ownership.accept", case),
            "can_withdraw": case.offer_at is not None
            and not case.offer_to_team
            and access.check(user, "mash.ownership.withdraw", case),
            "can_contacts": access.check(user, "mash.contacts", case.victim),
        }


class CaseDetailView(CaseMixin, TemplateView):
    policy = "mash.case.view"
    template_name = "mash/mashcase_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx.update(self.case_context(self.object))
        return ctx


class CaseClaimView(CaseMixin, View):
    policy = "mash.case.work"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            services.case_claim(actor=self.user, case=self.object)
        except Conflict as exc:
            messages.warning(request, exc.message)
        else:
            messages.success(request, _("You claimed this case."))
        return redirect("mash:case-detail", pk=pk)


class CaseFormView(CaseMixin, View):
    """A form about a case: GET shows it, POST calls the service, a refusal re-renders."""

    policy = "mash.case.work"
    template_name: str
    success_message: str

    def make_form(self, data: Any = None) -> Any:
        raise NotImplementedError

    def save(self, form: Any) -> Any:
        raise NotImplementedError

    def render(
        self, form: Any, *, error: str = "", status: int = 200, **extra: Any
    ) -> HttpResponse:
        ctx = self.case_context(self.object)
        ctx.update(form=form, error=error, error_list=error_summary(form), **extra)
        return TemplateResponse(self.request, self.template_name, ctx, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.render(self.make_form())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = self.make_form(request.POST)
        if form.is_valid():
            try:
                self.save(form)
            except Conflict as exc:
                self.object = selectors.case_get_for_user(user=self.user, pk=pk, audit=False)
                return self.render(form, error=exc.message, status=409)
            except DomainError as exc:
                put_error(form, exc)
            else:
                messages.success(request, self.success_message)
                return redirect("mash:case-detail", pk=pk)
        return self.render(form, status=400)


class CaseAssessView(CaseFormView):
    template_name = "mash/mashcase_assess.html"
    success_message = _("Secondary assessment recorded.")

    def make_form(self, data: Any = None) -> AssessForm:
        case = self.object
        initial = {"final_level": case.final_level or case.dash_level}
        return AssessForm(data, initial=initial)

    def save(self, form: AssessForm) -> Any:
        d = form.cleaned_data
        return services.case_assess(
            actor=self.user,
            case=self.object,
            final_level=d["final_level"],
            reason=d.get("reason") or "",
            notes=d.get("notes") or "",
        )


class ReferralCreateView(CaseFormView):
    template_name = "mash/referral_create.html"
    success_message = _("Referral made.")

    def make_form(self, data: Any = None) -> ReferralForm:
        return ReferralForm(data)

    def render(self, form: Any, **kw: Any) -> HttpResponse:
        return super().render(form, sanctuary_hours=settings.DAPOLICE_MASH_SANCTUARY_HOURS, **kw)

    def save(self, form: ReferralForm) -> Any:
        d = form.cleaned_data
        return services.referral_make(
            actor=self.user,
            case=self.object,
            kind=d["kind"],
            agency=d.get("agency"),
            due_at=d.get("due_at"),
            notes=d.get("notes") or "",
        )


class NoticeSendView(CaseFormView):
    """Record an Operation Encompass notice as sent to the child's school."""

    template_name = "mash/encompassnotice_send.html"
    success_message = _("Operation Encompass notice recorded as sent.")

    def notice(self) -> EncompassNotice:
        return selectors.notice_of(case=self.object, pk=self.kwargs["notice"])

    def render(self, form: Any, **kw: Any) -> HttpResponse:
        return super().render(form, notice=self.notice(), **kw)

    def make_form(self, data: Any = None) -> NoticeForm:
        notice = self.notice()
        return NoticeForm(
            data,
            initial={
                "child_name": notice.child_name,
                "school": notice.school,
                "present": {True: "yes", False: "no"}.get(notice.present or False, ""),
            },
        )

    def get(self, request: HttpRequest, pk: int, notice: int = 0) -> HttpResponse:
        if self.notice().status == NoticeStatus.SENT:
            return redirect("mash:case-detail", pk=pk)
        return super().get(request, pk)

    def post(self, request: HttpRequest, pk: int, notice: int = 0) -> HttpResponse:
        return super().post(request, pk)

    def save(self, form: NoticeForm) -> Any:
        d = form.cleaned_data
        return services.notice_send(
            actor=self.user,
            notice=self.notice(),
            child_name=d.get("child_name") or "",
            school=d.get("school") or "",
            present=d["present"],
            welfare_check=d["welfare_check"],
        )


class PlanEditView(CaseMixin, View):
    """The safeguarding plan, with optimistic locking: the second of two people saving at once
    is told who saved first, and keeps what they typed beside the plan as it now is."""

    policy = "mash.case.work"
    template_name = "mash/mashcase_plan.html"

    def _render(
        self, form: PlanForm, formset: Any, *, error: str = "", status: int = 200
    ) -> HttpResponse:
        ctx = self.case_context(self.object)
        errors = error_summary(form) + [e for f in formset.forms for e in error_summary(f)]
        ctx.update(
            form=form,
            formset=formset,
            error=error,
            error_list=errors,
            current=selectors.plan_actions(self.object) if error else None,
        )
        return TemplateResponse(self.request, self.template_name, ctx, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        case = self.object
        form = PlanForm(initial={"version": case.plan_version, "summary": case.plan_summary})
        initial = [
            {
                "description": a.description,
                "owner_name": a.owner_name,
                "owner_agency": a.owner_agency,
                "due_on": a.due_on,
                "done": a.done,
            }
            for a in selectors.plan_actions(case)
        ]
        return self._render(form, ActionFormSet(initial=initial, prefix="actions"))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = PlanForm(request.POST)
        formset = ActionFormSet(request.POST, prefix="actions")
        if form.is_valid() and formset.is_valid():
            try:
                services.plan_save(
                    actor=self.user,
                    case=self.object,
                    version=form.cleaned_data["version"],
                    summary=form.cleaned_data.get("summary") or "",
                    actions=[f.to_input() for f in formset.forms if f.cleaned_data],
                )
            except Conflict as exc:
                self.object = selectors.case_get_for_user(user=self.user, pk=pk, audit=False)
                return self._render(form, formset, error=exc.message, status=409)
            except DomainError as exc:
                _formset_error(form, formset, exc)
            else:
                messages.success(request, _("Safeguarding plan saved."))
                return redirect("mash:case-detail", pk=pk)
        return self._render(form, formset, status=400)


def _formset_error(form: PlanForm, formset: Any, exc: DomainError) -> None:
    field = exc.field or ""
    if field.startswith("actions-"):
        _prefix, index, name = field.split("-", 2)
        formset.forms[int(index)].add_error(name, exc.message)
    else:
        put_error(form, exc)


class InformationAddView(PolicyRequiredMixin, View):
    """Add dated information from an agency: MASH staff on any case; a partner on a case
    referred to their agency (seeing only their own entries)."""

    policy = "mash.information.add"
    template_name = "mash/informationentry_add.html"

    def _load(self, pk: int) -> Any:
        return selectors.case_for_information(user=self.user, pk=pk)

    def _render(self, case: MashCase, form: InformationForm, status: int = 200) -> HttpResponse:
        ctx = {
            "case": case,
            "form": form,
            "error_list": error_summary(form),
            "entries": selectors.information_for(user=self.user, case=case),
        }
        return TemplateResponse(self.request, self.template_name, ctx, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._render(self._load(pk), InformationForm())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        case = self._load(pk)
        form = InformationForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.information_add(
                    actor=self.user,
                    case=case,
                    source=d["source"],
                    received_on=d["received_on"],
                    summary=d["summary"],
                )
            except DomainError as exc:
                put_error(form, exc)
            else:
                messages.success(request, _("Information added."))
                return redirect("mash:information-add", pk=pk)
        return self._render(case, form, status=400)


# --- Ownership ------------------------------------------------------------------------------------


class OwnershipOfferView(CaseFormView):
    policy = "mash.ownership.offer"
    template_name = "mash/ownership_offer.html"
    success_message = _("Handover offered: the owner keeps it until it is accepted.")

    def make_form(self, data: Any = None) -> OfferForm:
        people = (
            _police_people().exclude(pk=self.object.owner_id).order_by("last_name", "first_name")
        )
        return OfferForm(data, people=people)

    def save(self, form: OfferForm) -> Any:
        return services.ownership_offer(
            actor=self.user,
            case=self.object,
            to=form.cleaned_data["to"],
            note=form.cleaned_data.get("note") or "",
        )


class OwnershipAcceptView(CaseMixin, View):
    policy = "mash.ownership.accept"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            services.ownership_accept(actor=self.user, case=self.object)
        except DomainError as exc:
            messages.warning(request, exc.message)
        else:
            messages.success(request, _("You now own safeguarding of this case."))
        return redirect("mash:case-detail", pk=pk)


class OwnershipWithdrawView(CaseMixin, View):
    policy = "mash.ownership.withdraw"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            services.ownership_withdraw(
                actor=self.user, case=self.object, reason=request.POST.get("reason", "")
            )
        except DomainError as exc:
            messages.warning(request, exc.message)
        else:
            messages.success(request, _("The handover is no longer on offer."))
        return redirect("mash:case-detail", pk=pk)


# --- Referrals (partners answer theirs) -----------------------------------------------------------


class ReferralListView(PolicyRequiredMixin, TemplateView):
    policy = "mash.referrals"
    template_name = "mash/referral_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        page = selectors.referral_list(user=self.user, page=page_number(self.request.GET))
        ctx.update(
            page_obj=page,
            referrals=list(page.object_list),
            page_numbers=page.paginator.get_elided_page_range(page.number),
        )
        return ctx


class ReferralDetailView(ObjectPolicyMixin, View):
    """One referral: what is asked, the victim's safe-contact instructions; its agency answers."""

    policy = "mash.referral.view"
    template_name = "mash/referral_detail.html"

    def get_object(self) -> Any:
        return selectors.referral_get_for_user(user=self.user, pk=self.kwargs["pk"])

    def _render(self, form: RespondForm | None, *, error: str = "", status: int = 200) -> Any:
        referral = self.object
        ctx = {
            "referral": referral,
            "case": referral.case,
            "form": form,
            "error": error,
            "error_list": error_summary(form),
            "plan": selectors.contact_plan_of(referral.case.victim_id),
            "can_respond": access.check(self.user, "mash.referral.respond", referral),
            "can_contacts": access.check(self.user, "mash.contacts", referral.case.victim),
            "can_add_information": access.check(self.user, "mash.information.add", referral.case),
        }
        return TemplateResponse(self.request, self.template_name, ctx, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._render(RespondForm())


class ReferralRespondView(ReferralDetailView):
    """The agency's answer to a referral made to it (a refusal re-renders with what was typed)."""

    policy = "mash.referral.respond"

    def policy_denied(self, message: str) -> HttpResponseBase:
        if getattr(self, "object", None) is None:
            return super().policy_denied(message)
        return self._render(RespondForm(self.request.POST), error=message, status=403)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return redirect("mash:referral-detail", pk=pk)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = RespondForm(request.POST)
        if form.is_valid():
            try:
                services.referral_respond(
                    actor=self.user,
                    referral=self.object,
                    status=form.cleaned_data["status"],
                    note=form.cleaned_data.get("note") or "",
                )
            except Conflict as exc:
                return self._render(form, error=exc.message, status=409)
            except DomainError as exc:
                put_error(form, exc)
            else:
                messages.success(request, _("Your answer is recorded."))
                return redirect("mash:referral-detail", pk=pk)
        return self._render(form, status=400)


# --- Contacts and the single point of contact -----------------------------------------------------


class PersonMixin(ObjectPolicyMixin):
    def get_object(self) -> Any:
        return selectors.contact_person_get_for_user(user=self.user, pk=self.kwargs["pk"])


class ContactListView(PersonMixin, View):
    """Every contact with a victim; before logging a new one, the contacts by others in the
    last 48 hours with a warning, and the safe-contact instructions."""

    policy = "mash.contacts"
    template_name = "mash/contact_list.html"

    def _render(self, form: ContactForm, *, error: str = "", status: int = 200) -> HttpResponse:
        screen = selectors.contact_screen(user=self.user, person=self.object)
        if not form.is_bound:
            form = ContactForm(initial={"seen_up_to": screen.latest_id})
        ctx = {
            "screen": screen,
            "person": self.object,
            "plan": screen.plan,
            "form": form,
            "error": error,
            "error_list": error_summary(form),
            "can_edit_plan": access.check(self.user, "mash.contact_plan.edit", self.object),
        }
        return TemplateResponse(self.request, self.template_name, ctx, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._render(ContactForm())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = ContactForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.contact_log(
                    actor=self.user,
                    person=self.object,
                    channel=d["channel"],
                    outcome=d["outcome"],
                    notes=d.get("notes") or "",
                    seen_up_to=d.get("seen_up_to") or 0,
                )
            except Conflict as exc:
                # Show the new contact and accept the next post as having seen it.
                data = request.POST.copy()
                data["seen_up_to"] = str(
                    selectors.contact_screen(user=self.user, person=self.object).latest_id
                )
                form = ContactForm(data)
                form.is_valid()
                return self._render(form, error=exc.message, status=409)
            except DomainError as exc:
                put_error(form, exc)
            else:
                messages.success(request, _("Contact logged."))
                return redirect("mash:contacts", pk=pk)
        return self._render(form, status=400)


class ContactPlanEditView(PersonMixin, View):
    policy = "mash.contact_plan.edit"
    template_name = "mash/contactplan_edit.html"

    def _people(self) -> Any:
        return (
            User.objects.filter(is_active=True)
            .exclude(username="system")
            .filter(groups__name__in=(*_POLICE_GROUPS, "partner"))
            .distinct()
            .order_by("last_name", "first_name")
        )

    def _render(self, form: ContactPlanForm, status: int = 200) -> HttpResponse:
        ctx = {"person": self.object, "form": form, "error_list": error_summary(form)}
        return TemplateResponse(self.request, self.template_name, ctx, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan = selectors.contact_plan_of(self.object.pk)
        initial: dict[str, Any] = {}
        if plan is not None:
            initial = {
                "spoc": plan.spoc_id,
                "safe_phone": plan.safe_phone,
                "safe_email": plan.safe_email,
                "safe_from": plan.safe_from,
                "safe_until": plan.safe_until,
                "safe_times_note": plan.safe_times_note,
                "no_voicemail": plan.no_voicemail,
                "code_word": plan.code_word,
                "instructions": plan.instructions,
            }
        return self._render(ContactPlanForm(initial=initial, people=self._people()))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = ContactPlanForm(request.POST, people=self._people())
        if form.is_valid():
            try:
                services.contact_plan_save(
                    actor=self.user, person=self.object, data=form.to_input()
                )
            except DomainError as exc:
                put_error(form, exc)
            else:
                messages.success(request, _("Contact plan saved."))
                return redirect("mash:contacts", pk=pk)
        return self._render(form, status=400)
