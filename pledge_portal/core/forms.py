from django.forms.renderers import TemplatesSetting


class GovukFormRenderer(TemplatesSetting):
    """Render every Django form with GOV.UK Frontend markup: error summary, labels, hints, error messages."""

    form_template_name = "forms/govuk_form.html"
    field_template_name = "forms/govuk_field.html"
