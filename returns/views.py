"""Return pages: the list and start, the return with its rows, editing rows and the workforce section,
uploads and downloads, the check and its findings, the workflow, periods and completeness, and the rules.

Views are thin: each reads through ``selectors`` (so another unit's return is a 404) and changes state
only through ``services``, which say no with a message the page shows.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from boroughs.models import Region
from pledge_portal import access
from pledge_portal.access.views import ActionRequiredMixin, get_visible_or_404
from pledge_portal.core import problems as upload_problems
from pledge_portal.core.exports import table_csv
from pledge_portal.core.tables import Column, Table
from pledge_portal.core.uploads import explain_refused_uploads
from pledge_portal.jobs.selectors import task_runs_visible_to
from rates.selectors import RateCheckError, check_rate
from rates.services import RateCardError
from rates.views import warn_if_agreed_late

from . import changes, exports, selectors, services, spreadsheets
from .forms import (
    AssignmentForm,
    CommentForm,
    EndAssignmentForm,
    ExceptionForm,
    ExplanationForm,
    ExtendPeriodForm,
    LeaverForm,
    OptionalCommentForm,
    PeriodForm,
    ReturnFilterForm,
    RevisionForm,
    RowBreachForm,
    UploadForm,
    WorkforceForm,
)
from .models import Finding, Return, Snapshot

ROWS_PER_PAGE = 100


class ReturnListView(ActionRequiredMixin, TemplateView):
    """Makers: their unit's returns and the periods open now. Regional roles: their region's periods."""

    action_required = "return.read"
    template_name = "returns/list.html"

    def get_context_data(self, **kwargs):
        user, today = self.request.user, timezone.localdate()
        visible = selectors.returns_visible_to(user).order_by("-period__starts_on", "unit__name")
        filters = ReturnFilterForm(
            self.request.GET or None,
            periods=selectors.periods_visible_to(user),
            units=selectors.units_visible_to(user).order_by("name"),
        )
        returns = filters.apply(visible) if filters.is_bound else visible
        units = list(selectors.units_made_by(user))
        started = set(visible.values_list("unit_id", "period_id"))
        startable = [
            (unit, period)
            for period in selectors.periods_visible_to(user)
            if period.opens_on <= today and not period.is_locked(today)
            for unit in units
            if unit.region_id == period.region_id and (unit.pk, period.pk) not in started
        ]
        page = Paginator(returns, 50).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(
            page_obj=page,
            returns=page.object_list,
            filters=filters,
            query=query.urlencode(),
            startable=startable,
            periods=selectors.periods_read_by(user)[:12],
            today=today,
            **kwargs,
        )


class StartReturnView(ActionRequiredMixin, View):
    action_required = "unit.start_return"
    http_method_names = ["post"]

    def post(self, request):
        unit = get_visible_or_404(selectors.units_made_by, request.user, pk=request.POST.get("unit") or 0)
        period = get_visible_or_404(selectors.periods_visible_to, request.user, pk=request.POST.get("period") or 0)
        try:
            ret = services.start_return(unit=unit, period=period, by=request.user)
        except services.ReturnError as exc:
            messages.error(request, str(exc))
            return redirect("returns:list")
        return redirect("returns:detail", pk=ret.pk)


class ReturnMixin(ActionRequiredMixin):
    """A page about one return, reached through the view's action: a return the user may not take that
    action on answers 404."""

    action_required = "return.read"

    @cached_property
    def ret(self) -> Return:
        return get_object_or_404(selectors.returns_for(self.request.user, self.action_required), pk=self.kwargs["pk"])

    page_title = ""

    def context(self, **extra) -> dict:
        return {"ret": self.ret, "page_title": self.page_title, **extra}

    def refuse(self, exc: services.ReturnError, to: str = "returns:detail"):
        messages.error(self.request, str(exc))
        return redirect(to, pk=self.ret.pk)


class ReturnDetailView(ReturnMixin, View):
    template_name = "returns/detail.html"

    def get(self, request, pk):
        ret = self.ret
        services.record_read(ret=ret, by=request.user, what="viewed", request=request)
        rows = ret.assignments.select_related("borough", "role", "local_role", "breach_sign_off")
        page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
        run = selectors.latest_run(ret)
        boroughs = list(ret.unit.boroughs.all())
        breach_rows, pqe_rows = set(), set()
        if run is not None:
            flagged = run.findings.filter(rule_code__in=["RATE-001", "PQE-001"]).values_list(
                "rule_code", "assignment_id"
            )
            breach_rows = {row for code, row in flagged if code == "RATE-001"}
            pqe_rows = {row for code, row in flagged if code == "PQE-001"}
        return render(
            request,
            self.template_name,
            self.context(
                page_obj=page,
                rows=page.object_list,
                run=run,
                checked=run is not None and run.finished_at and ret.validated_revision == ret.revision,
                problems=services.submission_problems(ret) if ret.is_editable else [],
                workforce=ret.workforce.select_related("role"),
                boroughs=boroughs,
                breach_rows=breach_rows,
                pqe_rows=pqe_rows,
                transitions=ret.transitions.select_related("by"),
                snapshots=ret.snapshots.only("number", "created_at", "revision", "signed_off_at"),
                revision_form=RevisionForm(initial={"revision": ret.revision}),
                comment_form=CommentForm(),
                accept_form=OptionalCommentForm(),
            ),
        )


class RowFormView(ReturnMixin, View):
    """Add a row (no ``row`` in the URL) or change one."""

    action_required = "return.edit"
    template_name = "returns/row_form.html"

    def context(self, **extra) -> dict:
        # The register as the browser's own picker (a datalist): works without script, offers, never forces.
        if self.template_name == "returns/row_form.html":
            extra["agency_names"] = selectors.agency_names()
        return super().context(**extra)

    @property
    def page_title(self) -> str:
        return "Change the assignment" if "row" in self.kwargs else "Add an assignment"

    def row(self):
        if "row" not in self.kwargs:
            return None
        return self.ret.assignments.filter(pk=self.kwargs["row"]).first() or self._missing()

    @staticmethod
    def _missing():
        raise Http404("No such row on this return.")

    def get(self, request, pk, row=None):
        form = AssignmentForm(initial=AssignmentForm.initial_for(self.row(), self.ret.revision), ret=self.ret)
        return render(request, self.template_name, self.context(form=form, row=self.row()))

    def post(self, request, pk, row=None):
        form = AssignmentForm(request.POST, ret=self.ret)
        if form.is_valid():
            try:
                saved = services.save_assignment(
                    ret=self.ret,
                    by=request.user,
                    expected_revision=form.cleaned_data["revision"],
                    values=form.values(),
                    assignment=self.row(),
                )
            except services.ReturnError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Row {saved.position} saved. Check the return again before submitting.")
                return redirect("returns:detail", pk=self.ret.pk)
        return render(request, self.template_name, self.context(form=form, row=self.row()), status=400)


class RowEndView(RowFormView):
    template_name = "returns/row_end.html"
    page_title = "End the assignment"

    def get(self, request, pk, row):
        form = EndAssignmentForm(initial={"revision": self.ret.revision})
        return render(request, self.template_name, self.context(form=form, row=self.row()))

    def post(self, request, pk, row):
        form = EndAssignmentForm(request.POST)
        if form.is_valid():
            try:
                services.end_assignment(
                    ret=self.ret,
                    by=request.user,
                    expected_revision=form.cleaned_data["revision"],
                    assignment=self.row(),
                    end_date=form.cleaned_data["end_date"],
                )
            except services.ReturnError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Row {self.row().position} ended.")
                return redirect("returns:detail", pk=self.ret.pk)
        return render(request, self.template_name, self.context(form=form, row=self.row()), status=400)


class RowRemoveView(RowFormView):
    template_name = "returns/row_remove.html"
    page_title = "Remove the row"

    def get(self, request, pk, row):
        form = RevisionForm(initial={"revision": self.ret.revision})
        return render(request, self.template_name, self.context(form=form, row=self.row()))

    def post(self, request, pk, row):
        form = RevisionForm(request.POST)
        row_obj = self.row()
        if form.is_valid():
            try:
                services.remove_assignment(
                    ret=self.ret, by=request.user, expected_revision=form.cleaned_data["revision"], assignment=row_obj
                )
            except services.ReturnError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Row {row_obj.position} removed.")
                return redirect("returns:detail", pk=self.ret.pk)
        return render(request, self.template_name, self.context(form=form, row=row_obj), status=400)


class RowBreachView(RowFormView):
    """An approver signs off one over-cap row: the rates service records it and the row points at it."""

    template_name = "returns/row_breach.html"
    page_title = "Sign off the breach of the cap"
    action_required = "breach.sign_off"

    def context(self, **extra) -> dict:
        return super().context(check=self.rate_check(), **extra)

    def rate_check(self):
        """The cap and the excess the approver is agreeing to, if the row says enough to check it."""
        row = self.row()
        role = row.local_role or row.role
        if not (role and row.engagement_type and row.start_date and row.hourly_pay_rate is not None):
            return None
        try:
            return check_rate(
                role=role.code,
                engagement_type=row.engagement_type,
                on=row.start_date,
                hourly_rate=row.hourly_pay_rate,
                region=self.ret.period.region,
            )
        except RateCheckError:
            return None

    def get(self, request, pk, row):
        return render(request, self.template_name, self.context(form=RowBreachForm(), row=self.row()))

    def post(self, request, pk, row):
        form = RowBreachForm(request.POST)
        if form.is_valid():
            try:
                services.sign_off_row_breach(ret=self.ret, by=request.user, assignment=self.row(), **form.cleaned_data)
            except (services.ReturnError, RateCardError, RateCheckError) as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"The breach on row {self.row().position} is signed off.")
                warn_if_agreed_late(request, form.cleaned_data["signed_on"], self.row().start_date)
                return redirect("returns:detail", pk=self.ret.pk)
        return render(request, self.template_name, self.context(form=form, row=self.row()), status=400)


class RowExceptionView(RowBreachView):
    """An approver records that the DCS and Chief Executive agreed to engage a locum under 3 years' PQE."""

    template_name = "returns/row_exception.html"
    page_title = "Record the agreement to a locum under 3 years' PQE"

    def context(self, **extra) -> dict:
        return ReturnMixin.context(self, **extra)

    def get(self, request, pk, row):
        return render(request, self.template_name, self.context(form=ExceptionForm(), row=self.row()))

    def post(self, request, pk, row):
        form = ExceptionForm(request.POST)
        if form.is_valid():
            try:
                services.agree_statutory_exception(
                    ret=self.ret, by=request.user, assignment=self.row(), rule_code="PQE-001", **form.cleaned_data
                )
            except services.ReturnError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    f"The agreement for row {self.row().position} is recorded. Check the return again: the row "
                    "is then reported as a breach by agreement.",
                )
                warn_if_agreed_late(request, form.cleaned_data["signed_on"], self.row().start_date)
                return redirect("returns:detail", pk=self.ret.pk)
        return render(request, self.template_name, self.context(form=form, row=self.row()), status=400)


