"""Compliance pack pages: the periods with packs, one period's pack versions with their progress and
checksums, asking for a build, and downloads (each audited). Packs are read through
``selectors.packs_visible_to``, so another region's or borough's pack answers 404."""

from django.contrib import messages
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from pledge_portal import access
from pledge_portal.access.views import ActionRequiredMixin, get_visible_or_404
from pledge_portal.core.excel import XLSX_CONTENT_TYPE
from returns import selectors as returns_selectors

from . import selectors, services
from .forms import PackRequestForm
from .models import CompliancePack

CONTENT_TYPES = {"pdf": "application/pdf", "xlsx": XLSX_CONTENT_TYPE}


class PackIndexView(ActionRequiredMixin, View):
    action_required = "pack.download"

    def get(self, request):
        visible = selectors.packs_visible_to(request.user).values("pk")
        ready = Q(compliance_packs__status=CompliancePack.Status.READY, compliance_packs__in=visible)
        # Newest first; distinct, since the scoping joins can repeat a pack.
        periods = (
            returns_selectors.periods_visible_to(request.user)
            .annotate(ready=Count("compliance_packs", filter=ready, distinct=True))
            .order_by("-starts_on", "region__name")
        )
        return render(request, "packs/index.html", {"periods": periods})


class PeriodPacksView(ActionRequiredMixin, View):
    """One period's packs, newest version first; analysts of the region can ask for a build here."""

    action_required = "pack.download"

    def get(self, request, pk, form=None, status=200):
        period = get_visible_or_404(returns_selectors.periods_visible_to, request.user, pk=pk)
        packs = list(
            selectors.packs_visible_to(request.user)
            .filter(period=period)
            .order_by("borough__name", "-version")
            .select_related("task_run")
        )
        can_build = access.can(request.user, "pack.build", period)
        if can_build and form is None:
            form = PackRequestForm(region=period.region)
        context = {
            "period": period,
            "regional": [p for p in packs if p.is_regional],
            "boroughs": [p for p in packs if not p.is_regional],
            "building": next((p for p in packs if p.status == CompliancePack.Status.BUILDING), None),
            "form": form if can_build else None,
            "regional_empty": _regional_empty(period),
        }
        return render(request, "packs/period.html", context, status=status)


def _regional_empty(period) -> str:
    """When the regional pack will be built, and by whom, while there is none."""
    if period.is_locked(timezone.localdate()):
        return (
            "No regional pack yet. The period has locked, so the portal asks for it within a day; the region's "
            "analysts can build it now."
        )
    return (
        f"No regional pack yet. The portal builds it when the period locks on {period.locks_on:%-d %B %Y}; the "
        "region's analysts can build a provisional one before then."
    )


class PackBuildView(PeriodPacksView):
    """POST only: ask for a build, then back to the period's page (POST-redirect-GET)."""

    action_required = "pack.build"
    http_method_names = ["post"]

    def post(self, request, pk):
        period = get_visible_or_404(lambda user: returns_selectors.periods_for(user, "pack.build"), request.user, pk=pk)
        form = PackRequestForm(request.POST, region=period.region)
        if form.is_valid():
            try:
                pack, reused = services.request_pack(
                    period=period, by=request.user, borough=form.cleaned_data["borough"]
                )
            except services.ReturnError as exc:
                form.add_error("borough", str(exc))
            else:
                pack.refresh_from_db()  # without a worker the build has run by now
                if reused and pack.status == CompliancePack.Status.READY:
                    messages.success(
                        request, f"Nothing has changed since version {pack.version} was built, so it is ready now."
                    )
                elif reused:
                    messages.success(request, f"Version {pack.version} is already being built.")
                elif pack.status == CompliancePack.Status.READY:
                    messages.success(request, f"Version {pack.version} is built and ready to download.")
                else:
                    messages.success(request, f"Building version {pack.version}. This page shows its progress.")
                return redirect("packs:period", pk=period.pk)
        return self.get(request, pk, form=form, status=400)


class PackDownloadView(ActionRequiredMixin, View):
    """A ready pack's PDF or workbook, after the access check, audited."""

    action_required = "pack.download"

    def get(self, request, pk, kind):
        pack = get_visible_or_404(selectors.packs_visible_to, request.user, pk=pk)
        if kind not in CONTENT_TYPES or pack.status != CompliancePack.Status.READY:
            raise Http404("This pack has no such file to download.")
        services.record_download(pack=pack, by=request.user, kind=kind, request=request)
        return FileResponse(
            getattr(pack, kind).open("rb"),
            as_attachment=True,
            filename=services.file_name(pack, kind),
            content_type=CONTENT_TYPES[kind],
        )
