"""Reference pages: requests and the borough's queue, completing and declining, uploads, proposals, and
reading a reference (every view and download audited)."""

from functools import cached_property

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views import View
from django.views.generic import ListView

from boroughs.selectors import borough_directory
from pledge_portal import access
from pledge_portal.access.views import ActionRequiredMixin, get_visible_or_404
from pledge_portal.core.forms import ActingForField
from pledge_portal.core.uploads import explain_refused_uploads

from . import selectors, services
from .answers import AnswersInvalid, answer_sections
from .forms import DeclineForm, ProposalForm, ReferenceAnswersForm, ReferenceRequestForm, UploadDetailsForm
from .pdf import reference_pdf, reference_pdf_filename


class RequestListView(ActionRequiredMixin, ListView):
    """A borough's queue of requests to answer, and an agency's requests, with due dates."""

    action_required = "reference_request.read"
    template_name = "references/request_list.html"
    context_object_name = "requests"
    paginate_by = 50

    def get_queryset(self):
        qs = selectors.requests_visible_to(self.request.user)
        if self.request.GET.get("show") != "all":
            qs = qs.filter(status="requested")
        return qs

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            today=timezone.localdate(),
            show_all=self.request.GET.get("show") == "all",
            **kwargs,
        )


class AgencyActionMixin(ActionRequiredMixin):
    """An agency's action: the agency is the user's own (they choose, if they work for several)."""

    def with_agency(self, form):
        agencies = selectors.agencies_acted_for(self.request.user, self.action_required)
        form.fields = {"agency": ActingForField(agencies, label="Agency"), **form.fields}
        return form


class AgencyFormView(AgencyActionMixin, View):
    """A form an agency user fills in about a candidate, handed to one service; a refusal by the service
    is shown on the form, with everything typed kept."""

    form_class: type

    def form(self, data=None):
        return self.with_agency(self.form_class(data, boroughs=borough_directory()))

    def get(self, request):
        return render(request, self.template_name, {"form": self.form()})

    def post(self, request):
        form = self.form(request.POST)
        if form.is_valid():
            try:
                made = self.save(form.cleaned_data)
            except services.ReferenceError as exc:
                form.add_error(None, str(exc))
            else:
                return self.done(made)
        return render(request, self.template_name, {"form": form}, status=400)


class RequestCreateView(AgencyFormView):
    action_required = "reference_request.make"
    template_name = "references/request_form.html"
    form_class = ReferenceRequestForm

    def save(self, data):
        return services.request_reference(by=self.request.user, **data)

    def done(self, made):
        messages.success(self.request, f"Request sent to {made.borough}. It is due by {made.due_on:%-d %B %Y}.")
        return redirect("references:request-detail", pk=made.pk)


class RequestMixin(ActionRequiredMixin):
    """A page about one request, reached through the view's action: one the user may not act on is a 404."""

    action_required = "reference_request.read"

    @cached_property
    def reference_request(self):
        requests = selectors.requests_visible_to(self.request.user, self.action_required)
        return get_object_or_404(requests, pk=self.kwargs["pk"])


class RequestDetailView(RequestMixin, View):
    template_name = "references/request_detail.html"

    def get(self, request, pk):
        req = self.reference_request
        return render(
            request,
            self.template_name,
            {
                "req": req,
                "today": timezone.localdate(),
                "reference": getattr(req, "reference", None),
            },
        )


class RequestCompleteView(RequestMixin, View):
    """The borough writes the reference on the current template version."""

    action_required = "reference_request.answer"
    template_name = "references/request_complete.html"

    def _check(self):
        if not self.reference_request.is_open:
            messages.info(
                self.request, f"This request is already {self.reference_request.get_status_display().lower()}."
            )
            return redirect("references:request-detail", pk=self.reference_request.pk)
        return None

    def get(self, request, pk):
        if (done := self._check()) is not None:
            return done
        form = ReferenceAnswersForm(selectors.current_template())
        return render(request, self.template_name, {"req": self.reference_request, "form": form})

    def post(self, request, pk):
        if (done := self._check()) is not None:
            return done
        form = ReferenceAnswersForm(selectors.current_template(), data=request.POST)
        if form.is_valid():
            try:
                reference = services.complete_reference(
                    request=self.reference_request, by=request.user, answers=form.answers()
                )
            except (services.ReferenceError, AnswersInvalid) as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Reference sent. The agency can read it now.")
                return redirect("references:reference-detail", pk=reference.pk)
        return render(request, self.template_name, {"req": self.reference_request, "form": form}, status=400)


