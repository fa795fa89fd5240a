"""Forms for inviting members and accepting invitations."""

from django import forms
from django.contrib.auth import password_validation

from .models import Organisation


class InviteMemberForm(forms.Form):
    email = forms.EmailField(label="Email address", help_text="Their work email address. We send the invitation there.")
    role = forms.ChoiceField(label="Role", widget=forms.RadioSelect)

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = organisation.role_choices()


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label="Full name", max_length=150)
    password1 = forms.CharField(
        label="Create a password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 12 characters. Avoid common words and passwords you use elsewhere.",
    )
    password2 = forms.CharField(
        label="Confirm password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The passwords do not match. Type the same password twice.")
        if p1:
            from .models import User

            try:
                password_validation.validate_password(p1, User(email=self.email, full_name=data.get("full_name", "")))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data