class WorkforceView(ReturnMixin, View):
    action_required = "return.edit"
    template_name = "returns/workforce.html"
    page_title = "Workforce figures"

    def get(self, request, pk):
        return render(request, self.template_name, self.context(form=WorkforceForm(ret=self.ret)))

    def post(self, request, pk):
        form = WorkforceForm(request.POST, ret=self.ret)
        if form.is_valid():
            try:
                services.save_workforce(
                    ret=self.ret,
                    by=request.user,
                    expected_revision=form.cleaned_data["revision"],
                    lines=form.lines_data(),
                    totals=form.totals_data(),
                )
            except services.ReturnError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Workforce figures saved.")
                return redirect("returns:detail", pk=self.ret.pk)
        return render(request, self.template_name, self.context(form=form), status=400)


class LeaversView(ReturnMixin, View):
    """The permanent leavers the return reports (the leavers register): anyone who may read the return sees
    them; its makers add and remove them. Every view is audited (personal data)."""

    template_name = "returns/leavers.html"
    page_title = "Leavers"

    def get(self, request, pk):
        services.record_read(ret=self.ret, by=request.user, what="leavers_viewed", request=request)
        return render(
            request,
            self.template_name,
            self.context(
                leavers=selectors.leavers_of(self.ret),
                joint=self.ret.unit.boroughs.count() > 1,
                allowed=services.leaving_dates_allowed(self.ret),
                max_leavers=services.MAX_LEAVERS,
            ),
        )


