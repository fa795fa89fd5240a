"""The compliance packs' one form: which pack of a period to build."""

from django import forms

from boroughs.models import Borough


class PackRequestForm(forms.Form):
    """Which pack of a period to build: the regional pack, or one borough's."""

    borough = forms.ChoiceField(
        label="Which pack",
        required=False,
        help_text="The regional pack covers every borough; a borough's pack shows it against the region.",
    )

    def __init__(self, *args, region, **kwargs):
        super().__init__(*args, **kwargs)
        boroughs = Borough.objects.filter(region=region).order_by("name")
        self.fields["borough"].choices = [("", f"Regional pack: {region.name}")] + [
            (str(b.pk), b.name) for b in boroughs
        ]
        self.boroughs = {str(b.pk): b for b in boroughs}

    def clean_borough(self) -> Borough | None:
        value = self.cleaned_data.get("borough") or ""
        return self.boroughs.get(value) if value else None
