"""References API for agency systems: make and follow requests, read completed references. Same access
rules as the pages; every read of a reference is audited."""

from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView, ListCreateAPIView, RetrieveAPIView
from rest_framework.response import Response

from boroughs.models import Borough
from pledge_portal.core.serializers import GSS_CODE_ERRORS, RegistrationNumberField

from . import selectors, services
from .models import Reference, ReferenceRequest


class ReferenceRequestSerializer(serializers.ModelSerializer):
    borough = serializers.SlugRelatedField(
        slug_field="gss_code",
        queryset=Borough.objects.all(),
        help_text="The borough's GSS code, e.g. E09000007",
        error_messages=GSS_CODE_ERRORS,
    )
    registration_number = RegistrationNumberField()
    agency = serializers.CharField(source="agency.name", read_only=True)
    reference = serializers.SerializerMethodField()

    class Meta:
        model = ReferenceRequest
        fields = [
            "id",
            "borough",
            "agency",
            "registration_number",
            "candidate_name",
            "employed_from",
            "employed_to",
            "candidate_email",
            "candidate_phone",
            "status",
            "requested_at",
            "due_on",
            "declined_reason",
            "reference",
        ]
        read_only_fields = ["status", "requested_at", "due_on", "declined_reason"]

    def get_reference(self, req) -> int | None:
        reference = getattr(req, "reference", None)
        return reference.pk if reference else None


class ReferenceSerializer(serializers.ModelSerializer):
    issuing_borough = serializers.CharField(source="issuing_borough.gss_code")
    agency = serializers.CharField(source="agency.name")
    template_version = serializers.IntegerField(source="template.version")

    class Meta:
        model = Reference
        fields = [
            "id",
            "source",
            "registration_number",
            "candidate_name",
            "issuing_borough",
            "agency",
            "template_version",
            "answers",
            "created_at",
            "retain_until",
        ]


class ReferenceRequestListApi(ListCreateAPIView):
    """Requests your organisation made or received. Agency users create one with POST."""

    action_required = "reference_request.read"
    serializer_class = ReferenceRequestSerializer

    def get_queryset(self):
        return selectors.requests_visible_to(self.request.user).select_related("reference")

    def perform_create(self, serializer):
        agency = self._agency()
        data = serializer.validated_data
        try:
            serializer.instance = services.request_reference(
                agency=agency,
                borough=data["borough"],
                by=self.request.user,
                registration_number=data["registration_number"],
                candidate_name=data["candidate_name"],
                employed_from=data.get("employed_from"),
                employed_to=data.get("employed_to"),
                candidate_email=data.get("candidate_email", ""),
                candidate_phone=data.get("candidate_phone", ""),
            )
        except services.ReferenceError as exc:
            raise ValidationError({"non_field_errors": [str(exc)]}) from exc

    def _agency(self):
        """The agency the caller asks for: theirs, or the one named by ``agency`` if they work for several."""
        agencies = list(selectors.agencies_acted_for(self.request.user, "reference_request.make"))
        if not agencies:
            raise ValidationError({"non_field_errors": ["Only agency users can request references."]})
        if len(agencies) == 1:
            return agencies[0]
        chosen = str(self.request.data.get("agency", ""))[:20]
        agency = next((a for a in agencies if str(a.pk) == chosen), None)
        if agency is None:
            names = ", ".join(f"{a.pk} ({a.name})" for a in agencies[:10])
            raise ValidationError({"agency": [f"You work for several agencies: give the id of one of {names}."]})
        return agency


class ReferenceRequestDetailApi(RetrieveAPIView):
    action_required = "reference_request.read"
    serializer_class = ReferenceRequestSerializer

    def get_queryset(self):
        return selectors.requests_visible_to(self.request.user).select_related("reference")


class ReferenceListApi(ListAPIView):
    """References you may read (without answers; fetch one to read it, which is recorded)."""

    action_required = "reference.read"

    class Summary(ReferenceSerializer):
        class Meta(ReferenceSerializer.Meta):
            fields = [f for f in ReferenceSerializer.Meta.fields if f != "answers"]

    serializer_class = Summary

    def get_queryset(self):
        return selectors.references_visible_to(self.request.user)


class ReferenceDetailApi(RetrieveAPIView):
    action_required = "reference.read"
    serializer_class = ReferenceSerializer

    def get_queryset(self):
        return selectors.references_visible_to(self.request.user)

    def retrieve(self, request, *args, **kwargs):
        reference = self.get_object()
        services.record_access(reference=reference, by=request.user, action="viewed_by_api", request=request)
        return Response(self.get_serializer(reference).data)