class LeaverAddView(ReturnMixin, View):
    action_required = "return.edit"
    template_name = "returns/leaver_form.html"
    page_title = "Add a leaver"

    def get(self, request, pk):
        form = LeaverForm(initial={"revision": self.ret.revision}, ret=self.ret)
        return render(request, self.template_name, self.context(form=form))

    def post(self, request, pk):
        form = LeaverForm(request.POST, ret=self.ret)
        if form.is_valid():
            try:
                leaver = services.add_leaver(
                    ret=self.ret, by=request.user, expected_revision=form.cleaned_data["revision"], values=form.values()
                )
            except services.ReturnError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"{leaver.registration_number} added to the leavers.")
                return redirect("returns:leavers", pk=self.ret.pk)
        return render(request, self.template_name, self.context(form=form), status=400)


class LeaverRemoveView(ReturnMixin, View):
    action_required = "return.edit"
    template_name = "returns/leaver_remove.html"
    page_title = "Remove the leaver"

    def leaver(self):
        leaver = self.ret.leavers.filter(pk=self.kwargs["leaver"]).first()
        if leaver is None:
            raise Http404("No such leaver on this return.")
        return leaver

    def get(self, request, pk, leaver):
        form = RevisionForm(initial={"revision": self.ret.revision})
        return render(request, self.template_name, self.context(form=form, leaver=self.leaver()))

    def post(self, request, pk, leaver):
        form = RevisionForm(request.POST)
        chosen = self.leaver()
        if form.is_valid():
            try:
                services.remove_leaver(
                    ret=self.ret, by=request.user, expected_revision=form.cleaned_data["revision"], leaver=chosen
                )
            except services.ReturnError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"{chosen.registration_number} removed from the leavers.")
                return redirect("returns:leavers", pk=self.ret.pk)
        return render(request, self.template_name, self.context(form=form, leaver=chosen), status=400)


