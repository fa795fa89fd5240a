"""Forms for returns: an assignment row, the workforce section, uploads, explanations, workflow comments
and reporting periods. Each editing form carries the revision it was made on (see services)."""

from decimal import Decimal

from django import forms

from boroughs.models import Borough
from pledge_portal.core.forms import DATE_HELP, ActingForField, AgreedOnField, GovukDateField, RegistrationNumberField
from rates.forms import MoneyField
from rates.models import EngagementType, LocalRole, RoleCategory

from .models import Assignment, Return, WorkforceLine


class RevisionForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput)


class NamedChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


SPEND = {"maximum": Decimal("100000000"), "what": "the spend", "per": ""}
YES_NO_UNKNOWN = [("", "Not known"), ("yes", "Yes"), ("no", "No")]


class AssignmentForm(RevisionForm):
    """One row. Everything may be left blank in a draft: the check lists what is missing."""

    borough = NamedChoice(queryset=Borough.objects.none(), label="Borough", empty_label=None)
    registration_number = RegistrationNumberField(required=False)
    role = NamedChoice(queryset=RoleCategory.objects.all(), label="Role", required=False, empty_label="Choose a role")
    local_role = NamedChoice(
        queryset=LocalRole.objects.none(), label="Local role (if any)", required=False, empty_label="None"
    )
    agency_name = forms.CharField(
        label="Agency",
        max_length=200,
        required=False,
        help_text="Start typing to choose from the agency register",
        widget=forms.TextInput(attrs={"list": "agency-register", "autocomplete": "off"}),
    )
    engagement_type = forms.ChoiceField(
        label="Engagement type", choices=[("", "Choose")] + list(EngagementType.choices), required=False
    )
    start_date = GovukDateField(label="Start date", required=False, help_text=DATE_HELP)
    end_date = GovukDateField(label="End date (if ended)", required=False, help_text=DATE_HELP)
    hourly_pay_rate = MoneyField(label="Hourly pay rate (£)", required=False)
    hourly_charge_rate = MoneyField(label="Hourly charge rate (£)", required=False)
    project_team = forms.BooleanField(label="Part of a project team", required=False)
    pqe_years = forms.DecimalField(
        label="Post-qualifying experience (years)",
        max_digits=4,
        decimal_places=1,
        min_value=0,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "govuk-input--width-3"}),
    )
    previous_employer = NamedChoice(
        queryset=Borough.objects.none(),
        label="Last permanent employer, if a London borough",
        required=False,
        empty_label="None or not known",
    )
    left_previous_on = GovukDateField(label="Left that post on", required=False, help_text=DATE_HELP)
    reference_received = forms.TypedChoiceField(
        label="References received before the start",
        choices=YES_NO_UNKNOWN,
        coerce=lambda v: v == "yes",
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    notice_period_weeks = forms.IntegerField(
        label="Notice period (weeks)",
        min_value=0,
        max_value=52,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-3"}),
    )

    def __init__(self, *args, ret: Return, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["borough"].queryset = ret.unit.boroughs.all()
        self.fields["local_role"].queryset = LocalRole.objects.filter(region=ret.period.region)
        self.fields["previous_employer"].queryset = Borough.objects.filter(region=ret.period.region)
        if not self.fields["local_role"].queryset.exists():
            del self.fields["local_role"]

    @staticmethod
    def initial_for(row: Assignment | None, revision: int) -> dict:
        initial = {"revision": revision}
        if row is not None:
            for name in Assignment.INPUT_FIELDS:
                initial[name] = getattr(row, name)
            rr = row.reference_received
            initial["reference_received"] = "" if rr is None else ("yes" if rr else "no")
        return initial

    def values(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "revision"}
        data.setdefault("local_role", None)
        return data


class LeaverForm(RevisionForm):
    """One permanent leaver for the leavers register. Every field is needed; the service checks the rest (the
    leaving date's range, a repeat) for the page, the API and the spreadsheet alike."""

    borough = NamedChoice(
        queryset=Borough.objects.none(),
        label="Borough they left",
        empty_label=None,
        error_messages={"required": "Choose the borough they left"},
    )
    registration_number = RegistrationNumberField(
        error_messages={"required": "Enter the Social Work England registration number"}
    )
    leaving_date = GovukDateField(
        label="Last day in the permanent post",
        help_text=DATE_HELP,
        error_messages={"required": "Enter the date they left"},
    )
    role = NamedChoice(
        queryset=RoleCategory.objects.all(),
        label="Core role they left",
        empty_label="Choose a role",
        error_messages={"required": "Choose the core role they left"},
    )

    def __init__(self, *args, ret: Return, **kwargs):
        super().__init__(*args, **kwargs)
        boroughs = ret.unit.boroughs.all()
        self.fields["borough"].queryset = boroughs
        if len(boroughs) == 1:  # a unit of one borough is not asked
            del self.fields["borough"]

    def values(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "revision"}


class EndAssignmentForm(RevisionForm):
    end_date = GovukDateField(
        label="Last day of the assignment", help_text=DATE_HELP, error_messages={"required": "Enter the end date"}
    )


class WorkforceForm(forms.Form):
    """The aggregate section as one form: a group of figures per role, and the return-wide figures."""

    def __init__(self, *args, ret: Return, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(ret.workforce.select_related("role"))
        labels = WorkforceLine.FIGURE_LABELS
        for line in self.lines:
            for name in WorkforceLine.FIGURES:
                decimal = name.endswith("fte")
                field_cls = forms.DecimalField if decimal else forms.IntegerField
                extra = {"max_digits": 7, "decimal_places": 2} if decimal else {}
                self.fields[f"{line.role_id}-{name}"] = field_cls(
                    label=f"{labels[name]}",
                    required=False,
                    min_value=0,
                    initial=getattr(line, name),
                    widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "govuk-input--width-4"}),
                    **extra,
                )
        for month in (1, 2, 3):
            self.fields[f"agency_spend_month_{month}"] = MoneyField(
                label=f"Agency spend in month {month} of the quarter (£)",
                required=False,
                money_options=SPEND,
                initial=getattr(ret, f"agency_spend_month_{month}"),
            )
        self.fields["project_teams"] = forms.IntegerField(
            label="Agency project teams working in the quarter",
            required=False,
            min_value=0,
            initial=ret.project_teams,
            widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-3"}),
        )
        self.fields["revision"] = forms.IntegerField(widget=forms.HiddenInput, initial=ret.revision)

    def groups(self):
        """(role, bound fields) per role, for a fieldset each."""
        return [(line.role, [self[f"{line.role_id}-{name}"] for name in WorkforceLine.FIGURES]) for line in self.lines]

    def totals_fields(self):
        return [self[f"agency_spend_month_{m}"] for m in (1, 2, 3)] + [self["project_teams"]]

    def lines_data(self) -> dict[int, dict]:
        return {
            line.role_id: {name: self.cleaned_data.get(f"{line.role_id}-{name}") for name in WorkforceLine.FIGURES}
            for line in self.lines
        }

    def totals_data(self) -> dict:
        names = ["agency_spend_month_1", "agency_spend_month_2", "agency_spend_month_3", "project_teams"]
        return {name: self.cleaned_data.get(name) for name in names}


class UploadForm(RevisionForm):
    workbook = forms.FileField(
        label="The completed template (.xlsx)", error_messages={"required": "Choose the workbook to upload"}
    )
    mode = forms.ChoiceField(
        label="What should the upload do?",
        choices=[
            ("merge", "Merge: update rows with the same registration number and start date, add the others"),
            ("replace", "Replace: the return's rows become exactly the rows in the workbook"),
        ],
        widget=forms.RadioSelect,
        initial="merge",
        error_messages={"required": "Choose merge or replace"},
    )


class ExplanationForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput)
    text = forms.CharField(
        label="Your explanation",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write an explanation of the query"},
    )


