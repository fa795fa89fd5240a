"""Rates API: current caps, rate card history and the rate check. Open without sign-in, throttled."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from pledge_portal.tenancy import PUBLIC

from .models import EngagementType, RateCard, RateCardLine
from .money import MoneyError, parse_money, pounds
from .selectors import RateCheckError, check_rate, current_card, default_region, rate_cards_visible_to


class RatesAnonThrottle(AnonRateThrottle):
    scope = "rates_anon"

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]  # read per request: settings may change


class Money(serializers.DecimalField):
    """Money out as a string with two decimals; money in through the one parser that refuses guesses."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=7, decimal_places=2, coerce_to_string=True, **kwargs)

    def to_internal_value(self, data):
        try:
            return parse_money(data)
        except MoneyError as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def to_representation(self, value):
        return pounds(value)


class LineSerializer(serializers.ModelSerializer):
    role = serializers.CharField(source="role_code")
    role_name = serializers.CharField()
    core_role = serializers.SerializerMethodField()
    limited_company_and_umbrella_cap = Money(source="inclusive_cap")
    paye_cap = Money()

    class Meta:
        model = RateCardLine
        fields = ["role", "role_name", "core_role", "limited_company_and_umbrella_cap", "paye_cap"]

    def get_core_role(self, line) -> str:
        return line.role.code if line.role_id else line.local_role.core.code


class RateCardSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code")
    approved_by = serializers.SerializerMethodField()
    lines = LineSerializer(many=True)

    class Meta:
        model = RateCard
        fields = [
            "id",
            "region",
            "version",
            "title",
            "status",
            "effective_from",
            "effective_to",
            "is_demo",
            "evidence_note",
            "change_summary",
            "approved_by",
            "published_at",
            "lines",
        ]

    def get_approved_by(self, card) -> str | None:
        return card.approved_by.get_full_name() if card.approved_by_id else None


class RatesView:
    required_roles = PUBLIC
    authentication_classes: list = []  # public data: no session, so no CSRF token needed to POST a check
    throttle_classes = [RatesAnonThrottle]


class CurrentCapsApi(RatesView, APIView):
    """The rate card in force today, with its caps per role."""

    @extend_schema(responses=RateCardSerializer)
    def get(self, request):
        card = current_card(default_region())
        if card is None:
            return Response({"detail": "No rate card is in force today."}, status=404)
        return Response(RateCardSerializer(card).data)


class RateCardListApi(RatesView, ListAPIView):
    """Published and superseded rate cards, newest first."""

    serializer_class = RateCardSerializer

    def get_queryset(self):
        return (
            rate_cards_visible_to(self.request.user)
            .in_force()
            .prefetch_related("lines__role", "lines__local_role__core")
            .order_by("region__code", "-effective_from")
        )


class RateCheckRequest(serializers.Serializer):
    role = serializers.CharField(max_length=60)
    engagement_type = serializers.ChoiceField(choices=EngagementType.values)
    date = serializers.DateField()
    hourly_rate = Money()


class RateCheckResponse(serializers.Serializer):
    role = serializers.CharField()
    role_name = serializers.CharField()
    core_role = serializers.CharField()
    engagement_type = serializers.CharField()
    date = serializers.DateField(source="on")
    hourly_rate = Money()
    cap = Money()
    cap_basis = serializers.CharField()
    within_cap = serializers.BooleanField()
    excess = Money()
    excess_percent = serializers.DecimalField(max_digits=7, decimal_places=2, coerce_to_string=True)
    rate_card = serializers.SerializerMethodField()

    def get_rate_card(self, check) -> dict:
        card = check.rate_card
        return {
            "id": card.pk,
            "version": card.version,
            "title": card.title,
            "is_demo": card.is_demo,
            "effective_from": card.effective_from,
            "effective_to": card.effective_to,
        }


class RateCheckApi(RatesView, APIView):
    """Check an hourly rate against the cap in force for a role, engagement type and date."""

    @extend_schema(request=RateCheckRequest, responses={200: RateCheckResponse})
    def post(self, request):
        question = RateCheckRequest(data=request.data)
        question.is_valid(raise_exception=True)
        data = question.validated_data
        try:
            answer = check_rate(
                role=data["role"],
                engagement_type=data["engagement_type"],
                on=data["date"],
                hourly_rate=data["hourly_rate"],
            )
        except RateCheckError as exc:
            return Response({exc.field: [str(exc)]}, status=400)
        return Response(RateCheckResponse(answer).data)