class TemplateDownloadView(ReturnMixin, View):
    def get(self, request, pk):
        services.record_read(ret=self.ret, by=request.user, what="workbook_downloaded", request=request)
        content = spreadsheets.template_workbook(self.ret)
        response = HttpResponse(
            content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        name = f"return-{self.ret.unit.name}-{self.ret.period.starts_on:%Y-%m}.xlsx".replace(" ", "-").lower()
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "private, no-store"
        return response


class UploadView(ReturnMixin, View):
    action_required = "return.edit"
    template_name = "returns/upload.html"
    page_title = "Upload the spreadsheet"

    def get(self, request, pk):
        return render(
            request, self.template_name, self.context(form=UploadForm(initial={"revision": self.ret.revision}))
        )

    def post(self, request, pk):
        """Store the file and start the job that reads, loads and checks it; nothing is read here."""
        form = UploadForm(request.POST, request.FILES)
        valid = form.is_valid()
        explain_refused_uploads(request, form)
        if valid:
            try:
                upload = services.start_upload(
                    ret=self.ret,
                    by=request.user,
                    uploaded_file=form.cleaned_data["workbook"],
                    mode=form.cleaned_data["mode"],
                    expected_revision=form.cleaned_data["revision"],
                )
            except services.ReturnError as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("returns:upload-status", pk=self.ret.pk, run=upload.task_run_id)
        return render(request, self.template_name, self.context(form=form), status=400)

    @property
    def problems_key(self) -> str:
        return f"return-{self.ret.pk}"


class UploadProblemsView(UploadView):
    """The whole list of problems of the user's last refused upload to this return, as a CSV."""

    http_method_names = ["get"]

    def get(self, request, pk):
        name = f"return-{self.ret.pk}-upload-problems.csv"
        return upload_problems.download(user=request.user, upload=self.problems_key, filename=name)


class UploadStatusView(ReturnMixin, View):
    """An upload's job: its progress while the workbook is read, loaded and checked (polled by script every
    few hundred milliseconds; without script, a link to refresh), then the problems that refused it, in one
    error summary, or what it loaded and what the check found."""

    action_required = "return.edit"
    template_name = "returns/upload_status.html"
    page_title = "Upload the spreadsheet"

    def get(self, request, pk, run):
        job = get_visible_or_404(
            lambda user: task_runs_visible_to(user).filter(kind="returns.upload", parameters__return=self.ret.pk),
            request.user,
            pk=run,
        )
        result = job.result or {}
        refused = job.finished and result.get("outcome") == "refused"
        return render(
            request,
            self.template_name,
            self.context(
                run=job,
                result=result,
                refused=refused,
                problems=result.get("problems", []) if refused else [],
                more=result.get("more", 0) if refused else 0,
                form=UploadForm(initial={"revision": self.ret.revision}),
            ),
        )


class DfeExportView(ReturnMixin, View):
    def get(self, request, pk, borough):
        chosen = next((b for b in self.ret.unit.boroughs.all() if b.pk == borough), None)
        if chosen is None:
            raise Http404("That borough is not part of this return.")
        services.record_read(ret=self.ret, by=request.user, what="dfe_return_downloaded", request=request)
        response = HttpResponse(exports.dfe_return_csv(self.ret, chosen), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{exports.dfe_return_filename(self.ret, chosen)}"'
        response["Cache-Control"] = "private, no-store"
        return response


class CheckView(ReturnMixin, View):
    action_required = "return.check"
    http_method_names = ["post"]

    def post(self, request, pk):
        try:
            services.request_validation(ret=self.ret, by=request.user)
        except services.ReturnError as exc:
            return self.refuse(exc)
        return redirect("returns:findings", pk=self.ret.pk)


class FindingsView(ReturnMixin, View):
    """The latest check: progress while it runs (the page refreshes itself), then every finding, with a
    box to explain each query."""

    template_name = "returns/findings.html"

    def get(self, request, pk, form=None, status=200):
        run = selectors.latest_run(self.ret)
        findings = selectors.findings_with_explanations(run) if run and run.finished_at else []
        errors = [f for f in findings if f.severity == Finding.Severity.ERROR]
        queries = [f for f in findings if f.severity == Finding.Severity.QUERY]
        return render(
            request,
            self.template_name,
            self.context(
                run=run,
                errors=errors,
                queries=queries,
                stale=bool(run and run.finished_at and run.revision != self.ret.revision),
                failed_form=form,
            ),
            status=status,
        )

    def post(self, request, pk):
        if not access.can(request.user, "return.edit", self.ret):
            raise PermissionDenied("Only the return's own users can explain its queries.")
        form = ExplanationForm(request.POST)
        if form.is_valid():
            try:
                services.explain_query(ret=self.ret, by=request.user, **form.cleaned_data)
            except services.ReturnError as exc:
                form.add_error("text", str(exc))
            else:
                messages.success(request, "Explanation saved.")
                return redirect(f"{request.path}#query-{form.cleaned_data['key']}")
        return self.get(request, pk, form=form, status=400)


@dataclass(frozen=True)
class Step:
    permission: str  # the access action the step needs on the return
    service: Callable
    form: type | None  # a comment form, when the step takes one
    question: str  # the confirmation page's heading
    next_step: str  # what happens next, said before the user confirms
    button: str
    done: str  # the message once done


class WorkflowView(ReturnMixin, View):
    """A step of the workflow: GET asks for confirmation and says what happens next; POST takes the step.
    Each step needs its own access action on the return: a role that may not take it is refused (403)."""

    template_name = "returns/confirm_step.html"
    STEPS = {
        "submit": Step(
            "return.submit",
            services.submit_return,
            None,
            "Submit the return for sign-off?",
            "Your borough's approver is emailed and signs it off, or sends it back to you with a comment. "
            "It cannot be changed while it waits.",
            "Yes, submit for sign-off",
            "Return submitted. Your approver can now sign it off.",
        ),
        "sign-off": Step(
            "return.sign_off",
            services.sign_off_return,
            None,
            "Sign off the return?",
            "You confirm the figures are right for your borough. The regional team is emailed and accepts the "
            "return or sends it back.",
            "Yes, sign off the return",
            "Return signed off and sent to the regional team.",
        ),
        "return-to-lead": Step(
            "return.sign_off",
            services.send_back_to_submitter,
            CommentForm,
            "Send the return back to the workforce lead?",
            "The workforce lead is emailed your comment, changes the return and submits it again.",
            "Send back",
            "Return sent back to the workforce lead with your comment.",
        ),
        "accept": Step(
            "return.review",
            services.accept_return,
            OptionalCommentForm,
            "Accept the return?",
            "The borough is emailed. Its figures count in the dashboards and the compliance pack; an accepted "
            "return changes only if you reopen it.",
            "Yes, accept the return",
            "Return accepted.",
        ),
        "send-back": Step(
            "return.review",
            services.return_for_amendment,
            CommentForm,
            "Send the return back to the borough?",
            "The borough's workforce lead is emailed your comment, changes the return and submits it again.",
            "Send back",
            "Return sent back to the borough with your comment.",
        ),
        "reopen": Step(
            "return.review",
            services.reopen_return,
            CommentForm,
            "Reopen the accepted return?",
            "Its figures leave the dashboards until it is accepted again; the borough is emailed your comment "
            "and corrects it.",
            "Reopen",
            "Return reopened for correction.",
        ),
    }

    def step(self, name: str) -> Step:
        if name not in self.STEPS:
            raise Http404("There is no such step.")
        step = self.STEPS[name]
        if not access.can(self.request.user, step.permission, self.ret):
            raise PermissionDenied("Your role in this return's organisations does not let you do this.")
        return step

    # Steps taken on a version that may be a resubmission: the page first says what changed since sign-off.
    SHOW_CHANGES = ("sign-off", "accept")

    def get(self, request, pk, step, form=None, status=200):
        chosen = self.step(step)
        if form is None and chosen.form is not None:
            form = chosen.form()
        since = changes.changes_since_sign_off(self.ret, limit=0) if step in self.SHOW_CHANGES else None
        return render(request, self.template_name, self.context(step=chosen, form=form, changes=since), status=status)

    def post(self, request, pk, step):
        chosen = self.step(step)
        kwargs = {}
        if chosen.form is not None:
            form = chosen.form(request.POST)
            if not form.is_valid():
                form.add_error(None, "Write a comment saying what the borough needs to do.")
                return self.get(request, pk, step, form=form, status=400)
            kwargs["comment"] = form.cleaned_data["comment"]
        try:
            chosen.service(ret=self.ret, by=request.user, **kwargs)
        except services.ReturnError as exc:
            return self.refuse(exc)
        messages.success(request, chosen.done)
        return redirect("returns:detail", pk=self.ret.pk)


class SnapshotView(ReturnMixin, View):
    template_name = "returns/snapshot.html"

    def get(self, request, pk, number):
        snapshot = self.ret.snapshots.filter(number=number).select_related("created_by", "signed_off_by").first()
        if snapshot is None:
            raise Http404("No such version.")
        services.record_read(ret=self.ret, by=request.user, what="version_viewed", request=request)
        return render(request, self.template_name, self.context(snapshot=snapshot))


class ChangesView(ReturnMixin, View):
    """What changed since the previous signed-off version: the return as it is now, or one submitted version
    (``?version=3``). For whoever may read the return; audited, as it quotes registration numbers."""

    template_name = "returns/changes.html"

    def compare(self, limit: int) -> changes.Changes:
        version = self.request.GET.get("version")
        if version is not None and not (version.isdigit() and len(version) < 10):
            raise Http404("No such version.")
        try:
            return changes.changes_since_sign_off(self.ret, version=int(version) if version else None, limit=limit)
        except Snapshot.DoesNotExist as exc:
            raise Http404("No such version.") from exc

    def get(self, request, pk):
        found = self.compare(changes.ROW_LIMIT)
        services.record_read(ret=self.ret, by=request.user, what="changes_viewed", request=request)
        return render(
            request,
            self.template_name,
            self.context(
                changes=found,
                counts=changes.counts_table(found),
                rows=changes.rows_table(found),
                figures=changes.figures_table(found),
                version=request.GET.get("version", ""),
            ),
        )


class ChangesCsvView(ChangesView):
    """Every changed field (up to the most rows a return takes at once), as a CSV."""

    def get(self, request, pk):
        found = self.compare(services.MAX_LOADED_ROWS)
        services.record_read(ret=self.ret, by=request.user, what="changes_downloaded", request=request)
        response = HttpResponse(table_csv(changes.rows_table(found)), content_type="text/csv; charset=utf-8")
        label = f"version-{found.compared.rsplit(' ', 1)[-1]}" if found.compared.startswith("version") else "now"
        name = f"changes-{self.ret.unit.name}-{self.ret.period.starts_on:%Y-%m}-{label}.csv".replace(" ", "-").lower()
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "private, no-store"
        return response


# --- Periods, completeness and the rules ------------------------------------------------------------


class PeriodListView(ActionRequiredMixin, TemplateView):
    action_required = "period.read"
    template_name = "returns/periods.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            periods=selectors.periods_read_by(user),
            today=timezone.localdate(),
            **kwargs,
        )


class PeriodCreateView(ActionRequiredMixin, View):
    """Open a quarter in a region the user runs; one who runs several regions chooses which."""

    action_required = "period.open"
    template_name = "returns/period_form.html"

    def regions(self):
        return access.visible(self.request.user, self.action_required, Region.objects.order_by("name"))

    def get(self, request):
        form = PeriodForm(regions=self.regions())
        return render(request, self.template_name, {"form": form, "region": _only(form.regions)})

    def post(self, request):
        form = PeriodForm(request.POST, regions=self.regions())
        region = _only(form.regions)
        if form.is_valid():
            try:
                period = services.open_period(by=request.user, **form.cleaned_data)
            except services.ReturnError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"{period.label} is open for returns from {period.opens_on:%-d %B %Y}.")
                return redirect("returns:completeness", pk=period.pk)
        return render(request, self.template_name, {"form": form, "region": region}, status=400)


