"""Returns API, mainly for managed service providers sending their boroughs' rows from their own systems.
Same scoping and the same services as the pages: rows sent here get the same validation."""

from django.core.validators import MaxLengthValidator
from django.db import transaction
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.generics import ListCreateAPIView, RetrieveAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.models import Agency
from agencies.names import match_key
from boroughs.models import Borough
from pledge_portal import access
from pledge_portal.core.serializers import GSS_CODE_ERRORS, RegistrationNumberField
from pledge_portal.core.text import quote
from rates.models import EngagementType, LocalRole, RoleCategory
from rates.money import MoneyError, parse_money

from . import changes, selectors, services
from .models import Assignment, Finding, Return, Snapshot, WorkforceLine


@extend_schema_field(OpenApiTypes.STR)
class MoneyString(serializers.Field):
    """Money as a string with two decimals, read by the one money parser."""

    def to_representation(self, value):
        return None if value is None else f"{value:.2f}"

    def to_internal_value(self, data):
        if data in (None, ""):
            return None
        try:
            return parse_money(str(data))
        except MoneyError as exc:
            raise ValidationError(str(exc)) from exc


class BoroughCode(serializers.SlugRelatedField):
    """A borough by its GSS code, the register read once per request (its context), not once per row."""

    def __init__(self, **kwargs):
        errors = GSS_CODE_ERRORS
        super().__init__(slug_field="gss_code", queryset=Borough.objects.all(), error_messages=errors, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        boroughs = self.context.get("boroughs_by_code")
        if boroughs is None:
            boroughs = {b.gss_code: b for b in Borough.objects.all()}
            self.context["boroughs_by_code"] = boroughs
        if data not in boroughs:
            self.fail("does_not_exist", slug_name=self.slug_field, value=quote(data))
        return boroughs[data]


class AssignmentSerializer(serializers.ModelSerializer):
    """One row, with the limits of the spreadsheet's column for each field (text lengths, amounts, dates)."""

    borough = BoroughCode()
    registration_number = RegistrationNumberField(required=False, allow_blank=True)
    role = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=LocalRole._meta.get_field("code").max_length,
        help_text="A core role code (social-worker, ...) or a local role code",
    )
    agency = serializers.CharField(
        source="agency_name",
        required=False,
        allow_blank=True,
        max_length=Assignment._meta.get_field("agency_name").max_length,
        help_text="The agency's name, as the borough reports it",
    )
    agency_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**31 - 1,
        help_text="The agency's code on the register (``id`` from /api/v1/agencies/), instead of or as well as "
        "its name: the row then names the register's agency exactly. In responses, the register's agency the "
        "row's name matched, or null",
    )
    engagement_type = serializers.ChoiceField(
        choices=EngagementType.choices,
        required=False,
        allow_blank=True,
        error_messages={"invalid_choice": f"Choose one of {', '.join(EngagementType.values)}."},
    )
    hourly_pay_rate = MoneyString(required=False, allow_null=True)
    hourly_charge_rate = MoneyString(required=False, allow_null=True)
    previous_employer = BoroughCode(required=False, allow_null=True)
    breach_sign_off = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Assignment
        fields = [
            "position",
            "borough",
            "registration_number",
            "role",
            "agency",
            "agency_id",
            "engagement_type",
            "start_date",
            "end_date",
            "hourly_pay_rate",
            "hourly_charge_rate",
            "project_team",
            "pqe_years",
            "previous_employer",
            "left_previous_on",
            "reference_received",
            "notice_period_weeks",
            "breach_sign_off",
        ]
        read_only_fields = ["position", "breach_sign_off"]

    def to_representation(self, row):
        data = super().to_representation(row)
        data["role"] = row.local_role.code if row.local_role_id else (row.role.code if row.role_id else "")
        return data

    def validate_role(self, value):
        if not value:
            return (None, None)
        region = self.context["ret"].period.region
        roles = self.context.get("roles")
        if roles is None:  # read once for the whole body (the context is the request's), not once per row
            roles = {r.code: (r.core, r) for r in LocalRole.objects.filter(region=region).select_related("core")}
            roles |= {r.code: (r, None) for r in RoleCategory.objects.all()}  # a core role's code wins
            self.context["roles"] = roles
        if value in roles:
            return roles[value]
        raise ValidationError(f"“{quote(value)}” is not a role code of {region.name}.")

    def to_values(self, data: dict) -> dict:
        role, local = data.pop("role", (None, None))
        return {**data, "role": role, "local_role": local}


