"""Compliance pack pages: the periods with packs, one period's pack versions with their progress and
checksums, asking for a build, and downloads (each audited). Packs are read through
``selectors.packs_visible_to``, so another region's or borough's pack answers 404."""

from django.contrib import messages
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views import View

from pledge_portal.accounts.roles import BOROUGH_ROLES, REGIONAL_ROLES, Role
from pledge_portal.core.excel import XLSX_CONTENT_TYPE
from pledge_portal.tenancy import RoleRequiredMixin, get_visible_or_404

from . import pack_services, selectors
from .forms import PackRequestForm
from .models import CompliancePack

PACK_READERS = REGIONAL_ROLES | BOROUGH_ROLES | {Role.PLATFORM_ADMIN}
PACK_BUILDERS = frozenset({Role.REGIONAL_ANALYST, Role.PLATFORM_ADMIN})
CONTENT_TYPES = {"pdf": "application/pdf", "xlsx": XLSX_CONTENT_TYPE}


class PackIndexView(RoleRequiredMixin, View):
    required_roles = PACK_READERS

    def get(self, request):
        visible = selectors.packs_visible_to(request.user).values("pk")
        ready = Q(compliance_packs__status=CompliancePack.Status.READY, compliance_packs__in=visible)
        periods = selectors.periods_visible_to(request.user).annotate(ready=Count("compliance_packs", filter=ready))
        return render(request, "packs/index.html", {"periods": periods})


class PeriodPacksView(RoleRequiredMixin, View):
    """One period's packs, newest version first; analysts of the region can ask for a build here."""

    required_roles = PACK_READERS

    def get(self, request, pk, form=None, status=200):
        period = get_visible_or_404(selectors.periods_visible_to, request.user, pk=pk)
        packs = list(
            selectors.packs_visible_to(request.user)
            .filter(period=period)
            .order_by("borough__name", "-version")
            .select_related("task_run")
        )
        can_build = selectors.periods_managed_by(request.user).filter(pk=period.pk).exists()
        if can_build and form is None:
            form = PackRequestForm(region=period.region)
        context = {
            "period": period,
            "regional": [p for p in packs if p.is_regional],
            "boroughs": [p for p in packs if not p.is_regional],
            "building": any(p.status == CompliancePack.Status.BUILDING for p in packs),
            "form": form if can_build else None,
        }
        return render(request, "packs/period.html", context, status=status)


class PackBuildView(PeriodPacksView):
    """POST only: ask for a build, then back to the period's page (POST-redirect-GET)."""

    required_roles = PACK_BUILDERS
    http_method_names = ["post"]

    def post(self, request, pk):
        period = get_visible_or_404(selectors.periods_managed_by, request.user, pk=pk)
        form = PackRequestForm(request.POST, region=period.region)
        if form.is_valid():
            try:
                pack, reused = pack_services.request_pack(
                    period=period, by=request.user, borough=form.cleaned_data["borough"]
                )
            except pack_services.ReturnError as exc:
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
                return redirect("returns:period-packs", pk=period.pk)
        return self.get(request, pk, form=form, status=400)


class PackDownloadView(RoleRequiredMixin, View):
    """A ready pack's PDF or workbook, after the access check, audited."""

    required_roles = PACK_READERS

    def get(self, request, pk, kind):
        pack = get_visible_or_404(selectors.packs_visible_to, request.user, pk=pk)
        if kind not in CONTENT_TYPES or pack.status != CompliancePack.Status.READY:
            raise Http404("This pack has no such file to download.")
        pack_services.record_download(pack=pack, by=request.user, kind=kind, request=request)
        return FileResponse(
            getattr(pack, kind).open("rb"),
            as_attachment=True,
            filename=pack_services.file_name(pack, kind),
            content_type=CONTENT_TYPES[kind],
        )