def _only(regions: list[Region]) -> Region | None:
    return regions[0] if len(regions) == 1 else None


class PeriodMixin(ActionRequiredMixin):
    """A page about one period, reached through the view's action (another region's period is a 404)."""

    action_required = "period.read"

    @cached_property
    def period(self):
        return get_visible_or_404(
            lambda user: selectors.periods_for(user, self.action_required),
            self.request.user,
            pk=self.kwargs["pk"],
        )


class PeriodExtendView(PeriodMixin, View):
    action_required = "period.extend"
    template_name = "returns/period_extend.html"

    def get(self, request, pk):
        period = self.period
        form = ExtendPeriodForm(initial={"deadline": period.deadline, "locks_on": period.locks_on})
        return render(request, self.template_name, {"form": form, "period": period})

    def post(self, request, pk):
        period = self.period
        form = ExtendPeriodForm(request.POST)
        if form.is_valid():
            try:
                services.extend_period(period=period, by=request.user, **form.cleaned_data)
            except services.ReturnError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Dates changed.")
                return redirect("returns:completeness", pk=period.pk)
        return render(request, self.template_name, {"form": form, "period": period}, status=400)


class PeriodLockView(PeriodMixin, View):
    action_required = "period.lock"
    http_method_names = ["post"]

    def post(self, request, pk):
        period = self.period
        services.lock_period(period=period, by=request.user)
        messages.success(request, f"{period.label} is locked.")
        return redirect("returns:completeness", pk=period.pk)


