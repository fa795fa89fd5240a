"""DfE return API: a period's coverage and files (JSON), a borough's file and the regional extract (downloads),
for boroughs and the region fetching them from their own systems. Same scoping, services and audit as the pages."""

from django.http import FileResponse, HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from pledge_portal.core.excel import XLSX_CONTENT_TYPE

from . import selectors, services
from .content import census_date
from .models import DfeExtract
from .views import CONTENT_TYPES, borough_statuses


class FileApi(APIView):
    """A download: whatever the client's Accept header, the answer is the file (or a JSON refusal)."""

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)


def _period(request, pk):
    period = selectors.periods_visible_to(request.user).filter(pk=pk).first()
    if period is None:
        raise NotFound()
    return period


class DfePeriodApi(APIView):
    """The boroughs whose DfE file you may download for the period, with their return's status and file
    addresses, and (for the region's roles) the regional extracts."""

    action_required = "dfe.read"

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk):
        period = _period(request, pk)
        boroughs = list(selectors.boroughs_downloadable_by(request.user, period))
        statuses = borough_statuses(period, boroughs)
        on = census_date(period)
        extracts = selectors.extracts_visible_to(request.user).filter(period=period).order_by("-version")[:10]
        return Response(
            {
                "period": period.pk,
                "label": period.label,
                "region": period.region.name,
                "census_date": on.isoformat() if on else None,
                "boroughs": [
                    {
                        "name": b.name,
                        "dfe_code": b.dfe_code,
                        "return_status": statuses[b.pk],
                        "return_xlsx": reverse("api-dfe-borough", args=[period.pk, b.pk]),
                        "assignments_csv": reverse("api-dfe-borough-assignments", args=[period.pk, b.pk]),
                    }
                    for b in boroughs
                ],
                "extracts": [
                    {
                        "version": e.version,
                        "status": e.status,
                        "coverage": e.coverage_text,
                        "sha256": e.xlsx_sha256,
                        "download": reverse("api-dfe-extract", args=[e.pk])
                        if e.status == DfeExtract.Status.READY
                        else None,
                    }
                    for e in extracts
                ],
            }
        )


class _BoroughFileApi(FileApi):
    action_required = "dfe.download"
    kind = "xlsx"

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, pk, borough):
        period = _period(request, pk)
        chosen = selectors.boroughs_downloadable_by(request.user, period).filter(pk=borough).first()
        if chosen is None:
            raise NotFound()
        try:
            data, name = services.borough_file(
                period=period, borough=chosen, by=request.user, kind=self.kind, request=request
            )
        except services.DfeError as exc:
            raise PermissionDenied(str(exc)) from exc
        response = HttpResponse(data, content_type=CONTENT_TYPES[self.kind])
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class BoroughReturnApi(_BoroughFileApi):
    """A borough's DfE return for the period, as a workbook."""


class BoroughAssignmentsApi(_BoroughFileApi):
    """The assignment-level sheet of a borough's DfE return, as CSV."""

    kind = "csv"


class ExtractApi(FileApi):
    """A ready regional extract, as a workbook."""

    action_required = "dfe.extract_download"

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, pk):
        extract = selectors.extracts_visible_to(request.user).filter(pk=pk).first()
        if extract is None or extract.status != DfeExtract.Status.READY:
            raise NotFound()
        services.record_extract_download(extract=extract, by=request.user, request=request)
        return FileResponse(
            extract.xlsx.open("rb"),
            as_attachment=True,
            filename=services.extract_file_name(extract),
            content_type=XLSX_CONTENT_TYPE,
        )
