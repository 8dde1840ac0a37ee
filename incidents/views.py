"""Call-intake pages. Each view: access (selector), service, response; no rules here."""

from __future__ import annotations

import abc
import math
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from dapolice import access
from dapolice.access.views import ObjectPolicyMixin, PolicyRequiredMixin
from dapolice.alerts.selectors import alerting_delayed, alerts_for_subjects
from dapolice.common.errors import Conflict, DomainError
from dapolice.common.forms import field_anchor
from dapolice.common.http import AuthenticatedHttpRequest
from dapolice.common.throttling import ResilientScopedRateThrottle
from incidents import selectors, services
from incidents.choices import PersonRole
from incidents.filters import IncidentListFilter
from incidents.forms import (
    AddCallForm,
    AddressLookupForm,
    AttendanceForm,
    CustodyEventForm,
    DeadlinePreviewForm,
    DeferForm,
    DispatchForm,
    IncidentForm,
    IncidentSearchForm,
    InspectorShiftForm,
    MatchPanelForm,
    PersonForm,
    RegradeForm,
    RevealAddressForm,
    RevealReviewForm,
    VictimInformedForm,
)
from incidents.inputs import PersonInput
from incidents.matching.services import match_label_record
from incidents.models import AddressReveal, AttendanceCategory, Incident
from incidents.validators import parse_id

OTHER_BLOCKS = 3
#: Shown by static/js/intake.js when it puts back a draft kept in the browser tab.
DRAFT_BANNERS = [
    (
        "draft-restored",
        gettext_lazy(
            "What you typed before you were signed out has been put back. Check it and send it."
        ),
    ),
    (
        "draft-already-sent",
        gettext_lazy(
            "This call was already logged. Sending it again opens the incident logged; "
            "it does not log a second one."
        ),
    ),
]


#: The incident list's search term, kept in the session: a name or an address never enters a
#: URL (access logs, browser history).
LIST_SEARCH_SESSION_KEY = "dapolice_incident_search"


#: The list's columns: (sort key of ``IncidentListFilter.sort`` or "", heading).
LIST_COLUMNS = [
    ("reference", gettext_lazy("Reference")),
    ("received", gettext_lazy("Received")),
    ("", gettext_lazy("Location")),
    ("", gettext_lazy("Category")),
    ("", gettext_lazy("Status")),
    ("deadline", gettext_lazy("Deadline")),
    ("risk", gettext_lazy("Risk")),
]


