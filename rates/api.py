"""Rates API: current caps, rate card history and the rate check. Open without sign-in, throttled."""

from datetime import date

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from pledge_portal.core.throttling import SlidingWindowThrottle

from .models import EngagementType, RateCard, RateCardLine
from .money import MoneyError, parse_money, pounds
from .selectors import RateCheckError, check_rate, current_card, default_region, rate_cards_visible_to


class RatesAnonThrottle(SlidingWindowThrottle):
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
    action_required = "rates.read"
    authentication_classes: list = []  # public data: no session, so no CSRF token needed to POST a check
    throttle_classes = [RatesAnonThrottle]
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]


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
    """The question, as documented in the schema; ``read_question`` applies exactly these rules."""

    role = serializers.CharField(max_length=60)
    engagement_type = serializers.ChoiceField(choices=EngagementType.values)
    date = serializers.DateField(help_text="ISO 8601, e.g. 2026-11-01")
    hourly_rate = Money(help_text='Pounds per hour: "38.50", "£38.50", "38,50" or 38.5')


def read_question(data) -> tuple[dict, dict]:
    """Validate a rate check question: (values, errors as {field: [message]}). Written out rather than
    run through ``RateCheckRequest`` because this is the hot path of a public endpoint, and building a
    serializer per request cost more than answering the question."""
    values, errors = {}, {}
    if not hasattr(data, "get"):
        return {}, {"non_field_errors": ["Send a JSON object with role, engagement_type, date and hourly_rate."]}
    role = data.get("role")
    if not isinstance(role, str) or not role.strip():
        errors["role"] = ["This field is required."]
    elif len(role) > 60:
        errors["role"] = ["Ensure this field has no more than 60 characters."]
    else:
        values["role"] = role.strip()
    engagement = data.get("engagement_type")
    if engagement in EngagementType.values:
        values["engagement_type"] = engagement
    else:
        errors["engagement_type"] = [f"Choose one of: {', '.join(EngagementType.values)}."]
    try:
        values["date"] = date.fromisoformat(str(data.get("date")))
    except ValueError:
        errors["date"] = ["Enter a real date as YYYY-MM-DD, like 2026-11-01."]
    try:
        values["hourly_rate"] = parse_money(data.get("hourly_rate"))
    except MoneyError as exc:
        errors["hourly_rate"] = [str(exc)]
    return values, errors


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


def answer_json(check) -> dict:
    """The answer as ``RateCheckResponse`` documents it. Built directly: this is the API's hot path, and a
    serializer instance per request cost more than the rate check itself (see docs/decisions/0004)."""
    card = check.rate_card
    return {
        "role": check.role,
        "role_name": check.role_name,
        "core_role": check.core_role,
        "engagement_type": check.engagement_type,
        "date": check.on.isoformat(),
        "hourly_rate": pounds(check.hourly_rate),
        "cap": pounds(check.cap),
        "cap_basis": check.cap_basis,
        "within_cap": check.within_cap,
        "excess": pounds(check.excess),
        "excess_percent": str(check.excess_percent),
        "rate_card": {
            "id": card.pk,
            "version": card.version,
            "title": card.title,
            "is_demo": card.is_demo,
            "effective_from": card.effective_from.isoformat(),
            "effective_to": card.effective_to.isoformat() if card.effective_to else None,
        },
    }


class RateCheckApi(RatesView, APIView):
    """Check an hourly rate against the cap in force for a role, engagement type and date."""

    @extend_schema(request=RateCheckRequest, responses={200: RateCheckResponse})
    def post(self, request):
        data, errors = read_question(request.data)
        if errors:
            return Response(errors, status=400)
        try:
            answer = check_rate(
                role=data["role"],
                engagement_type=data["engagement_type"],
                on=data["date"],
                hourly_rate=data["hourly_rate"],
            )
        except RateCheckError as exc:
            return Response({exc.field: [str(exc)]}, status=400)
        return Response(answer_json(answer))
