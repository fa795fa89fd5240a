from django import forms


class AuditFilterForm(forms.Form):
    action = forms.CharField(
        label="Action starts with", required=False, max_length=80, help_text="For example member. or return.submitted"
    )
    actor = forms.CharField(label="Who (email contains)", required=False, max_length=254)
    organisation = forms.SlugField(label="Organisation (slug)", required=False)
    since = forms.DateField(
        label="From date",
        required=False,
        help_text="For example 2026-10-01",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.DateField(label="To date", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "The end date must be the same as or after the start date.")
        return data

    def filters(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v}