class CommentForm(forms.Form):
    comment = forms.CharField(
        label="Comment",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Write what the borough needs to know"},
    )


class OptionalCommentForm(forms.Form):
    comment = forms.CharField(
        label="Comment (optional)", max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class RowBreachForm(forms.Form):
    reason = forms.CharField(
        label="Why was this rate agreed?",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Give the reason for agreeing the rate"},
    )
    signed_by_title = forms.CharField(
        label="Your job title",
        max_length=120,
        help_text="Normally the Director of Children's Services",
        error_messages={"required": "Enter your job title"},
    )
    chief_executive = forms.CharField(
        label="Chief Executive who agreed",
        max_length=150,
        error_messages={"required": "Enter the Chief Executive's name"},
    )
    signed_on = AgreedOnField()


class ExceptionForm(RowBreachForm):
    """The agreement of the DCS and Chief Executive to break a statutory rule for one assignment."""

    reason = forms.CharField(
        label="Why did they agree?",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Give the reason they agreed"},
    )


class ReturnFilterForm(forms.Form):
    """Narrow the returns list by quarter, status and unit, from the choices the user may see."""

    period = forms.ModelChoiceField(queryset=None, required=False, empty_label="All quarters", label="Quarter")
    status = forms.ChoiceField(required=False, label="Status")
    unit = forms.ModelChoiceField(queryset=None, required=False, empty_label="All units", label="Reporting unit")

    def __init__(self, *args, periods, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].queryset = periods
        self.fields["period"].label_from_instance = lambda p: f"{p.label} ({p.region})"
        self.fields["status"].choices = [("", "All statuses"), *Return.Status.choices]
        self.fields["unit"].queryset = units

    def apply(self, returns):
        if not self.is_valid():
            return returns
        data = self.cleaned_data
        if data.get("period"):
            returns = returns.filter(period=data["period"])
        if data.get("status"):
            returns = returns.filter(status=data["status"])
        if data.get("unit"):
            returns = returns.filter(unit=data["unit"])
        return returns


class PeriodForm(forms.Form):
    """Open a quarter in one of the regions the user runs (chosen only when they run several)."""

    starts_on = GovukDateField(
        label="First day of the quarter", help_text="1 April, 1 July, 1 October or 1 January. " + DATE_HELP
    )
    deadline = GovukDateField(label="Deadline for returns", help_text=DATE_HELP)
    locks_on = GovukDateField(label="Lock date", help_text="After this day drafts cannot be changed. " + DATE_HELP)
    cool_off_months = forms.IntegerField(
        label="London Pledge cool-off (months)",
        initial=6,
        help_text="After leaving a permanent post in another borough of the region.",
        min_value=1,
        max_value=24,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-2"}),
    )
    dfe_cool_off_months = forms.IntegerField(
        label="DfE cool-off (months)",
        initial=3,
        required=False,
        help_text="After leaving a permanent post in the borough itself or another of the region.",
        min_value=1,
        max_value=24,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-2"}),
    )

    def clean_dfe_cool_off_months(self):
        return self.cleaned_data.get("dfe_cool_off_months") or 3  # the statutory minimum when left blank

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {"region": ActingForField(regions, label="Region"), **self.fields}
        self.regions = self.fields["region"].options


class ExtendPeriodForm(forms.Form):
    deadline = GovukDateField(label="New deadline", help_text=DATE_HELP)
    locks_on = GovukDateField(label="New lock date", help_text=DATE_HELP)
