"""Rates pages: current caps and the rate check for everyone; rate card drafting for regional analysts;
breach sign-off for borough approvers."""

from datetime import date
from functools import cached_property

from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView

from boroughs.models import Borough
from pledge_portal import access
from pledge_portal.access.views import ActionRequiredMixin, ScopedObjectMixin, get_visible_or_404
from pledge_portal.core import problems as upload_problems
from pledge_portal.core.uploads import explain_refused_uploads

from . import impact, selectors, services, spreadsheets
from .forms import BreachSignOffForm, RateCardCapsForm, RateCardDetailsForm, RateCardImportForm, RateCheckForm
from .models import RateCard
from .selectors import RateCheckError


class CurrentCapsView(ActionRequiredMixin, TemplateView):
    """The caps in force today, per role and engagement type. Public: workers and agencies need them."""

    action_required = "rates.read"
    template_name = "rates/current.html"

    def get_context_data(self, **kwargs):
        region = selectors.default_region()
        return super().get_context_data(
            region=region, card=selectors.current_card(region), history=selectors.card_history(region)[:6], **kwargs
        )


class CheckRateView(ActionRequiredMixin, View):
    """Check a rate. The form is sent by GET: a check changes nothing, and its answer can be bookmarked."""

    action_required = "rates.read"
    template_name = "rates/check.html"

    def get(self, request):
        region = selectors.default_region()
        form = RateCheckForm(request.GET or None, role_choices=selectors.role_choices(region))
        result = None
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            try:
                result = selectors.check_rate(
                    role=data["role"],
                    engagement_type=data["engagement_type"],
                    on=data["date"],
                    hourly_rate=data["hourly_rate"],
                    region=region,
                )
            except RateCheckError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        status = 400 if form.is_bound and form.errors else 200
        return render(request, self.template_name, {"form": form, "result": result, "region": region}, status=status)


class RateCardListView(ActionRequiredMixin, ListView):
    action_required = "rates.read"
    template_name = "rates/card_list.html"
    context_object_name = "cards"

    def get_queryset(self):
        return selectors.rate_cards_visible_to(self.request.user).order_by("region__name", "-version")


class RateCardDetailView(ActionRequiredMixin, ScopedObjectMixin, DetailView):
    action_required = "rates.read"
    template_name = "rates/card_detail.html"
    context_object_name = "card"

    @staticmethod
    def scope(user) -> QuerySet[RateCard]:
        return selectors.rate_cards_visible_to(user).prefetch_related("lines__role", "lines__local_role__core")

    def get_context_data(self, **kwargs):
        card = self.object
        changes = card.change_summary.splitlines() if card.change_summary else None
        extra = {}
        if card.is_draft:
            previous = selectors.card_in_force(card.region, card.effective_from)
            changes = services.describe_changes(previous, card)
            if access.can(self.request.user, "rate_card.draft", card):
                extra = impact_context(card)
        return super().get_context_data(changes=changes, **extra, **kwargs)