class WorkforceSerializer(serializers.Serializer):
    role = serializers.CharField(source="role.code")
    permanent_headcount = serializers.IntegerField(allow_null=True)
    permanent_fte = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    agency_headcount = serializers.IntegerField(allow_null=True)
    agency_fte = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    vacancies_fte = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    starters = serializers.IntegerField(allow_null=True)
    leavers = serializers.IntegerField(allow_null=True)


class ReturnSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.name", read_only=True)
    period = serializers.CharField(source="period.label", read_only=True)
    period_id = serializers.IntegerField(read_only=True)
    deadline = serializers.DateField(source="period.deadline", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Return
        fields = ["id", "unit", "period", "period_id", "deadline", "status", "revision", "validated_revision", "url"]

    def get_url(self, ret) -> str:
        return reverse("returns:detail", args=[ret.pk])


class ReturnDetailSerializer(ReturnSerializer):
    workforce = WorkforceSerializer(many=True, read_only=True)
    assignments = serializers.SerializerMethodField()

    class Meta(ReturnSerializer.Meta):
        fields = [*ReturnSerializer.Meta.fields, "returned_comment", "workforce", "assignments"]

    def get_assignments(self, ret) -> list[dict]:
        rows = ret.assignments.select_related("borough", "role", "local_role", "previous_employer")
        return AssignmentSerializer(rows, many=True, context={"ret": ret}).data


class StartSerializer(serializers.Serializer):
    unit = serializers.IntegerField(help_text="The reporting unit's id")
    period = serializers.IntegerField(help_text="The reporting period's id")


class ReturnListApi(ListCreateAPIView):
    """Returns you may read. POST {unit, period} starts (or finds) your unit's return for a period."""

    action_required = "return.read"
    serializer_class = ReturnSerializer

    def get_queryset(self):
        return selectors.returns_visible_to(self.request.user).order_by("-period__starts_on", "unit__name")

    @extend_schema(request=StartSerializer, responses={201: ReturnSerializer})
    def post(self, request, *args, **kwargs):
        data = StartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        unit = selectors.units_made_by(request.user).filter(pk=data.validated_data["unit"]).first()
        period = selectors.periods_visible_to(request.user).filter(pk=data.validated_data["period"]).first()
        if unit is None or period is None:
            raise NotFound("No such reporting unit or period for you.")
        try:
            ret = services.start_return(unit=unit, period=period, by=request.user)
        except services.ReturnError as exc:
            raise ValidationError({"non_field_errors": [str(exc)]}) from exc
        return Response(ReturnSerializer(ret).data, status=status.HTTP_201_CREATED)


class ReturnScoped:
    """An endpoint about one return, reached through its action: one the caller may not act on is a 404."""

    action_required = "return.read"

    def get_return(self, pk) -> Return:
        ret = selectors.returns_for(self.request.user, self.action_required).filter(pk=pk).first()
        if ret is None:
            raise NotFound()
        return ret


class ReturnDetailApi(ReturnScoped, RetrieveAPIView):
    """One return with its workforce section and every row."""

    serializer_class = ReturnDetailSerializer

    def get_object(self):
        ret = self.get_return(self.kwargs["pk"])
        services.record_read(ret=ret, by=self.request.user, what="read_by_api", request=self.request)
        return ret


class LoadSerializer(serializers.Serializer):
    """Rows to load, with the spreadsheet's limits: at most 20,000 rows, each assignment (registration
    number and start date) on one row, and each field as long as its spreadsheet column allows."""

    revision = serializers.IntegerField(help_text="The return's revision you are changing (from GET)")
    mode = serializers.ChoiceField(
        choices=["replace", "merge"], error_messages={"invalid_choice": "Choose replace or merge."}
    )
    rows = serializers.ListSerializer(
        child=AssignmentSerializer(),
        max_length=services.MAX_LOADED_ROWS,  # checked before any row is read
        validators=[MaxLengthValidator(services.MAX_LOADED_ROWS)],  # what the description states as maxItems
        help_text=f"At most {services.MAX_LOADED_ROWS:,} rows, as in the spreadsheet; two rows with the same "
        "registration number and start date are refused.",
    )


class ReturnAssignmentsApi(ReturnScoped, APIView):
    """Send rows: ``replace`` makes the rows exactly these; ``merge`` updates rows with the same
    registration number and start date and adds the rest. All or nothing; 409 if the return changed since
    the revision you name.

    The limits are the spreadsheet's: at most 20,000 rows, one row per assignment, each field no longer than
    its column allows (``maxLength``). The body may be up to ``API_BODY_MAX_BYTES`` (10 MB unless set
    otherwise; 413 above it) and nested at most 20 deep."""

    action_required = "return.edit"

    @extend_schema(request=LoadSerializer, responses={200: ReturnSerializer})
    def put(self, request, pk):
        ret = self.get_return(pk)
        body = LoadSerializer(data=request.data, context={"ret": ret})
        body.is_valid(raise_exception=True)
        row_serializer = AssignmentSerializer(context={"ret": ret})
        rows = [row_serializer.to_values(dict(row)) for row in body.validated_data["rows"]]
        _agencies_by_code(rows)
        try:
            counts = services.load_assignments(
                ret=ret,
                by=request.user,
                expected_revision=body.validated_data["revision"],
                rows=rows,
                mode=body.validated_data["mode"],
                source="api",
            )
        except services.StaleRevision as exc:
            return Response({"detail": str(exc), "revision": exc.ret.revision}, status=status.HTTP_409_CONFLICT)
        except services.RepeatedAssignments as exc:
            raise ValidationError({"rows": _repeats_by_row(rows, exc.repeats)}) from exc
        except services.ReturnError as exc:
            raise ValidationError({"non_field_errors": [str(exc)]}) from exc
        ret.refresh_from_db()
        return Response({**ReturnSerializer(ret).data, **counts})


def _agencies_by_code(rows: list[dict]) -> None:
    """Give each row sent with an ``agency_id`` the register's agency (one query for all the rows); refuse a
    code not on the register, and a name that is not that agency's, by the row's index."""
    codes = {row["agency_id"] for row in rows if row.get("agency_id")}
    register = {agency.pk: agency for agency in Agency.objects.filter(pk__in=codes).only("pk", "name")}
    errors = {}
    for index, row in enumerate(rows):
        code = row.pop("agency_id", None)
        if not code:
            continue
        agency = register.get(code)
        name = (row.get("agency_name") or "").strip()
        if agency is None:
            errors[str(index)] = {"agency_id": [f"No agency on the register has the code {code}."]}
        elif name and match_key(name) != match_key(agency.name):
            errors[str(index)] = {
                "agency": [
                    f"“{quote(name)}” is not the name of agency {code} on the register ({quote(agency.name)}). "
                    "Send its code or its name, or both for the same agency."
                ]
            }
        else:
            row["agency"], row["agency_name"] = agency, agency.name
        if len(errors) >= 100:  # a body wrong in every row: the first hundred say enough
            break
    if errors:
        raise ValidationError({"rows": errors})


def _repeats_by_row(rows: list[dict], repeats: list[tuple[int, int]]) -> dict:
    """Each repeated row's error, keyed by its index in the request as field errors are."""
    return {
        str(index): {
            "registration_number": [
                f"{rows[index]['registration_number']} starting {rows[index]['start_date']:%Y-%m-%d} is also the "
                f"row at index {first}. Give each assignment one row."
            ]
        }
        for index, first in repeats
    }


class ReturnValidateApi(ReturnScoped, APIView):
    """Start a check of the return as it is now; follow ``job`` for progress, then read the findings."""

    action_required = "return.check"

    @extend_schema(request=None, responses={202: dict})
    def post(self, request, pk):
        ret = self.get_return(pk)
        try:
            run = services.request_validation(ret=ret, by=request.user)
        except services.ReturnError as exc:
            raise ValidationError({"non_field_errors": [str(exc)]}) from exc
        return Response(
            {
                "validation_run": run.pk,
                "revision": run.revision,
                "job": reverse("api-job-detail", args=[run.task_run_id]),
            },
            status=status.HTTP_202_ACCEPTED,
        )


class FindingSerializer(serializers.ModelSerializer):
    explanation = serializers.CharField(read_only=True)

    class Meta:
        model = Finding
        fields = ["rule_code", "severity", "position", "field", "message", "key", "explanation"]


class ReturnFindingsApi(ReturnScoped, APIView):
    """The latest check's findings, with explanations written so far."""

    @extend_schema(responses={200: FindingSerializer(many=True)})
    def get(self, request, pk):
        ret = self.get_return(pk)
        run = selectors.latest_run(ret)
        if run is None:
            return Response({"status": "not checked", "findings": []})
        findings = selectors.findings_with_explanations(run) if run.finished_at else []
        return Response(
            {
                "status": "finished" if run.finished_at else "running",
                "revision": run.revision,
                "current": run.revision == ret.revision,
                "errors": run.errors,
                "queries": run.queries,
                "findings": FindingSerializer(findings, many=True).data,
            }
        )


class FieldChangeSerializer(serializers.Serializer):
    label = serializers.CharField()
    old = serializers.CharField(help_text='As a person reads it; "blank" for no value')
    new = serializers.CharField(help_text='As a person reads it; "blank" for no value')


class RowChangeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=changes.KINDS)
    registration_number = serializers.CharField()
    start_date = serializers.CharField()
    position = serializers.IntegerField(
        allow_null=True, help_text="The row's number (in the older version, if removed)"
    )
    fields = FieldChangeSerializer(many=True)