class RequestDeclineView(RequestMixin, View):
    action_required = "reference_request.answer"
    template_name = "references/request_decline.html"

    def get(self, request, pk):
        return render(request, self.template_name, {"req": self.reference_request, "form": DeclineForm()})

    def post(self, request, pk):
        form = DeclineForm(request.POST)
        if form.is_valid():
            try:
                services.decline_request(
                    request=self.reference_request, by=request.user, reason=form.cleaned_data["reason"]
                )
            except services.ReferenceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Request declined. The agency sees your reason.")
                return redirect("references:requests")
        return render(request, self.template_name, {"req": self.reference_request, "form": form}, status=400)


class RequestCancelView(RequestMixin, View):
    action_required = "reference_request.cancel"
    http_method_names = ["post"]

    def post(self, request, pk):
        try:
            services.cancel_request(request=self.reference_request, by=request.user)
        except services.ReferenceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Request cancelled.")
        return redirect("references:request-detail", pk=pk)


class ReferenceListView(ActionRequiredMixin, ListView):
    action_required = "reference.read"
    template_name = "references/reference_list.html"
    context_object_name = "references"
    paginate_by = 50

    def get_queryset(self):
        return selectors.references_visible_to(self.request.user)


class ReferenceMixin(ActionRequiredMixin):
    action_required = "reference.read"

    @cached_property
    def reference(self):
        return get_visible_or_404(selectors.references_visible_to, self.request.user, pk=self.kwargs["pk"])


class ReferenceDetailView(ReferenceMixin, View):
    """Reading a reference; the read is audited and appears in the reference's history."""

    template_name = "references/reference_detail.html"

    def get(self, request, pk):
        reference = self.reference
        services.record_access(reference=reference, by=request.user, action="viewed", request=request)
        show_history = access.can(request.user, "reference.read_history", reference)
        return render(
            request,
            self.template_name,
            {
                "reference": reference,
                "sections": answer_sections(reference.template, reference.answers),
                "history": selectors.reference_history(reference) if show_history else None,
            },
        )


class ReferenceDownloadView(ReferenceMixin, View):
    """The uploaded file, or a PDF of a reference completed in the portal. Served only here, audited."""

    def get(self, request, pk):
        reference = self.reference
        services.record_access(reference=reference, by=request.user, action="downloaded", request=request)
        if reference.file:
            content = reference.file.read()
            kind = reference.file_type
            content_type = (
                "application/pdf"
                if kind == "pdf"
                else "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            )
            filename = reference.file_name
        else:
            content, content_type, filename = (
                reference_pdf(reference),
                "application/pdf",
                reference_pdf_filename(reference),
            )
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "private, no-store"
        return response


class ReferenceUploadView(AgencyActionMixin, View):
    """An agency uploads a reference it holds, with the template's key answers."""

    action_required = "reference.upload"
    template_name = "references/reference_upload.html"

    def forms(self, data=None, files=None):
        return (
            self.with_agency(UploadDetailsForm(data, files, boroughs=borough_directory())),
            ReferenceAnswersForm(selectors.current_template(), data=data),
        )

    def get(self, request):
        details, answers = self.forms()
        return render(request, self.template_name, {"details": details, "form": answers})

    def post(self, request):
        details, answers = self.forms(request.POST, request.FILES)
        valid = details.is_valid() & answers.is_valid()  # both, so every error shows at once
        explain_refused_uploads(request, details)
        if valid:
            data = details.cleaned_data
            try:
                reference = services.upload_reference(
                    agency=data["agency"],
                    issuing_borough=data["issuing_borough"],
                    by=request.user,
                    registration_number=data["registration_number"],
                    candidate_name=data["candidate_name"],
                    uploaded=data["file"],
                    answers=answers.answers(),
                    candidate_email=data["candidate_email"],
                    candidate_phone=data["candidate_phone"],
                )
            except services.ReferenceError as exc:
                details.add_error("file", str(exc))
            except AnswersInvalid as exc:
                answers.add_error(None, str(exc))
            else:
                messages.success(request, "Reference uploaded. Boroughs you propose the candidate to can read it.")
                return redirect("references:reference-detail", pk=reference.pk)
        return render(request, self.template_name, {"details": details, "form": answers}, status=400)


class ProposalListView(ActionRequiredMixin, ListView):
    action_required = "proposal.read"
    template_name = "references/proposal_list.html"
    context_object_name = "proposals"
    paginate_by = 50

    def get_queryset(self):
        return selectors.proposals_visible_to(self.request.user)


class ProposalCreateView(AgencyFormView):
    action_required = "proposal.make"
    template_name = "references/proposal_form.html"
    form_class = ProposalForm

    def save(self, data):
        return services.propose_candidate(by=self.request.user, **data)

    def done(self, proposal):
        messages.success(
            self.request,
            f"{proposal.candidate_name} is proposed to {proposal.borough}. They can "
            "now read the references your agency holds about them.",
        )
        return redirect("references:proposals")
