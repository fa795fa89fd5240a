"""Forms of the dashboards: what a region sets (its bidding-up threshold)."""

from django import forms

from .services import check_bidding_up_threshold

BOTH_CHOICES = [("either", "Either is passed"), ("both", "Both are passed")]


class BiddingUpThresholdForm(forms.Form):
    rise_percent = forms.DecimalField(
        label="A rise of more than (%)",
        required=False,
        max_digits=5,
        decimal_places=2,
        help_text="Of the earlier assignment's rate. For example, 10",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5", "inputmode": "decimal"}),
        error_messages={"invalid": "Enter the percentage as a number, like 10"},
    )
    rise_pounds = forms.DecimalField(
        label="A rise of more than (£ an hour)",
        required=False,
        max_digits=6,
        decimal_places=2,
        help_text="For example, 3.50",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5", "inputmode": "decimal"}),
        error_messages={"invalid": "Enter the amount as a number of pounds, like 3.50"},
    )
    combine = forms.ChoiceField(
        label="When both are set, flag a rise when",
        choices=BOTH_CHOICES,
        initial="either",
        widget=forms.RadioSelect,
        required=False,
    )

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        for field, message in check_bidding_up_threshold(
            cleaned.get("rise_percent"), cleaned.get("rise_pounds")
        ).items():
            self.add_error(field, message)
        return cleaned