class FigureChangeSerializer(serializers.Serializer):
    subject = serializers.CharField(help_text='A role\'s name, or "Whole return"')
    label = serializers.CharField()
    old = serializers.CharField()
    new = serializers.CharField()


class ChangesSerializer(serializers.Serializer):
    compared = serializers.CharField()
    base_version = serializers.IntegerField(source="base.number", allow_null=True, default=None)
    base_signed_off_at = serializers.DateTimeField(source="base.signed_off_at", allow_null=True, default=None)
    summary = serializers.CharField()
    counts = serializers.DictField(child=serializers.IntegerField())
    rows_changed = serializers.IntegerField()
    rows_listed_limit = serializers.IntegerField(source="limit")
    rows = RowChangeSerializer(many=True)
    figures = FigureChangeSerializer(many=True)


class ReturnChangesApi(ReturnScoped, APIView):
    """What changed since the previous signed-off version (read-only): the return as it is now, or one
    submitted version with ``?version=<n>``. Lists the first 500 changed rows, with counts of all."""

    @extend_schema(
        parameters=[OpenApiParameter("version", int, required=False, description="A submitted version's number")],
        responses={200: ChangesSerializer},
    )
    def get(self, request, pk):
        ret = self.get_return(pk)
        version = request.query_params.get("version")
        if version is not None and not (version.isdigit() and len(version) < 10):
            raise ValidationError({"version": "Give a version number, like 2."})
        try:
            found = changes.changes_since_sign_off(ret, version=int(version) if version else None)
        except Snapshot.DoesNotExist as exc:
            raise NotFound("This return has no such version.") from exc
        services.record_read(ret=ret, by=request.user, what="changes_read_by_api", request=request)
        return Response(ChangesSerializer(found).data)


