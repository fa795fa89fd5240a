"""Dashboards API: the region's signs of bidding up, for its analysts' own tools. Same access rule, scope and
figures as the page (``figures.bidding``); a page of at most ``PAGE_SIZE`` rises at a time."""

from datetime import date

from django.core.paginator import EmptyPage, Paginator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from . import figures
from .bidding_views import PAGE_SIZE, _Rises
from .cache import figure, one_version
from .figures import bidding
from .selectors import regions_for
from .views import DEFAULT_QUARTERS, _region_quarters


class ThresholdOut(serializers.Serializer):
    percent = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    pounds = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    both = serializers.BooleanField()
    set_by_region = serializers.BooleanField()
    text = serializers.CharField()


class CoverageOut(serializers.Serializer):
    quarter = serializers.DateField()
    label = serializers.CharField()
    built_from = serializers.IntegerField()
    expected = serializers.IntegerField(source="expected_count")
    text = serializers.CharField()


class RiseOut(serializers.Serializer):
    registration_number = serializers.CharField()
    kind = serializers.ChoiceField(choices=list(bidding.KIND_LABELS))
    from_borough = serializers.CharField()
    from_quarter = serializers.DateField()
    from_start = serializers.DateField()
    from_rate = serializers.DecimalField(max_digits=7, decimal_places=2)
    to_borough = serializers.CharField()
    to_quarter = serializers.DateField()
    to_start = serializers.DateField()
    to_rate = serializers.DecimalField(max_digits=7, decimal_places=2)
    rise = serializers.DecimalField(max_digits=7, decimal_places=2)
    percent = serializers.DecimalField(max_digits=9, decimal_places=1, allow_null=True)
    agency = serializers.CharField()


class AgencyOut(serializers.Serializer):
    agency = serializers.CharField()
    flagged_workers = serializers.IntegerField()
    workers = serializers.IntegerField()
    share = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)


class BiddingUpOut(serializers.Serializer):
    region = serializers.CharField()
    start = serializers.DateField(help_text="First day of the first quarter read.")
    end = serializers.DateField(help_text="First day of the last quarter read.")
    threshold = ThresholdOut()
    coverage = CoverageOut(many=True)
    count = serializers.IntegerField(help_text="Flagged rises in the quarters chosen.")
    workers = serializers.IntegerField(help_text="Distinct workers with a flagged rise.")
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    results = RiseOut(many=True)
    agencies = AgencyOut(many=True)


class RegionBiddingUpApi(APIView):
    """Flagged rises in pay between a worker's assignments in the region's accepted returns (moves between
    boroughs and renewals), newest quarter first, with the agencies ranked and the coverage they are built
    from. ``from`` and ``to`` are first days of the region's quarters (the last four by default)."""

    action_required = "bidding_up.region"

    def _quarter(self, request, name: str, quarters: list[date], default: date) -> date:
        text = request.query_params.get(name)
        if not text:
            return default
        try:
            day = date.fromisoformat(text[:10])
        except ValueError:
            day = None
        if day not in quarters:
            raise ValidationError({name: "Give the first day of one of the region's quarters, like 2026-04-01."})
        return day

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day of the first quarter."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="First day of the last quarter."),
            OpenApiParameter("page", OpenApiTypes.INT, description=f"Page of {PAGE_SIZE} rises, from 1."),
        ],
        responses={200: BiddingUpOut},
    )
    def get(self, request, pk):
        with one_version():
            region = regions_for(request.user, self.action_required).filter(pk=pk).first()
            if region is None:
                raise NotFound("No such region for you.")
            quarters = _region_quarters(region)
            if not quarters:
                raise NotFound("The region has no reporting periods yet.")
            end = self._quarter(request, "to", quarters, quarters[-1])
            start = self._quarter(request, "from", quarters, quarters[max(0, len(quarters) - DEFAULT_QUARTERS)])
            start, end = min(start, end), max(start, end)
            try:
                number = int(request.query_params.get("page", "1"))
            except ValueError:
                raise ValidationError({"page": "Give a page number, from 1."}) from None
            threshold = bidding.threshold_for(region)
            scope = figures.Scope(start, end, region=region)
            total, workers = figure(bidding.count_rises, scope, threshold)
            paginator = Paginator(_Rises(scope, threshold, total), PAGE_SIZE)
            try:
                page = paginator.page(number)
            except EmptyPage:
                raise NotFound("There is no such page.") from None
            coverage = figure(figures.coverage_by_quarter, scope)
            data = {
                "region": region.name,
                "start": start,
                "end": end,
                "threshold": {
                    "percent": threshold.percent,
                    "pounds": threshold.pounds,
                    "both": threshold.both,
                    "set_by_region": threshold.set_by_region,
                    "text": threshold.text,
                },
                "coverage": [
                    {
                        "quarter": c.quarter,
                        "label": c.label,
                        "built_from": c.built_from,
                        "expected_count": len(c.expected),
                        "text": c.text,
                    }
                    for c in coverage
                ],
                "count": total,
                "workers": workers,
                "page": page.number,
                "pages": paginator.num_pages,
                "results": list(page.object_list),
                "agencies": figure(bidding.agencies_by_rises, scope, threshold),
            }
            return Response(BiddingUpOut(data).data)
