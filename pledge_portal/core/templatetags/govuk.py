"""Template helpers for GOV.UK Frontend markup."""

from django import template

register = template.Library()

_CLASSES = {
    "select": "govuk-select",
    "selectmultiple": "govuk-select",
    "textarea": "govuk-textarea",
    "checkbox": "govuk-checkboxes__input",
    "clearablefile": "govuk-file-upload",
    "file": "govuk-file-upload",
}


@register.filter
def govuk_widget(field):
    """Render a bound field's widget with GOV.UK classes and the ids of its hint and errors."""
    kind = field.widget_type
    css = _CLASSES.get(kind, "govuk-input")
    if field.errors and css != "govuk-checkboxes__input":
        css += f" {css}--error"
    if extra := field.field.widget.attrs.get("class"):
        css += f" {extra}"
    attrs = {"class": css, "placeholder": False}  # GOV.UK: hints go above the field, never inside it
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}-hint")
    if field.errors:
        described.append(f"{field.auto_id}-error")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)


@register.filter
def error_anchor(field) -> str:
    """Where the error summary should link for this field: the first option of a radio group."""
    if field.widget_type in ("radioselect", "checkboxselectmultiple"):
        return f"{field.auto_id}_0"
    return field.id_for_label or field.auto_id


@register.inclusion_tag("forms/error_summary.html")
def error_summary(*forms):
    """One GOV.UK error summary for every form on the page that has errors, in the order given."""
    return {"forms": [form for form in forms if form.errors]}