class ReturnSubmitApi(ReturnScoped, APIView):
    action_required = "return.submit"

    @extend_schema(request=None, responses={200: ReturnSerializer})
    def post(self, request, pk):
        ret = self.get_return(pk)
        try:
            ret = services.submit_return(ret=ret, by=request.user)
        except services.ReturnError as exc:
            raise ValidationError({"non_field_errors": [str(exc)]}) from exc
        return Response(ReturnSerializer(ret).data)


# --- The rest of a return, so an MSP can finish one without the browser ----------------------------------


class WorkforceLineIn(serializers.Serializer):
    role = serializers.CharField(max_length=60, help_text="A core role code, like social-worker")
    permanent_headcount = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    permanent_fte = serializers.DecimalField(max_digits=7, decimal_places=2, required=False, allow_null=True)
    agency_headcount = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    agency_fte = serializers.DecimalField(max_digits=7, decimal_places=2, required=False, allow_null=True)
    vacancies_fte = serializers.DecimalField(max_digits=7, decimal_places=2, required=False, allow_null=True)
    starters = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    leavers = serializers.IntegerField(required=False, allow_null=True, min_value=0)


class WorkforceIn(serializers.Serializer):
    revision = serializers.IntegerField(help_text="The return's revision you are changing (from GET)")
    lines = WorkforceLineIn(many=True, max_length=20, help_text="One per core role; roles left out are unchanged")
    agency_spend_month_1 = serializers.CharField(required=False, allow_null=True, max_length=20)
    agency_spend_month_2 = serializers.CharField(required=False, allow_null=True, max_length=20)
    agency_spend_month_3 = serializers.CharField(required=False, allow_null=True, max_length=20)
    project_teams = serializers.IntegerField(required=False, allow_null=True, min_value=0)