class IncidentListView(PolicyRequiredMixin, TemplateView):
    """The way in for everyone who is not in the control room: search, filters, sort, pages
    (the MOJ filter-and-table pattern), every row a link."""

    policy = "incidents.view"
    template_name = "incidents/incident_list.html"

    def post(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        """The search box: the term goes into the session, the filters stay in the URL."""
        form = IncidentSearchForm(request.POST)
        term = form.cleaned_data["q"] if form.is_valid() else ""
        if term and "clear" not in request.POST:
            request.session[LIST_SEARCH_SESSION_KEY] = term
        else:
            request.session.pop(LIST_SEARCH_SESSION_KEY, None)
        query = request.GET.copy()
        query.pop("page", None)
        url = reverse("incidents:list")
        return redirect(f"{url}?{query.urlencode()}" if query else url)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        filters = IncidentListFilter(self.request.GET or None)
        search = self.request.session.get(LIST_SEARCH_SESSION_KEY, "")
        page = selectors.incident_list(
            user=self.user,
            page=self.request.GET.get("page"),
            filters=self.request.GET,
            search=search,
        )
        query = self.request.GET.copy()
        query.pop("page", None)
        ctx.update(
            page_obj=page,
            page_numbers=page.paginator.get_elided_page_range(page.number, on_ends=1),
            filter_form=filters.form,
            search_form=IncidentSearchForm(initial={"q": search}),
            search=search,
            categories=AttendanceCategory.objects.filter(active=True).order_by("order"),
            query=query.urlencode(),
            sort=self.request.GET.get("sort", ""),
            filtering=bool(search or any(v for k, v in self.request.GET.items() if k != "page")),
            sort_columns=LIST_COLUMNS,
            overdue_checked=self.request.GET.get("overdue") == "true",
            now=timezone.now(),
        )
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
        ctx["board_limit"] = settings.DAPOLICE_BOARD_LIMIT
        ctx["can_defer"] = access.check(self.user, "incidents.defer")
        # The board reads overdue incidents from the database itself; this says when the
        # alerts about them may be late (the sweep's heartbeat is old).
        ctx["alerting_delayed"] = alerting_delayed()
        # The audited read last: the audit row says the board was shown, so nothing that can
        # still fail (the database going away mid-request) may come after it.
        ctx["incidents"] = selectors.incident_board(user=self.user)
        return ctx


# --- Intake -----------------------------------------------------------------------------------


#: The person blocks of the intake page, by form prefix (the match panel's ``panel`` value).
PERSON_BLOCKS = ("victim", "suspect", "caller", *(f"other{i}" for i in range(OTHER_BLOCKS)))


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

    def get(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        return self._render(request, IncidentForm(), _person_forms())

    def post(self, request: AuthenticatedHttpRequest) -> HttpResponse:
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
        request: AuthenticatedHttpRequest,
        form: IncidentForm,
        people: dict[str, PersonForm],
        status: int = 200,
    ) -> HttpResponse:
        others = [people[f"other{i}"] for i in range(OTHER_BLOCKS)]
        linked = {}
        for key, f in people.items():
            raw = f.data.get(f.add_prefix("person_id"), "") if f.is_bound else ""
            pk = parse_id(raw)  # "²".isdigit() is true: only ASCII digits are an id
            if pk is None:
                continue
            try:
                linked[key] = selectors.person_get_for_user(user=request.user, pk=pk)
            except Http404:
                # Not on record (or not for this user): the form comes back with what was
                # typed, and the service refuses the link when it is sent ("no longer exists").
                continue
        return TemplateResponse(
            request,
            self.template_name,
            {
                "form": form,
                "people": people,
                "others": others,
                "linked": linked,
                "error_list": _intake_error_list(form, people),
                "draft_banners": DRAFT_BANNERS,
            },
            status=status,
        )


class AddressLookupView(PolicyRequiredMixin, View):
    """The street and town on record for the house and postcode typed on the intake page, so
    the call taker need not type them (issue 8, item 6). JSON for static/js/intake.js; a
    restricted address is never found. Throttled as the match panel is."""

    policy = "incidents.create"
    http_method_names = ["post"]
    throttle_scope = "match"

    def post(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        throttle = ResilientScopedRateThrottle()
        if not throttle.allow_request(request, self):
            return JsonResponse({"found": False, "error": _("Too many searches.")}, status=429)
        form = AddressLookupForm(request.POST)
        if not form.is_valid():
            return JsonResponse({"found": False})
        address = selectors.address_lookup(
            user=request.user,
            postcode=form.cleaned_data["location_postcode"],
            house=form.cleaned_data["location_house"],
        )
        if address is None or not (address.street or address.town):
            return JsonResponse({"found": False})
        return JsonResponse({"found": True, "street": address.street, "town": address.town})


class IncidentDeadlinePreviewView(PolicyRequiredMixin, View):
    """The deadline as it will be, in the intake page's summary, while the call taker grades
    (htmx, on a change of grade, postcode or urban/rural). The same service rule that sets the
    deadline of the incident logged; reads no person or case record, writes nothing."""

    policy = "incidents.create"
    http_method_names = ["post"]
    template_name = "incidents/_deadline_preview.html"

    def post(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        form = DeadlinePreviewForm(request.POST)
        form.is_valid()  # never refuses; see the form
        data = form.cleaned_data
        ctx: dict[str, Any] = {"has_postcode": bool(data.get("location_postcode"))}
        preview = services.incident_deadline_preview(
            category_code=data.get("category", ""),
            location=form.location(),
            received_at=data["call_started"],
        )
        if preview is not None:
            ctx["minutes"], ctx["deadline_at"], ctx["rural"] = preview
            ctx["category"] = data["category"]
            ctx["chosen"] = (data.get("location_rurality") or "auto") != "auto"
        return TemplateResponse(request, self.template_name, ctx)


class IncidentAddCallView(IncidentCreateView):
    """The intake page sent to "add this call to the open incident": a further call on it
    (with what the caller said), not a second incident. Refused or no longer open: the intake
    page again with everything typed and the reason, so it can be logged as a new incident."""

    http_method_names = ["post"]  # the intake page is /incidents/new/ (a GET here was a 500)

    def post(  # type: ignore[override]
        self, request: AuthenticatedHttpRequest, pk: int
    ) -> HttpResponse:
        incident = selectors.incident_get_for_user(user=request.user, pk=pk)
        form = AddCallForm(request.POST)
        if form.is_valid():
            try:
                services.incident_add_call(
                    actor=request.user,
                    incident=incident,
                    note=form.cleaned_data["narrative"],
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
            except DomainError as exc:
                message = exc.message
            else:
                messages.success(
                    request,
                    _("This call was added to %(ref)s.") % {"ref": incident.reference},
                )
                return redirect("incidents:detail", pk=incident.pk)
        else:
            message = _("This page has expired: log the call as a new incident.")
        intake = IncidentForm(request.POST)
        intake.is_valid()
        intake.add_error(None, message)
        return self._render(request, intake, _person_forms(request.POST), status=400)


def _person_label(key: str) -> str:
    if key.startswith("other"):
        return _("Person present %(n)d") % {"n": int(key[5:]) + 1}
    return {"victim": _("Victim"), "suspect": _("Suspect"), "caller": _("Caller")}[key]


def _intake_error_list(form: IncidentForm, people: dict[str, PersonForm]) -> list[tuple[str, str]]:
    """The intake's error summary in page order (location, victim, suspect, caller, checklist,
    people present, grading), each person's message saying whom it is about."""
    if not form.is_bound:
        return []

    def of(names: list[str]) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for name in names:
            if name == "__all__":
                anchor = "#main-content"
            else:
                anchor = "#" + (form[name].id_for_label or f"id_{name}")
            out.extend((str(e), anchor) for e in form.errors.get(name, []))
        return out

    def person(key: str) -> list[tuple[str, str]]:
        label = _person_label(key)
        return [(f"{label}: {message}", anchor) for message, anchor in _error_list([people[key]])]

    fields = list(form.fields)
    grading = [
        n for n in fields if n.startswith("thrive_") or n in ("location_rurality", "category")
    ]
    location = [
        n
        for n in fields
        if n not in grading and (n.startswith("location_") or n in ("caller", "call_started"))
    ]
    checklist = [n for n in fields if n not in grading and n not in location]
    out = of(["__all__"]) + of(location)
    for key in ("victim", "suspect", "caller"):
        out += person(key)
    out += of(checklist)
    for key in people:
        if key.startswith("other"):
            out += person(key)
    return out + of(grading)


def _error_list(forms: list[Any]) -> list[tuple[str, str]]:
    """(message, #field-id) for the GOV.UK error summary, in page order."""
    out: list[tuple[str, str]] = []
    for form in forms:
        if not form.is_bound:
            continue
        for name, errors in form.errors.items():
            out.extend((str(e), field_anchor(form, name)) for e in errors)
    return out


class PersonMatchPanelView(PolicyRequiredMixin, View):
    """The live match panel for one person block (htmx, debounced, before the form is sent).

    ``link``/``unlink`` in the request switch the block between "linked to this person" and
    searching; the linked person's id travels in a hidden input inside the panel.
    """

    policy = "incidents.match"
    throttle_scope = "match"

    def post(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        # The same per-user rate as /api/persons/match/ (DAPOLICE_MATCH_THROTTLE).
        throttle = ResilientScopedRateThrottle()
        if not throttle.allow_request(request, self):
            refused = HttpResponse(_("Too many searches; wait a moment."), status=429)
            # The panel's script waits this long before it searches again (issue 13).
            refused["Retry-After"] = str(max(1, math.ceil(throttle.wait() or 1)))
            return refused
        # The block names only: building six person forms per keystroke cost more than the search.
        form = MatchPanelForm(request.POST, blocks=list(PERSON_BLOCKS))
        if not form.is_valid():
            # Only a tampered request names no block of the intake page.
            return HttpResponse(_("Unknown person block."), status=400)
        search = form.search_form()
        ctx: dict[str, Any] = {
            "prefix": form.cleaned_data["panel"],
            "field_name": search.add_prefix("person_id"),
        }
        person_id = form.linked_person_id(search)
        if person_id is not None:
            ctx["linked"] = selectors.person_get_for_user(user=request.user, pk=person_id)
            query = form.query(search)
            if form.cleaned_data["link"] and query is not None:
                # Just chosen in the panel: the call taker's decision is a label (issue 14).
                match_label_record(
                    actor=request.user, person=ctx["linked"], query=query, positive=True
                )
            ctx["linked_flags"] = selectors.person_flags([person_id])[ctx["linked"].pk]
            ctx["open_incidents"] = self._open_incidents(form, [person_id])
            return render(request, "incidents/_match_panel.html", ctx)
        query = form.query(search)
        if query is not None and form.cleaned_data["reject"]:
            # "Not this person" (issue 14): a negative label; the search below leaves them out.
            rejected = selectors.person_get_for_user(
                user=request.user, pk=form.cleaned_data["reject"]
            )
            match_label_record(actor=request.user, person=rejected, query=query, positive=False)
        if query is not None:
            ctx["rejected_ids"] = query.exclude_person_ids
            # The people and open incidents shown: read together, audited in one write.
            result = selectors.person_match(
                user=request.user,
                query=query,
                open_at=(
                    form.cleaned_data["location_postcode"],
                    form.cleaned_data["location_house"],
                ),
            )
            ctx["open_incidents"] = result.open_incidents
            ctx["result"] = result
            ctx["searched"] = True
        return render(request, "incidents/_match_panel.html", ctx)

    def _open_incidents(self, form: MatchPanelForm, person_ids: list[int]) -> list[Incident]:
        """Open incidents at the incident's location or for the likely people: a possible
        duplicate call."""
        return selectors.incident_open_for(
            user=self.user,
            postcode=form.cleaned_data["location_postcode"],
            house=form.cleaned_data["location_house"],
            person_ids=person_ids,
        )


# --- One incident -------------------------------------------------------------------------------


#: Alerts listed on an incident's page (newest first).
RAISED_ALERTS = 50


def _detail_page(
    request: AuthenticatedHttpRequest, incident: Incident, *, status: int = 200, **forms_given: Any
) -> TemplateResponse:
    """The incident page; ``forms_given`` (``defer_form=...``) replace the blank forms, so a
    refused or invalid form comes back as typed, with its errors."""
    user = request.user
    detail = selectors.incident_detail(user=user, incident=incident)
    # Each action is offered when the policy allows it (who) and the incident is open (when; the
    # service refuses a closed one anyway). A posted form is always shown back, refused or not.
    open_ = incident.is_open
    blank = {
        # Prefixes keep the ids of the several forms on this page unique.
        "defer_form": DeferForm(prefix="defer"),
        "regrade_form": RegradeForm(prefix="regrade", initial={"category": incident.category.code}),
        "dispatch_form": DispatchForm(prefix="dispatch"),
        "arrival_form": AttendanceForm(prefix="arrival"),
    }
    suspects = selectors.incident_suspects(incident=incident)
    blank["custody_form"] = CustodyEventForm(prefix="custody", suspects=suspects)
    blank["informed_form"] = VictimInformedForm(prefix="informed")
    informed_event = forms_given.pop("informed_event", None)
    custody_events = selectors.custody_events_for(user=user, incident=incident)
    forms_ = {**blank, **forms_given}
    ctx = {
        "detail": detail,
        "incident": incident,
        "calls": selectors.incident_calls(user=user, incident=incident),
        **forms_,
        "can_defer": open_ and access.check(user, "incidents.defer", incident),
        "can_record": open_ and access.check(user, "incidents.record_attendance", incident),
        "can_regrade": open_ and access.check(user, "incidents.regrade", incident),
        "can_reveal": access.check(user, "incidents.address.reveal"),
        # Bail, custody and release (recommendation 12): not only while the incident is open.
        "custody_events": custody_events,
        "can_record_custody": bool(suspects)
        and access.check(user, "incidents.custody.record", incident),
        "can_inform_victim": access.check(user, "incidents.custody.inform"),
        # The event whose "victim informed" form came back with an error (shown as typed).
        "informed_event_id": informed_event,
        "error_list": _error_list(list(forms_given.values())),
        # The alerts this incident raised (attendance warning, breach, escalation) and its bail
        # and custody events raised (re-assess, victim not told), newest first.
        "raised_alerts": list(
            alerts_for_subjects(user=user, subject=incident, related=custody_events)[:RAISED_ALERTS]
        ),
    }
    return TemplateResponse(request, "incidents/incident_detail.html", ctx, status=status)


class IncidentDetailView(ObjectPolicyMixin, View):
    policy = "incidents.view"

    def get_object(self) -> Incident:
        return selectors.incident_get_for_user(user=self.user, pk=self.kwargs["pk"])

    def get(self, request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
        return _detail_page(request, self.object)


class _IncidentFormView(ObjectPolicyMixin, View, abc.ABC):
    """A form posted from the incident page. Valid and accepted: back to the page with a message.
    Invalid or refused by the service: the page again (400) with the form as typed and the error
    beside it. Refused by the policy: the page again (403) with the form as typed and who may do
    it, or the 403 page when the user may not see the incident. Already attended: back to the
    page with a warning."""

    form_class: type[forms.Form]
    prefix: str

    def get_object(self) -> Incident:
        return selectors.incident_get_for_user(user=self.user, pk=self.kwargs["pk"])

    def get_form(self) -> forms.Form:
        return self.form_class(self.request.POST, prefix=self.prefix)

    @abc.abstractmethod
    def act(self, incident: Incident, data: dict[str, Any]) -> str:
        """Call this form's service; return the message for the user."""

    def _again(self, form: forms.Form, status: int) -> HttpResponse:
        request = cast(AuthenticatedHttpRequest, self.request)  # signed in: the mixin checked
        return _detail_page(request, self.object, status=status, **{f"{self.prefix}_form": form})

    def post(self, request: AuthenticatedHttpRequest, pk: int, **kwargs: Any) -> HttpResponse:
        form = self.get_form()
        if not form.is_valid():
            return self._again(form, 400)
        try:
            done = self.act(self.object, form.cleaned_data)
        except Conflict as exc:
            messages.warning(request, exc.message)
            return redirect("incidents:detail", pk=pk)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return self._again(form, 400)
        except PermissionDenied as exc:
            # A rule the service applies from the incident's state (regrading after the target).
            form.add_error(None, str(exc) or access.refusal(self.policy or ""))
            return self._again(form, 403)
        messages.success(request, done)
        return redirect("incidents:detail", pk=pk)

    def policy_denied(self, message: str) -> HttpResponseBase:
        if not hasattr(self, "object"):
            # Refused on the role alone: show the incident (and what was typed) only to someone
            # who may see it.
            if not access.check(self.user, "incidents.view"):
                return super().policy_denied(message)
            self.object = self.get_object()
        form = self.get_form()
        form.is_valid()
        form.add_error(None, message)
        return self._again(form, 403)


class IncidentDeferView(_IncidentFormView):
    policy = "incidents.defer"
    form_class = DeferForm
    prefix = "defer"

    def act(self, incident: Incident, data: dict[str, Any]) -> str:
        services.incident_defer(
            actor=self.user,
            incident=incident,
            until=data["until"],
            reason=data["reason"],
            victim_wishes=data["victim_wishes"],
        )
        return _("Attendance deferred.")


class IncidentRegradeView(_IncidentFormView):
    policy = "incidents.regrade"
    form_class = RegradeForm
    prefix = "regrade"

    def act(self, incident: Incident, data: dict[str, Any]) -> str:
        services.incident_regrade(
            actor=self.user,
            incident=incident,
            category_code=data["category"],
            reason=data["reason"],
        )
        return _("Incident regraded; the deadline has been updated.")


class IncidentDispatchView(_IncidentFormView):
    """An officer is on the way, now or at the time given."""

    policy = "incidents.record_attendance"
    prefix = "dispatch"
    form_class = DispatchForm

    def act(self, incident: Incident, data: dict[str, Any]) -> str:
        services.incident_dispatch(
            actor=self.user,
            incident=incident,
            officers=data["officers"],
            at=data["at"],
            reason=data["reason"],
        )
        return _("Dispatch recorded.")


class IncidentArrivalView(_IncidentFormView):
    """The officer arrived, now or at the time given; says whether it was within the target."""

    policy = "incidents.record_attendance"
    form_class = AttendanceForm
    prefix = "arrival"

    def act(self, incident: Incident, data: dict[str, Any]) -> str:
        done = services.incident_record_arrival(
            actor=self.user, incident=incident, at=data["at"], reason=data["reason"]
        )
        if done.attended_within_target:
            return _("Arrival recorded: within target.")
        return _("Arrival recorded: after the target time.")


class CustodyEventRecordView(_IncidentFormView):
    """A suspect's bail or custody change: the victim is to be told, the risk re-assessed."""

    policy = "incidents.custody.record"
    form_class = CustodyEventForm
    prefix = "custody"

    def get_form(self) -> forms.Form:
        suspects = selectors.incident_suspects(incident=self.object)
        return CustodyEventForm(self.request.POST, prefix=self.prefix, suspects=suspects)

    def act(self, incident: Incident, data: dict[str, Any]) -> str:
        suspect = next(
            p for p in selectors.incident_suspects(incident=incident) if p.pk == data["suspect"]
        )
        event = services.custody_event_record(
            actor=self.user,
            incident=incident,
            suspect=suspect,
            kind=data["kind"],
            occurred_at=data["occurred_at"],
            notes=data["notes"],
        )
        return _("Recorded. Tell the victim by %(by)s; a re-assessment task has been raised.") % {
            "by": timezone.localtime(event.tell_victim_by).strftime("%H:%M %d %b %Y")
        }


class CustodyVictimInformedView(_IncidentFormView):
    """The victim was told of a bail or custody change: the Victims' Code clock stops."""

    policy = "incidents.custody.inform"
    form_class = VictimInformedForm
    prefix = "informed"

    def _again(self, form: forms.Form, status: int) -> HttpResponse:
        request = cast(AuthenticatedHttpRequest, self.request)
        return _detail_page(
            request,
            self.object,
            status=status,
            informed_form=form,
            informed_event=self.kwargs["event_pk"],
        )

    def act(self, incident: Incident, data: dict[str, Any]) -> str:
        event = selectors.custody_event_get_for_user(
            user=self.user, incident=incident, pk=self.kwargs["event_pk"]
        )
        services.custody_victim_informed(actor=self.user, event=event, at=data["at"])
        return _("Recorded that the victim was told.")


class AddressRevealView(ObjectPolicyMixin, View):
    """Break-glass for one incident: a reason, then its restricted address in clear, briefly,
    on this incident only.

    The page answers the same for any address id (issue 7, finding 4: a 200 for a refuge and a
    404 for anything else enumerated every refuge): the form on GET, and one message on POST
    for an address that does not exist, is not restricted or is not part of this incident.
    """

    policy = "incidents.address.reveal"
    template_name = "incidents/address_reveal.html"

    def get_object(self) -> Incident:
        self.incident = selectors.incident_get_for_user(user=self.user, pk=self.kwargs["pk"])
        return self.incident

    def _page(self, status: int = 200, **ctx: Any) -> HttpResponse:
        ctx = {"incident": self.incident, **ctx}
        return render(self.request, self.template_name, ctx, status=status)

    def get(self, request: AuthenticatedHttpRequest, pk: int, address_pk: int) -> HttpResponse:
        # Revealed a moment ago (a reload, Back): the address and when it hides again, not a
        # second "Reveal" (issue 8, item 8).
        revealed = selectors.address_revealed(
            user=request.user, incident=self.incident, pk=address_pk
        )
        if revealed is not None:
            address, expires_at = revealed
            return self._page(revealed=True, address=address, expires_at=expires_at)
        return self._page(form=RevealAddressForm())

    def post(self, request: AuthenticatedHttpRequest, pk: int, address_pk: int) -> HttpResponse:
        form = RevealAddressForm(request.POST)
        if form.is_valid():
            address = selectors.address_for_reveal(user=request.user, pk=address_pk)
            try:
                if address is None:
                    raise DomainError(
                        _("There is no restricted address to reveal here."), field="address"
                    )
                services.address_reveal(
                    actor=request.user,
                    incident=self.incident,
                    address=address,
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                form.add_error("reason", exc.message)
            else:
                revealed = selectors.address_revealed(
                    user=request.user, incident=self.incident, pk=address_pk
                )
                expires_at = revealed[1] if revealed else None
                return self._page(revealed=True, address=address, expires_at=expires_at)
        return self._page(status=400, form=form, error_list=_error_list([form]))


# --- Break-glass review queue ----------------------------------------------------------------


class RevealQueueView(PolicyRequiredMixin, TemplateView):
    """Reveals of restricted addresses waiting for a second person's sign-off (oldest first)."""

    policy = "incidents.reveal.review"
    template_name = "incidents/reveal_queue.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        failed, form = kwargs.get("failed"), kwargs.get("form")
        ctx["items"] = [
            (r, form if r.pk == failed else RevealReviewForm(prefix=f"reveal{r.pk}"))
            for r in selectors.reveal_queue(user=self.user)
        ]
        return ctx


class RevealReviewView(ObjectPolicyMixin, View):
    """Sign off one reveal: justified, or not (with a note). Never one's own (the rule says so
    before the service and the database do)."""

    policy = "incidents.reveal.review"

    def get_object(self) -> AddressReveal:
        return selectors.reveal_get_for_user(user=self.user, pk=self.kwargs["pk"])

    def post(self, request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
        form = RevealReviewForm(request.POST, prefix=f"reveal{pk}")
        if form.is_valid():
            try:
                services.reveal_review(
                    actor=request.user,
                    reveal=self.object,
                    outcome=form.cleaned_data["outcome"],
                    note=form.cleaned_data["note"],
                )
            except Conflict as exc:
                messages.warning(request, exc.message)
                return redirect("incidents:reveal-queue")
            except DomainError as exc:
                form.add_error("note" if exc.field == "note" else "outcome", exc.message)
            else:
                messages.success(request, _("Reveal signed off."))
                return redirect("incidents:reveal-queue")
        view = RevealQueueView(request=request, kwargs={})
        ctx = view.get_context_data(form=form, failed=self.object.pk)
        ctx["error_list"] = _error_list([form])
        return TemplateResponse(request, RevealQueueView.template_name, ctx, status=400)


# --- The duty inspector rota -------------------------------------------------------------------


class InspectorRotaView(PolicyRequiredMixin, View):
    """Who is the duty inspector when: unattended incidents escalate to them (nobody on duty:
    ``DAPOLICE_DUTY_INSPECTOR_ROLE``). Supervisors and administrators add and end shifts."""

    policy = "incidents.inspector_rota"
    template_name = "incidents/inspector_rota.html"

    def _page(self, form: InspectorShiftForm, status: int = 200) -> HttpResponse:
        now = timezone.now()
        ctx = {
            "form": form,
            "shifts": selectors.inspector_rota(user=self.user, now=now),
            "on_duty": selectors.duty_inspector_at(now),
            "fallback_role": settings.DAPOLICE_DUTY_INSPECTOR_ROLE,
            "now": now,
            "error_list": _error_list([form]),
        }
        return render(self.request, self.template_name, ctx, status=status)

    def get(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        return self._page(InspectorShiftForm())

    def post(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        form = InspectorShiftForm(request.POST)
        if not form.is_valid():
            return self._page(form, 400)
        try:
            services.inspector_shift_add(
                actor=request.user,
                user=form.cleaned_data["user"],
                starts_at=form.cleaned_data["starts_at"],
                ends_at=form.cleaned_data["ends_at"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return self._page(form, 400)
        messages.success(request, _("Shift added to the duty inspector rota."))
        return redirect("incidents:inspector-rota")


class InspectorShiftEndView(PolicyRequiredMixin, View):
    """End a shift now (one not yet started is removed)."""

    policy = "incidents.inspector_rota"

    def post(self, request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
        shift = selectors.inspector_shift_get(pk=pk)
        try:
            done = services.inspector_shift_end(actor=request.user, shift=shift)
        except Conflict as exc:
            messages.warning(request, exc.message)
        else:
            messages.success(
                request, _("Shift ended.") if done is not None else _("Shift removed.")
            )
        return redirect("incidents:inspector-rota")
