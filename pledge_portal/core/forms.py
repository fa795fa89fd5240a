from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting

from .identity import MAX_INPUT_LENGTH, RegistrationNumberError, parse_registration_number

DATE_HELP = "For example, 27/03/2026"


class GovukFormRenderer(TemplatesSetting):
    """Render every Django form with GOV.UK Frontend markup: error summary, labels, hints, error messages."""

    form_template_name = "forms/govuk_form.html"
    field_template_name = "forms/govuk_field.html"


class GovukDateField(forms.DateField):
    """A date typed as day/month/year (as people in the UK write it) or as ISO 2026-03-27."""

    input_formats = ["%d/%m/%Y", "%d %m %Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d %B %Y", "%d %b %Y"]
    widget = forms.DateInput(format="%d/%m/%Y", attrs={"class": "govuk-input--width-10", "spellcheck": "false"})
    default_error_messages = {"invalid": "Enter a real date, for example 27/03/2026"}


class RegistrationNumberField(forms.CharField):
    """A Social Work England registration number, read by ``identity.parse_registration_number``: the
    cleaned value is the stored spelling ("SW" and digits), or "" when left blank; anything else is refused
    with the parser's message. Room is left for the spaces and hidden characters the parser removes."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Social Work England registration number")
        kwargs.setdefault("max_length", MAX_INPUT_LENGTH)
        kwargs.setdefault("help_text", "SW followed by digits, like SW123456")
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "spellcheck": "false", "autocomplete": "off"}

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return text
        try:
            return parse_registration_number(text).number
        except RegistrationNumberError as exc:
            raise ValidationError(str(exc), code="invalid") from exc


class ActingForField(forms.ModelChoiceField):
    """Which of the user's own organisations (a region, a borough, an agency) they act for, from the choices the
    access policy gives. Asked only of someone who may act for several; with one, it is that one."""

    def __init__(self, queryset, **kwargs):
        self.options = list(queryset)
        kwargs.setdefault("error_messages", {"required": "Choose which one you are acting for"})
        super().__init__(queryset=queryset, empty_label="Choose" if len(self.options) != 1 else None, **kwargs)
        if len(self.options) == 1:
            self.widget = forms.HiddenInput()

    def clean(self, value):
        if value in self.empty_values and len(self.options) == 1:
            return self.options[0]
        return super().clean(value)


class AgreedOnField(GovukDateField):
    """The day the Director of Children's Services and the Chief Executive agreed pay above the cap: today when
    left blank, never in the future."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Date the Director of Children's Services and the Chief Executive agreed")
        kwargs.setdefault("help_text", "Leave blank for today. " + DATE_HELP)
        super().__init__(required=False, **kwargs)

    def clean(self, value):
        from django.utils import timezone

        agreed = super().clean(value) or timezone.localdate()
        if agreed > timezone.localdate():
            raise forms.ValidationError("The date they agreed must be today or in the past")
        return agreed