class ReturnWorkforceApi(ReturnScoped, APIView):
    """Set the workforce section and the quarter's agency spend, checked by the same rules as the page's form
    (it is the page's form that checks them). 409 if the return changed since the revision you name."""

    action_required = "return.edit"

    @extend_schema(request=WorkforceIn, responses={200: ReturnSerializer})
    def put(self, request, pk):
        from .forms import WorkforceForm

        ret = self.get_return(pk)
        body = WorkforceIn(data=request.data)
        body.is_valid(raise_exception=True)
        lines = {line.role.code: line for line in ret.workforce.select_related("role")}
        data = {"revision": body.validated_data["revision"]}
        for line in body.validated_data["lines"]:
            code = line.pop("role")
            if code not in lines:
                raise ValidationError({"lines": [f"“{code[:50]}” is not a core role of this return."]})
            # Roles left out keep their figures; a role sent has every figure it sends.
            data.update({f"{lines[code].role_id}-{name}": value for name, value in line.items() if value is not None})
        for code, line in lines.items():
            if not any(item["role"] == code for item in request.data.get("lines", []) if isinstance(item, dict)):
                data.update(
                    {
                        f"{line.role_id}-{n}": getattr(line, n)
                        for n in WorkforceLine.FIGURES
                        if getattr(line, n) is not None
                    }
                )
        for name in ("agency_spend_month_1", "agency_spend_month_2", "agency_spend_month_3", "project_teams"):
            value = body.validated_data.get(name, getattr(ret, name))
            if value is not None:
                data[name] = str(value)
        form = WorkforceForm(data, ret=ret)
        if not form.is_valid():
            raise ValidationError({name: [str(e) for e in errors][:5] for name, errors in form.errors.items()})
        try:
            services.save_workforce(
                ret=ret,
                by=request.user,
                expected_revision=form.cleaned_data["revision"],
                lines=form.lines_data(),
                totals=form.totals_data(),
            )
        except services.StaleRevision as exc:
            return Response({"detail": str(exc), "revision": exc.ret.revision}, status=status.HTTP_409_CONFLICT)
        except services.ReturnError as exc:
            raise ValidationError({"non_field_errors": [str(exc)]}) from exc
        ret.refresh_from_db()
        return Response(ReturnSerializer(ret).data)


class ExplanationIn(serializers.Serializer):
    key = serializers.CharField(max_length=200, help_text="The query's key, from the findings")
    text = serializers.CharField(max_length=5000)


class ExplanationsIn(serializers.Serializer):
    explanations = ExplanationIn(many=True, max_length=500)