class RateCardExportView(ActionRequiredMixin, View):
    action_required = "rates.read"

    def get(self, request, pk):
        card = get_visible_or_404(RateCardDetailView.scope, request.user, pk=pk)
        response = HttpResponse(
            spreadsheets.export_rate_card(card),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{spreadsheets.export_filename(card)}"'
        return response


class DraftMixin(ActionRequiredMixin):
    """A draft card of the analyst's own region, fetched through the scoping selector."""

    action_required = "rate_card.draft"

    @cached_property
    def card(self) -> RateCard:
        return get_visible_or_404(selectors.drafts_editable_by, self.request.user, pk=self.kwargs["pk"])


class RateCardCreateView(ActionRequiredMixin, View):
    """Start a new draft, copied from the card in force."""

    action_required = "region.draft_rate_card"
    template_name = "rates/card_form.html"

    def get(self, request):
        form = RateCardDetailsForm(regions=selectors.regions_drafted_by(request.user))
        return render(request, self.template_name, {"form": form, "creating": True})

    def post(self, request):
        form = RateCardDetailsForm(request.POST, regions=selectors.regions_drafted_by(request.user))
        if not form.is_valid():
            return render(request, self.template_name, {"form": form, "creating": True}, status=400)
        region = form.cleaned_data["region"]
        card = services.create_draft(by=request.user, copy_from=selectors.current_card(region), **form.cleaned_data)
        messages.success(request, f"Draft {card} created from the card in force. Check and change the caps.")
        return redirect("rates:card-edit", pk=card.pk)


class RateCardEditView(DraftMixin, View):
    template_name = "rates/card_edit.html"

    def forms(self, data=None):
        card = self.card
        roles = selectors.role_choices(card.region)
        caps = {ln.role_code: (ln.inclusive_cap, ln.paye_cap) for ln in card.lines.select_related("role", "local_role")}
        return (
            RateCardDetailsForm(data, instance=card, prefix="card"),
            RateCardCapsForm(data, roles=roles, initial_caps=caps, prefix="caps"),
        )

    def get(self, request, pk):
        details, caps = self.forms()
        return render(request, self.template_name, {"card": self.card, "details": details, "caps": caps})

    def post(self, request, pk):
        details, caps = self.forms(request.POST)
        if details.is_valid() and caps.is_valid():
            try:
                services.update_draft(
                    card=self.card,
                    by=request.user,
                    lines=caps.caps(),
                    **{f: details.cleaned_data[f] for f in details.Meta.fields},
                )
            except services.RateCardError as exc:
                caps.add_error(None, str(exc))
            else:
                messages.success(request, "Draft saved.")
                return redirect("rates:card-detail", pk=pk)
        return render(request, self.template_name, {"card": self.card, "details": details, "caps": caps}, status=400)


class RateCardPublishView(DraftMixin, View):
    template_name = "rates/card_publish.html"

    def get(self, request, pk):
        previous = selectors.card_in_force(self.card.region, self.card.effective_from)
        return render(
            request,
            self.template_name,
            {"card": self.card, "previous": previous, "changes": services.describe_changes(previous, self.card)},
        )

    def post(self, request, pk):
        try:
            card = services.publish(card=self.card, by=request.user)
        except services.RateCardError as exc:
            messages.error(request, str(exc))
            return redirect("rates:card-detail", pk=pk)
        messages.success(request, f"{card} is published. Its caps apply from {card.effective_from:%-d %B %Y}.")
        return redirect("rates:card-detail", pk=pk)


def impact_context(card: RateCard) -> dict:
    """The latest impact computation of a draft, for its page and the card's page: the run, whether the draft
    changed since (stale), and the tables once it has finished."""
    from dashboards.figures.scope import quarter_label

    run = impact.latest_run(card)
    context = {
        "impact_run": run,
        "impact_stale": impact.is_stale(card, run),
        "impact": None,
        "hours_per_week": settings.CONTRACTED_HOURS_PER_WEEK,
    }
    if run is not None and run.status == run.Status.SUCCEEDED and run.result.get("card") == card.pk:
        result = run.result
        context["impact"] = result
        context["impact_tables"] = [
            impact.totals_table(result),
            impact.new_breaches_table(result),
            impact.ended_breaches_table(result),
        ]
        context["impact_coverage"] = [
            (quarter_label(date.fromisoformat(c["quarter_starts"])), c["units"]) for c in result["coverage"]
        ]
    return context


class RateCardImpactView(DraftMixin, View):
    """Impact if published: GET shows the latest computation (progress while it runs); POST asks for one. A
    double click, or a second analyst, gets the run already going for the same draft."""

    template_name = "rates/card_impact.html"

    def get(self, request, pk):
        context = {"card": self.card, **impact_context(self.card)}
        return render(request, self.template_name, context)

    def post(self, request, pk):
        try:
            _, reused = impact.request_impact(card=self.card, by=request.user)
        except impact.ImpactError as exc:
            messages.error(request, str(exc))
            return redirect("rates:card-detail", pk=pk)
        if not reused:
            messages.success(request, "Working out the impact. This page shows it when it is ready.")
        return redirect("rates:card-impact", pk=pk)


class RateCardDeleteView(DraftMixin, View):
    template_name = "rates/card_delete.html"

    def get(self, request, pk):
        return render(request, self.template_name, {"card": self.card})

    def post(self, request, pk):
        services.delete_draft(card=self.card, by=request.user)
        messages.success(request, "The draft was deleted.")
        return redirect("rates:cards")


PROBLEMS_KEY = "rate-card-import"


class RateCardImportView(ActionRequiredMixin, View):
    action_required = "region.draft_rate_card"
    template_name = "rates/card_import.html"

    def get(self, request):
        return render(request, self.template_name, {"form": RateCardImportForm(regions=self.regions())})

    def regions(self):
        return selectors.regions_drafted_by(self.request.user)

    def post(self, request):
        form = RateCardImportForm(request.POST, request.FILES, regions=self.regions())
        listed = {}
        valid = form.is_valid()
        explain_refused_uploads(request, form)
        if valid:
            data = {k: v for k, v in form.cleaned_data.items() if k != "workbook"}
            try:
                card = spreadsheets.import_draft(by=request.user, uploaded_file=form.cleaned_data["workbook"], **data)
            except spreadsheets.RateCardImportError as exc:
                listed = upload_problems.keep(user=request.user, upload=PROBLEMS_KEY, problems=exc.errors)
            else:
                messages.success(request, f"Draft {card} created from the workbook. Check it before publishing.")
                return redirect("rates:card-detail", pk=card.pk)
        context = {"form": form, "import_errors": listed.get("problems", []), "more": listed.get("more", 0)}
        return render(request, self.template_name, context, status=400)


class RateCardImportProblemsView(ActionRequiredMixin, View):
    """The whole list of problems of the user's last refused rate card upload, as a CSV."""

    action_required = "region.draft_rate_card"

    def get(self, request):
        return upload_problems.download(user=request.user, upload=PROBLEMS_KEY, filename="rate-card-problems.csv")


class BreachSignOffListView(ActionRequiredMixin, ListView):
    action_required = "sign_off.read"
    template_name = "rates/sign_off_list.html"
    context_object_name = "sign_offs"
    paginate_by = 50

    def get_queryset(self):
        return selectors.sign_offs_visible_to(self.request.user)


class BreachSignOffDetailView(ActionRequiredMixin, ScopedObjectMixin, DetailView):
    action_required = "sign_off.read"
    scope = selectors.sign_offs_visible_to
    template_name = "rates/sign_off_detail.html"
    context_object_name = "sign_off"


class BreachSignOffCreateView(ActionRequiredMixin, View):
    """A borough approver records their sign-off of one over-cap rate."""

    action_required = "borough.sign_off_breach"
    template_name = "rates/sign_off_form.html"

    @cached_property
    def boroughs(self) -> list[Borough]:
        """The boroughs the user approves for: usually one; someone approving for two chooses."""
        qs = access.visible(self.request.user, self.action_required, Borough.objects.select_related("region"))
        boroughs = list(qs.order_by("name"))
        if not boroughs:
            raise Http404("You are not an approver of a borough.")
        return boroughs

    @property
    def borough(self) -> Borough | None:
        return self.boroughs[0] if len(self.boroughs) == 1 else None

    def form(self, data=None):
        region = self.boroughs[0].region  # one approver's boroughs share a region
        return BreachSignOffForm(
            data,
            role_choices=selectors.role_choices(region),
            boroughs=Borough.objects.filter(pk__in=[b.pk for b in self.boroughs]).order_by("name"),
        )

    def get(self, request):
        return render(request, self.template_name, {"form": self.form(), "borough": self.borough})

    def post(self, request):
        form = self.form(request.POST)
        if form.is_valid():
            try:
                sign_off = services.sign_off_breach(by=request.user, **form.cleaned_data)
            except (services.RateCardError, RateCheckError) as exc:
                form.add_error(
                    getattr(exc, "field", None) if getattr(exc, "field", None) in form.fields else None, str(exc)
                )
            else:
                messages.success(
                    request, "Sign-off recorded. It will be reported in the return and the compliance pack."
                )
                warn_if_agreed_late(request, sign_off.signed_on, sign_off.assignment_start)
                return redirect("rates:sign-off-detail", pk=sign_off.pk)
        return render(request, self.template_name, {"form": form, "borough": self.borough}, status=400)


def warn_if_agreed_late(request, agreed, started) -> None:
    """Agreement after the start means the worker was paid above the cap before anyone senior agreed it."""
    if started and agreed > started:
        messages.warning(
            request,
            f"They agreed on {agreed:%-d %B %Y}, after the assignment started on {started:%-d %B %Y}: the worker "
            "was paid above the cap before it was agreed. The breach register shows both dates.",
        )