class CompletenessView(PeriodMixin, View):
    template_name = "returns/completeness.html"

    def get(self, request, pk):
        today = timezone.localdate()
        statuses = selectors.completeness_for(self.period, today=today)
        done = sum(1 for s in statuses if s.expected and s.ret and s.ret.status not in Return.EDITABLE)
        return render(
            request,
            self.template_name,
            {
                "period": self.period,
                "statuses": statuses,
                "expected": sum(1 for s in statuses if s.expected),
                "done": done,
                "late": sum(1 for s in statuses if s.late),
                "today": today,
            },
        )


class LeaverMatchesView(PeriodMixin, View):
    """For the region's analysts: the rows of a period's returns that the leavers register matched, with the
    borough each worker left (the hiring borough's finding does not say). Audited: it lists personal data."""

    action_required = "leaver.read_matches"
    template_name = "returns/leaver_matches.html"

    def get(self, request, pk):
        period = self.period
        found, total = selectors.leaver_matches(period)
        services.record_leaver_matches_read(period=period, by=request.user, request=request)
        table = Table(
            title=f"Rows matched by the leavers register, {period.label}",
            columns=[
                Column("Hiring borough"),
                Column("Row", "count"),
                Column("Registration number"),
                Column("Started", "date"),
                Column("Left", "date"),
                Column("Borough they left"),
                Column("Cool-off broken"),
                Column("Return"),
            ],
            rows=[
                (
                    m.hiring_borough,
                    m.position,
                    m.registration_number,
                    m.start_date,
                    m.leaving_date,
                    f"{m.left_borough} (the same borough)" if m.own_borough else m.left_borough,
                    m.cool_off,
                    m.status,
                )
                for m in found
            ],
            links=[reverse("returns:findings", args=[m.ret_id]) for m in found],
            empty="No row of this period's returns started within a cool-off of a leaving on the register.",
            note=f"Showing the first {len(found):,} of {total:,}." if total > len(found) else "",
        )
        return render(request, self.template_name, {"period": period, "table": table, "total": total})


class PlacementFlagsView(ActionRequiredMixin, TemplateView):
    """An agency's own placements that the checks flagged, in every borough's submitted returns."""

    action_required = "placement.read_flags"
    template_name = "returns/placement_flags.html"

    def get_context_data(self, **kwargs):
        flags, total = selectors.placement_flags(self.request.user)
        unmatched = selectors.unmatched_rows_like(self.request.user)
        return super().get_context_data(flags=flags, total=total, unmatched=unmatched, **kwargs)


class RulesView(ActionRequiredMixin, TemplateView):
    action_required = "rules.read"
    template_name = "returns/rules.html"

    def get_context_data(self, **kwargs):
        from .rules import all_rules

        return super().get_context_data(rules=sorted(all_rules(), key=lambda r: r.code), **kwargs)
