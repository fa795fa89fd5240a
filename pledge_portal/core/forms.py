from django import forms
from django.forms.renderers import TemplatesSetting

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
