"""API fields shared by the apps' serializers."""

from rest_framework import serializers

from .identity import MAX_INPUT_LENGTH, RegistrationNumberError, parse_registration_number


class RegistrationNumberField(serializers.CharField):
    """A Social Work England registration number, read by ``identity.parse_registration_number``: the
    validated value is the stored spelling ("SW" and digits), or "" when blank is allowed and sent."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", MAX_INPUT_LENGTH)
        kwargs.setdefault("help_text", "The Social Work England registration number: SW followed by digits")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        if text == "":
            return text
        try:
            return parse_registration_number(text).number
        except RegistrationNumberError as exc:
            raise serializers.ValidationError(str(exc), code="invalid") from exc


# For a borough sent by its GSS code: DRF's own messages repeat the value sent, whatever its length.
GSS_CODE_ERRORS = {
    "does_not_exist": "No borough has that GSS code; send one like E09000007.",
    "invalid": "Send a borough's GSS code, like E09000007.",
}
