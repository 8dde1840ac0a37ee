"""Call-intake pages. Each view: access (selector), service, response; no rules here."""

from __future__ import annotations

import abc
from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View
from django.views.generic import TemplateView

from dapolice import access
from dapolice.access.views import PolicyRequiredMixin
from dapolice.common.errors import DomainError
from incidents import selectors, services
from incidents.choices import PersonRole
from incidents.forms import (
    AttendanceForm,
    DeferForm,
    DispatchForm,
    IncidentForm,
    PersonForm,
    RegradeForm,
    RevealAddressForm,
)
from incidents.inputs import PersonInput
from incidents.models import Address

OTHER_BLOCKS = 3


def _page(request: HttpRequest) -> int:
    try:
        return max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        return 1


class IncidentListView(PolicyRequiredMixin, TemplateView):
    policy = "incidents.view"
    template_name = "incidents/incident_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["page"] = _page(self.request)
        ctx["incidents"] = selectors.incident_list(user=self.request.user, page=ctx["page"])
        return ctx


class IncidentBoardView(PolicyRequiredMixin, TemplateView):
    """The control-room board: open incidents with live countdowns, overdue first."""

    policy = "incidents.board"
    template_name = "incidents/incident_board.html"

    def get_template_names(self) -> list[str]:
        if self.request.htmx:  # type: ignore[attr-defined]
            return ["incidents/_board_table.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["incidents"] = selectors.incident_board(user=self.request.user)
        ctx["board_limit"] = settings.DAPOLICE_BOARD_LIMIT
        ctx["can_defer"] = access.check(self.request.user, "incidents.defer")
        return ctx


# --- Intake -----------------------------------------------------------------------------------


def _person_forms(data: Any = None) -> dict[str, PersonForm]:
    forms = {
        "victim": PersonForm(data, prefix="victim", fixed_role=PersonRole.VICTIM),
        "suspect": PersonForm(data, prefix="suspect", fixed_role=PersonRole.SUSPECT),
        "caller": PersonForm(data, prefix="caller", fixed_role=PersonRole.OTHER),
    }
    for i in range(OTHER_BLOCKS):
        forms[f"other{i}"] = PersonForm(data, prefix=f"other{i}")
    return forms


class IncidentCreateView(PolicyRequiredMixin, View):
    """Log a call on one keyboard-driven page, with a live match panel for each person."""

    policy = "incidents.create"
    template_name = "incidents/incident_create.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, IncidentForm(), _person_forms())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = IncidentForm(request.POST)
        people = _person_forms(request.POST)
        caller_is_victim = request.POST.get("caller", "victim") == "victim"
        wanted = {
            key: f
            for key, f in people.items()
            if key == "victim" or not f.is_blank
            if not (key == "caller" and caller_is_victim)
        }
        valid = form.is_valid()
        valid = all([f.is_valid() for f in wanted.values()]) and valid
        if not valid:
            return self._render(request, form, people, status=400)
        inputs: list[PersonInput] = []
        for key, f in wanted.items():
            is_caller = (key == "victim" and caller_is_victim) or key == "caller"
            inputs.append(f.to_input(is_caller=is_caller))
        try:
            incident = services.incident_create(
                actor=request.user, data=form.to_input(tuple(inputs))
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
            return self._render(request, form, people, status=400)
        messages.success(
            request,
            _("Incident %(ref)s logged. Attend by %(deadline)s.")
            % {
                "ref": incident.reference,
                "deadline": timezone.localtime(incident.deadline_at).strftime("%H:%M on %d %b %Y"),
            },
        )
        return redirect("incidents:detail", pk=incident.pk)

    def _render(
        self,
        request: HttpRequest,
        form: IncidentForm,
        people: dict[str, PersonForm],
        status: int = 200,
    ) -> HttpResponse:
        others = [people[f"other{i}"] for i in range(OTHER_BLOCKS)]
        linked = {}
        for key, f in people.items():
            raw = f.data.get(f.add_prefix("person_id"), "") if f.is_bound else ""
            if str(raw).isdigit():
                linked[key] = selectors.person_get_for_user(user=request.user, pk=int(raw))
        return TemplateResponse(
            request,
            self.template_name,
            {
                "form": form,
                "people": people,
                "others": others,
                "linked": linked,
                "error_list": _error_list([form, *people.values()]),
            },
            status=status,
        )


def _error_list(forms: list[Any]) -> list[tuple[str, str]]:
    """(message, #field-id) for the GOV.UK error summary, in page order."""
    out: list[tuple[str, str]] = []
    for form in forms:
        if not form.is_bound:
            continue
        for name, errors in form.errors.items():
            if name == "__all__":
                anchor = "#main-content"
            else:
                anchor = "#" + (form[name].id_for_label or f"id_{form.add_prefix(name)}")
            out.extend((str(e), anchor) for e in errors)
    return out


def _posted_date(data: Any, name: str) -> date | None:
    try:
        day, month, year = (int(data.get(f"{name}_{i}", "")) for i in range(3))
        return date(year, month, day)
    except (TypeError, ValueError):
        return None


class PersonMatchPanelView(PolicyRequiredMixin, View):
    """The live match panel for one person block (htmx, debounced, before the form is sent).

    ``link``/``unlink`` in the request switch the block between "linked to this person" and
    searching; the linked person's id travels in a hidden input inside the panel.
    """

    policy = "incidents.match"
    throttle_scope = "match"

    def post(self, request: HttpRequest) -> HttpResponse:
        from rest_framework.throttling import ScopedRateThrottle

        from incidents.matching.engine import MatchQuery

        # The same per-user rate as /api/persons/match/ (DAPOLICE_MATCH_THROTTLE).
        if not ScopedRateThrottle().allow_request(request, self):  # type: ignore[arg-type]
            return HttpResponse(_("Too many searches; wait a moment."), status=429)

        data = request.POST
        prefix = data.get("panel", "")
        if prefix not in _person_forms():
            return HttpResponse(status=400)
        key = f"{prefix}-person_id"
        person_id = data.get("link") or ("" if "unlink" in data else data.get(key, ""))
        ctx: dict[str, Any] = {"prefix": prefix, "field_name": key}
        if person_id.isdigit():
            ctx["linked"] = selectors.person_get_for_user(user=request.user, pk=int(person_id))
            ctx["linked_flags"] = selectors.person_flags([ctx["linked"].pk])[ctx["linked"].pk]
            return render(request, "incidents/_match_panel.html", ctx)
        at_location = data.get(f"{prefix}-lives_at_location") == "on"
        postcode = data.get("location_postcode" if at_location else f"{prefix}-postcode", "")
        house = data.get("location_house" if at_location else f"{prefix}-house", "")
        query = MatchQuery(
            given_name=data.get(f"{prefix}-given_name", "").strip(),
            family_name=data.get(f"{prefix}-family_name", "").strip(),
            date_of_birth=_posted_date(data, f"{prefix}-date_of_birth"),
            phones=tuple(p for p in data.get(f"{prefix}-phones", "").split(",") if p.strip()),
            postcode=postcode,
            house=house,
        )
        if not (query.family_name or query.given_name or query.phones or query.date_of_birth):
            return render(request, "incidents/_match_panel.html", ctx)
        ctx["result"] = selectors.person_match(user=request.user, query=query)
        ctx["searched"] = True
        return render(request, "incidents/_match_panel.html", ctx)


# --- One incident -------------------------------------------------------------------------------


class IncidentDetailView(PolicyRequiredMixin, TemplateView):
    policy = "incidents.view"
    template_name = "incidents/incident_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        detail = selectors.incident_detail(user=user, pk=kwargs["pk"])
        ctx["detail"] = detail
        ctx["incident"] = detail.incident
        ctx["can_defer"] = access.check(user, "incidents.defer", detail.incident)
        ctx["can_record"] = access.check(user, "incidents.record_attendance", detail.incident)
        ctx["can_reveal"] = access.check(user, "incidents.address.reveal")
        # Prefixes keep the ids of the several forms on this page unique.
        ctx["defer_form"] = kwargs.get("defer_form") or DeferForm(prefix="defer")
        ctx["can_regrade"] = access.check(user, "incidents.regrade", detail.incident)
        ctx["regrade_form"] = kwargs.get("regrade_form") or RegradeForm(
            prefix="regrade", initial={"category": detail.incident.category.code}
        )
        ctx["dispatch_form"] = DispatchForm(prefix="dispatch")
        ctx["arrival_form"] = AttendanceForm(prefix="arrival")
        return ctx


class _IncidentActionView(PolicyRequiredMixin, View):
    """POST-only transitions on one incident: load visible (404), act (403/409), redirect."""

    rule: str

    def load(self, request: HttpRequest, pk: int) -> Any:
        incident = selectors.incident_get_for_user(user=request.user, pk=pk)
        if not access.check(request.user, self.rule, incident):
            if incident.is_open:
                raise PermissionDenied
            messages.warning(request, _("This incident has already been attended."))
            return None
        return incident


class _IncidentFormView(_IncidentActionView, abc.ABC):
    """A form posted from the incident page: valid and accepted, back to the page with a
    message; refused, the page again (400) with the form as typed and the error beside it."""

    form_class: type[forms.Form]
    prefix: str
    success_message: str

    @abc.abstractmethod
    def act(self, request: HttpRequest, incident: Any, data: dict[str, Any]) -> None:
        """Call this form's service."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        incident = self.load(request, pk)
        if incident is None:
            return redirect("incidents:detail", pk=pk)
        form = self.form_class(request.POST, prefix=self.prefix)
        if form.is_valid():
            try:
                self.act(request, incident, form.cleaned_data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, self.success_message)
                return redirect("incidents:detail", pk=pk)
        response = IncidentDetailView.as_view()(request, pk=pk, **{f"{self.prefix}_form": form})
        response.status_code = 400
        return response


class IncidentDeferView(_IncidentFormView):
    policy = "incidents.defer"
    rule = "incidents.defer"
    form_class = DeferForm
    prefix = "defer"
    success_message = _lazy("Attendance deferred.")

    def act(self, request: HttpRequest, incident: Any, data: dict[str, Any]) -> None:
        services.incident_defer(
            actor=request.user,
            incident=incident,
            until=data["until"],
            reason=data["reason"],
            victim_wishes=data["victim_wishes"],
        )


class IncidentRegradeView(_IncidentFormView):
    policy = "incidents.regrade"
    rule = "incidents.regrade"
    form_class = RegradeForm
    prefix = "regrade"
    success_message = _lazy("Incident regraded; the deadline has been updated.")

    def act(self, request: HttpRequest, incident: Any, data: dict[str, Any]) -> None:
        services.incident_regrade(
            actor=request.user,
            incident=incident,
            category_code=data["category"],
            reason=data["reason"],
        )


class _AttendanceView(_IncidentActionView, abc.ABC):
    """Record a dispatch or an arrival, now or at the time given."""

    policy = "incidents.record_attendance"
    rule = "incidents.record_attendance"
    prefix: str
    form_class: type[AttendanceForm] = AttendanceForm
    cleaned: dict[str, Any]

    @abc.abstractmethod
    def record(self, request: HttpRequest, incident: Any, at: Any) -> str:
        """Call this step's service; return the message for the user."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        incident = self.load(request, pk)
        if incident is not None:
            form = self.form_class(request.POST, prefix=self.prefix)
            if not form.is_valid():
                # Never record "now" in place of a time the user typed wrongly.
                if "officers" in form.errors:
                    messages.error(request, form.errors["officers"][0])
                else:
                    messages.error(
                        request, _("Enter the time as a date and time, or leave it empty.")
                    )
                return redirect("incidents:detail", pk=pk)
            self.cleaned = form.cleaned_data
            try:
                messages.success(request, self.record(request, incident, form.cleaned_data["at"]))
            except DomainError as exc:
                messages.error(request, exc.message)
        return redirect("incidents:detail", pk=pk)


class IncidentDispatchView(_AttendanceView):
    prefix = "dispatch"
    form_class = DispatchForm

    def record(self, request: HttpRequest, incident: Any, at: Any) -> str:
        services.incident_dispatch(
            actor=request.user, incident=incident, officers=self.cleaned["officers"], at=at
        )
        return _("Dispatch recorded.")


class IncidentArrivalView(_AttendanceView):
    prefix = "arrival"

    def record(self, request: HttpRequest, incident: Any, at: Any) -> str:
        done = services.incident_record_arrival(actor=request.user, incident=incident, at=at)
        if done.attended_within_target:
            return _("Arrival recorded: within target.")
        return _("Arrival recorded: after the target time.")


class AddressRevealView(PolicyRequiredMixin, View):
    """Break-glass for one incident: a reason, then its restricted address in clear, briefly."""

    policy = "incidents.address.reveal"
    template_name = "incidents/address_reveal.html"

    def _load(self, request: HttpRequest, pk: int, address_pk: int) -> tuple[Any, Address]:
        incident = selectors.incident_get_for_user(user=request.user, pk=pk)
        # Only restricted addresses are revealed here; anything else is "not found".
        address = selectors.address_get_for_user(
            user=request.user, pk=address_pk, restricted_only=True
        )
        return incident, address

    def get(self, request: HttpRequest, pk: int, address_pk: int) -> HttpResponse:
        incident, address = self._load(request, pk, address_pk)
        ctx = {"incident": incident, "address": address, "form": RevealAddressForm()}
        return render(request, self.template_name, ctx)

    def post(self, request: HttpRequest, pk: int, address_pk: int) -> HttpResponse:
        incident, address = self._load(request, pk, address_pk)
        form = RevealAddressForm(request.POST)
        if form.is_valid():
            try:
                services.address_reveal(
                    actor=request.user,
                    incident=incident,
                    address=address,
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                if exc.field == "address":
                    raise Http404 from None
                form.add_error("reason", exc.message)
            else:
                ctx = {"incident": incident, "address": address, "revealed": True}
                return render(request, self.template_name, ctx)
        ctx = {"incident": incident, "address": address, "form": form}
        return render(request, self.template_name, ctx, status=400)
