"""Forms for the rate check, rate card drafting and breach sign-off."""

from django import forms
from django.utils import timezone

from pledge_portal.core.forms import DATE_HELP, ActingForField, AgreedOnField, GovukDateField, RegistrationNumberField

from .models import EngagementType, RateCard
from .money import MoneyError, parse_money


class MoneyField(forms.Field):
    """An hourly amount in pounds, read by the one money parser (so "£38.50" and "38,50" both work)."""

    widget = forms.TextInput

    def __init__(self, *, money_options: dict | None = None, **kwargs):
        super().__init__(**kwargs)
        self.money_options = money_options or {}  # parse_money's maximum, what and per, for other amounts
        self.widget.attrs.update(
            {"inputmode": "decimal", "spellcheck": "false", "maxlength": "20", "class": "govuk-input--width-5"}
        )

    def to_python(self, value):
        value = (value or "").strip() if isinstance(value, str) else value
        if value in self.empty_values:
            return None
        try:
            return parse_money(value, **self.money_options)
        except MoneyError as exc:
            raise forms.ValidationError(str(exc)) from exc


class RateCheckForm(forms.Form):
    role = forms.ChoiceField(label="Role", error_messages={"required": "Select the role"})
    engagement_type = forms.ChoiceField(
        label="How is the worker engaged?",
        choices=EngagementType.choices,
        widget=forms.RadioSelect,
        help_text="PAYE caps are lower: they leave out employer NI, holiday pay and the apprenticeship levy.",
        error_messages={"required": "Select how the worker is engaged"},
    )
    date = GovukDateField(
        label="Date",
        help_text="The assignment's start date, or the date of an extension. " + DATE_HELP,
        error_messages={"required": "Enter the date", "invalid": "Enter a real date, for example 27/03/2026"},
    )
    hourly_rate = MoneyField(
        label="Hourly pay rate (£)",
        help_text="The worker's pay per hour, like 38.50",
        error_messages={"required": "Enter the hourly rate"},
    )

    def __init__(self, *args, role_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", "Choose a role"), *role_choices]
        if not self.is_bound:
            self.initial.setdefault("date", timezone.localdate())


class RateCardDetailsForm(forms.ModelForm):
    effective_from = GovukDateField(
        label="Caps apply from", help_text=DATE_HELP, error_messages={"required": "Enter the date the caps apply from"}
    )
    effective_to = GovukDateField(
        label="Caps apply until (optional)",
        required=False,
        help_text="Leave blank while the card is current. " + DATE_HELP,
    )

    class Meta:
        model = RateCard
        fields = ["title", "effective_from", "effective_to", "evidence_note"]
        error_messages = {
            "title": {"required": "Enter a title, like “London caps 2027–28”"},
            "evidence_note": {"required": "Say where the figures come from and who agreed them"},
        }
        widgets = {"evidence_note": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, regions=None, **kwargs):
        """``regions``: when starting a card, the regions the user drafts for (asked only if several)."""
        super().__init__(*args, **kwargs)
        if regions is not None:
            self.fields = {"region": ActingForField(regions, label="Region"), **self.fields}

    def clean(self):
        data = super().clean()
        start, end = data.get("effective_from"), data.get("effective_to")
        if start and end and end < start:
            self.add_error("effective_to", "The end date must be the same as or after the start date.")
        return data


class RateCardCapsForm(forms.Form):
    """Two money fields per role: the card's caps."""

    def __init__(self, *args, roles: list[tuple[str, str]], initial_caps: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.roles = roles
        for code, name in roles:
            inclusive, paye = initial_caps.get(code, (None, None))
            self.fields[f"{code}__inclusive"] = MoneyField(
                label=f"{name}: limited company and umbrella cap (£/hour)", initial=inclusive, required=False
            )
            self.fields[f"{code}__paye"] = MoneyField(label=f"{name}: PAYE cap (£/hour)", initial=paye, required=False)

    def clean(self):
        data = super().clean()
        for code, name in self.roles:
            inclusive, paye = data.get(f"{code}__inclusive"), data.get(f"{code}__paye")
            if (inclusive is None) != (paye is None) and f"{code}__inclusive" not in self.errors:
                missing = f"{code}__paye" if paye is None else f"{code}__inclusive"
                self.add_error(missing, f"Enter both caps for {name}, or neither")
            elif inclusive is not None and paye is not None and paye > inclusive:
                self.add_error(
                    f"{code}__paye",
                    f"The PAYE cap for {name} must not be more than its limited company and umbrella cap",
                )
        return data

    def caps(self) -> dict:
        return {
            code: (self.cleaned_data[f"{code}__inclusive"], self.cleaned_data[f"{code}__paye"])
            for code, _ in self.roles
            if self.cleaned_data.get(f"{code}__inclusive") is not None
        }


class RateCardImportForm(RateCardDetailsForm):
    workbook = forms.FileField(
        label="Rate card workbook (.xlsx)",
        help_text="Use the layout of an exported rate card: a sheet called Caps.",
        error_messages={"required": "Choose the workbook to upload"},
    )


class BreachSignOffForm(forms.Form):
    registration_number = RegistrationNumberField(error_messages={"required": "Enter the registration number"})
    role = forms.ChoiceField(label="Role", error_messages={"required": "Select the role"})
    engagement_type = forms.ChoiceField(
        label="Engagement type",
        choices=EngagementType.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select how the worker is engaged"},
    )
    assignment_start = GovukDateField(
        label="Assignment start date",
        help_text=DATE_HELP,
        error_messages={"required": "Enter the assignment start date"},
    )
    hourly_rate = MoneyField(label="Hourly pay rate (£)", error_messages={"required": "Enter the hourly rate"})
    reason = forms.CharField(
        label="Why is the rate above the cap justified?",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Explain why the rate above the cap is justified"},
    )
    signed_by_title = forms.CharField(
        label="Your job title",
        max_length=120,
        help_text="For example, Director of Children's Services",
        error_messages={"required": "Enter your job title"},
    )
    chief_executive = forms.CharField(
        label="Chief Executive who agreed",
        max_length=150,
        error_messages={"required": "Enter the name of the Chief Executive who agreed"},
    )
    signed_on = AgreedOnField()

    def __init__(self, *args, role_choices, boroughs=None, **kwargs):
        """``boroughs``: those the user approves for (asked only if several)."""
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", "Choose a role"), *role_choices]
        if boroughs is not None:
            self.fields = {"borough": ActingForField(boroughs, label="Borough"), **self.fields}