class ReturnExplanationsApi(ReturnScoped, APIView):
    """Explain the latest check's queries (each by its key). All or nothing."""

    action_required = "return.edit"

    @extend_schema(request=ExplanationsIn, responses={200: dict})
    def put(self, request, pk):
        ret = self.get_return(pk)
        body = ExplanationsIn(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                for item in body.validated_data["explanations"]:
                    services.explain_query(ret=ret, by=request.user, key=item["key"], text=item["text"])
        except services.ReturnError as exc:
            raise ValidationError({"explanations": [str(exc)]}) from exc
        return Response({"explained": len(body.validated_data["explanations"])})


# --- The leavers register ------------------------------------------------------------------------------


class CoreRoleCode(serializers.SlugRelatedField):
    """A core role by its code, the roles read once per request (its context), not once per leaver."""

    def __init__(self, **kwargs):
        errors = {"does_not_exist": "Send a core role code, like social-worker.", "invalid": "Send a core role code."}
        super().__init__(slug_field="code", queryset=RoleCategory.objects.all(), error_messages=errors, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        roles = self.context.get("core_roles_by_code")
        if roles is None:
            roles = self.context["core_roles_by_code"] = {r.code: r for r in RoleCategory.objects.all()}
        if data not in roles:
            self.fail("does_not_exist", slug_name=self.slug_field, value=quote(data))
        return roles[data]


class LeaverSerializer(serializers.Serializer):
    """One permanent leaver: every field the page's form needs, refused as the form refuses it; the service
    then checks the leaving date's range and repeats for the page, the API and the spreadsheet alike."""

    borough = BoroughCode(
        required=False,
        allow_null=True,
        help_text="The GSS code of the borough they left; needed only in a joint return",
    )
    registration_number = RegistrationNumberField()
    leaving_date = serializers.DateField(help_text="Their last day in the permanent post")
    role = CoreRoleCode(help_text="The core role they left: social-worker, senior-social-worker, ...")

    def to_representation(self, leaver):
        return {
            "borough": leaver.borough.gss_code,
            "registration_number": leaver.registration_number,
            "leaving_date": leaver.leaving_date.isoformat(),
            "role": leaver.role.code,
        }


class LeaversIn(serializers.Serializer):
    revision = serializers.IntegerField(help_text="The return's revision you are changing (from GET)")
    leavers = serializers.ListSerializer(
        child=LeaverSerializer(),
        max_length=services.MAX_LEAVERS,  # checked before any leaver is read
        validators=[MaxLengthValidator(services.MAX_LEAVERS)],  # what the description states as maxItems
        help_text=f"Every leaver of the return (at most {services.MAX_LEAVERS:,}); those left out are removed.",
    )


class LeaversOut(serializers.Serializer):
    revision = serializers.IntegerField(help_text="The return's revision: name it when you PUT")
    leavers = LeaverSerializer(many=True)


class LeaversPut(ReturnSerializer):
    leavers = serializers.IntegerField(help_text="How many leavers the return now reports")
    removed = serializers.IntegerField(help_text="How many it reported before")

    class Meta(ReturnSerializer.Meta):
        fields = [*ReturnSerializer.Meta.fields, "leavers", "removed"]


class ReturnLeaversApi(ReturnScoped, APIView):
    """The permanent leavers the return reports (the leavers register the region's cool-off check reads).
    GET lists them, for whoever may read the return (audited). PUT makes them exactly the list sent, for the
    return's own users and its MSP: all or nothing, refused as the page refuses (400 naming the leaver), 409
    if the return changed since the revision you name. Leavers are not carried forward to the next return."""

    action_required = "return.read"

    @extend_schema(responses={200: LeaversOut})
    def get(self, request, pk):
        ret = self.get_return(pk)
        services.record_read(ret=ret, by=request.user, what="leavers_read_by_api", request=request)
        leavers = selectors.leavers_of(ret)
        return Response({"revision": ret.revision, "leavers": LeaverSerializer(leavers, many=True).data})

    @extend_schema(request=LeaversIn, responses={200: LeaversPut})
    def put(self, request, pk):
        if not access.can(request.user, "return.edit"):
            raise PermissionDenied("Only a return's own users (or its managed service provider) can change it.")
        ret = selectors.returns_for(request.user, "return.edit").filter(pk=pk).first()
        if ret is None:
            raise NotFound()
        body = LeaversIn(data=request.data, context={})  # the context keeps the roles and boroughs read once
        body.is_valid(raise_exception=True)
        try:
            counts = services.replace_leavers(
                ret=ret,
                by=request.user,
                expected_revision=body.validated_data["revision"],
                leavers=[dict(item) for item in body.validated_data["leavers"]],
                source="api",
            )
        except services.StaleRevision as exc:
            return Response({"detail": str(exc), "revision": exc.ret.revision}, status=status.HTTP_409_CONFLICT)
        except services.ReturnError as exc:
            raise ValidationError({"leavers": [str(exc)]}) from exc
        ret.refresh_from_db()
        return Response({**ReturnSerializer(ret).data, **counts})
