"""The agency register through the API: the codes a managed service provider's system sends with a row
(``agency_id``) instead of a name typed its own way."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView

from pledge_portal import access

from .models import Agency
from .names import MAX_NAME, match_key


class AgencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["id", "name", "companies_house_number"]


@extend_schema(
    parameters=[
        OpenApiParameter("name", str, description="Names containing this (case, punctuation and “Ltd” aside)"),
        OpenApiParameter("companies_house_number", str, description="The agency's Companies House number"),
    ]
)
class AgencyRegisterApi(ListAPIView):
    """The register of agencies, 100 a page: each agency's ``id`` is the code a row's ``agency_id`` takes."""

    action_required = "agency.lookup"
    serializer_class = AgencySerializer

    def get_queryset(self):
        agencies = access.visible(self.request.user, self.action_required, Agency.objects.order_by("name", "pk"))
        agencies = agencies.only("pk", "name", "companies_house_number")
        number = self.request.query_params.get("companies_house_number", "").strip().upper()[:8]
        if number:
            agencies = agencies.filter(companies_house_number=number)
        name = self.request.query_params.get("name", "")[:MAX_NAME]
        words = match_key(name).split()[:8]
        for word in words:
            agencies = agencies.filter(name__icontains=word)
        return agencies
