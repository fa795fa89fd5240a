"""Forms for references: the answers form built from a template version, and the request, proposal,
decline and upload forms. Every form renders with GOV.UK Frontend markup (pledge_portal.core.forms)."""

from datetime import date

from django import forms

from pledge_portal.core.forms import DATE_HELP, GovukDateField, RegistrationNumberField

from .answers import QUESTION_TYPES, AnswersInvalid, clean_answers, details_when
from .contacts import EMAIL_MAX, PHONE_MAX, ContactInvalid, clean_email, clean_phone
from .models import ReferenceTemplate

YES_NO = [("yes", "Yes"), ("no", "No")]
DETAILS_SUFFIX = "__details"


def _question_field(question: dict) -> forms.Field:
    kind, required = question["type"], question["required"]
    label = question["label"] if required else f"{question['label']} (optional)"
    options = {"label": label, "required": False, "help_text": question.get("hint", "")}
    # Whether an answer is required is decided by clean_answers, so every missing answer is reported at
    # once and a form and the API say the same thing.
    if kind == "date":
        return GovukDateField(**{**options, "help_text": " ".join(filter(None, [options["help_text"], DATE_HELP]))})
    if kind in ("choice", "rating"):
        return forms.ChoiceField(choices=[(c, c) for c in question["choices"]], widget=forms.RadioSelect, **options)
    if kind == "yes_no_details":
        return forms.ChoiceField(choices=YES_NO, widget=forms.RadioSelect, **options)
    if kind == "short_text":
        return forms.CharField(max_length=200, **options)
    if kind == "email":
        return forms.CharField(
            max_length=EMAIL_MAX,
            widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            **options,
        )
    if kind == "phone":
        return forms.CharField(
            max_length=PHONE_MAX, widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}), **options
        )
    return forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), **options)


class ReferenceAnswersForm(forms.Form):
    """One field per question of ``template`` (two for a yes/no question with details), grouped by
    section. ``answers()`` gives the checked answers in stored form once the form is valid."""

    def __init__(self, template: ReferenceTemplate, *args, data=None, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.template = template
        for _, question in template.questions():
            self.fields[question["key"]] = _question_field(question)
            if question["type"] == "yes_no_details":
                self.fields[question["key"] + DETAILS_SUFFIX] = forms.CharField(
                    label="Details",
                    required=False,
                    widget=forms.Textarea(attrs={"rows": 3}),
                    help_text=f"Required if you answer {details_when(question)}",
                )
        self._answers: dict | None = None

    def sections(self) -> list[tuple[dict, list[forms.BoundField]]]:
        """Each section of the template with its bound fields, in order."""
        grouped: list[tuple[dict, list[forms.BoundField]]] = []
        for section in self.template.schema["sections"]:
            fields = []
            for question in section["questions"]:
                fields.append(self[question["key"]])
                if question["type"] == "yes_no_details":
                    fields.append(self[question["key"] + DETAILS_SUFFIX])
            grouped.append((section, fields))
        return grouped

    def _raw(self) -> dict:
        raw = {}
        for _, question in self.template.questions():
            key, value = question["key"], self.cleaned_data.get(question["key"])
            if question["type"] == "yes_no_details":
                raw[key] = {"answer": value or None, "details": self.cleaned_data.get(key + DETAILS_SUFFIX, "")}
            elif isinstance(value, date):
                raw[key] = value
            else:
                raw[key] = value or ""
        return raw

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self._answers = clean_answers(self.template, self._raw())
        except AnswersInvalid as exc:
            questions = {q["key"]: q for _, q in self.template.questions()}
            for key, message in exc.errors.items():
                question = questions.get(key, {})
                answered = question.get("type") == "yes_no_details" and self.cleaned_data.get(key) == details_when(
                    question
                )
                self.add_error(key + DETAILS_SUFFIX if answered else key, message)
        return cleaned

    def answers(self) -> dict:
        if self._answers is None:
            raise ValueError("answers() is read only from a valid form")
        return self._answers


# --- Requests, declines, proposals and uploads ------------------------------------------------------


class CandidateFields(forms.Form):
    registration_number = RegistrationNumberField(error_messages={"required": "Enter the registration number"})
    candidate_name = forms.CharField(
        label="Candidate's full name", max_length=150, error_messages={"required": "Enter the candidate's full name"}
    )


class CandidateContactFields(forms.Form):
    """The candidate's own email and phone, optional: the region compares them with referees' contacts, since a
    referee who shares a contact with the candidate is a known sign of a fabricated reference."""

    candidate_email = forms.CharField(
        label="Candidate's own email address (optional)",
        required=False,
        max_length=EMAIL_MAX,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    candidate_phone = forms.CharField(
        label="Candidate's own phone number (optional)",
        required=False,
        max_length=PHONE_MAX,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )

    def clean_candidate_email(self) -> str:
        value = self.cleaned_data.get("candidate_email", "")
        try:
            return clean_email(value, what="the candidate's email address") if value else ""
        except ContactInvalid as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_candidate_phone(self) -> str:
        value = self.cleaned_data.get("candidate_phone", "")
        try:
            return clean_phone(value, what="the candidate's phone number") if value else ""
        except ContactInvalid as exc:
            raise forms.ValidationError(str(exc)) from None


class BoroughChoice(forms.ModelChoiceField):
    def label_from_instance(self, borough) -> str:
        return borough.name


class BoroughChoiceMixin:
    """Offers the boroughs passed in (the directory), so the choice list comes from the app's selectors."""

    borough_field = "borough"

    def __init__(self, *args, boroughs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[self.borough_field].queryset = boroughs


class ReferenceRequestForm(BoroughChoiceMixin, CandidateFields, CandidateContactFields):
    borough = BoroughChoice(
        label="Borough that employed them",
        queryset=None,
        empty_label="Choose a borough",
        error_messages={"required": "Choose the borough that employed them"},
    )
    employed_from = GovukDateField(label="Employed from (if known)", required=False, help_text=DATE_HELP)
    employed_to = GovukDateField(label="Employed until (if known)", required=False, help_text=DATE_HELP)
    field_order = [
        "borough",
        "registration_number",
        "candidate_name",
        "candidate_email",
        "candidate_phone",
        "employed_from",
        "employed_to",
    ]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("employed_from"), cleaned.get("employed_to")
        if start and end and end < start:
            self.add_error("employed_to", "The end of employment must be the same as or after its start")
        return cleaned


class ProposalForm(BoroughChoiceMixin, CandidateFields):
    borough = BoroughChoice(
        label="Borough you are proposing them to",
        queryset=None,
        empty_label="Choose a borough",
        error_messages={"required": "Choose the borough you are proposing them to"},
    )
    field_order = ["borough", "registration_number", "candidate_name"]


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why are you declining?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The agency sees this. For example: they never worked here.",
        error_messages={"required": "Give the reason for declining"},
    )


class UploadDetailsForm(BoroughChoiceMixin, CandidateFields, CandidateContactFields):
    borough_field = "issuing_borough"
    issuing_borough = BoroughChoice(
        label="Borough that wrote the reference",
        queryset=None,
        empty_label="Choose a borough",
        error_messages={"required": "Choose the borough that wrote the reference"},
    )
    file = forms.FileField(
        label="The reference (PDF or Word)",
        help_text="A .pdf or .docx file of up to 10 MB, without macros. The portal checks its content, and that "
        "its name says the same.",
        error_messages={"required": "Choose the file to upload"},
    )
    field_order = [
        "issuing_borough",
        "registration_number",
        "candidate_name",
        "candidate_email",
        "candidate_phone",
        "file",
    ]


# --- Drafting a version of the template --------------------------------------------------------------


class TemplateDetailsForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200, error_messages={"required": "Enter the template's title"})
    notes = forms.CharField(
        label="What changed from the previous version",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Referees and readers see this. Needed before publishing.",
    )


class QuestionForm(forms.Form):
    """One question of a draft template, in order; questions in a row with the same section make a section."""

    section = forms.CharField(label="Section", max_length=200, required=False, help_text="For example, Employment")
    label = forms.CharField(label="Question", max_length=200, required=False)
    key = forms.CharField(
        label="Key (optional)",
        max_length=60,
        required=False,
        help_text="Keep an existing question's key so answers compare across versions; a new one is made from "
        "the question",
    )
    type = forms.ChoiceField(label="Kind of answer", choices=list(QUESTION_TYPES.items()), required=False)
    required = forms.BooleanField(label="The referee must answer it", required=False)
    choices = forms.CharField(
        label="Options, one a line",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For “One of a list” and “Rating”",
    )
    hint = forms.CharField(label="Hint (optional)", max_length=300, required=False)
    details_when = forms.ChoiceField(
        label="For a yes or no question, ask for details when the answer is",
        choices=YES_NO,
        initial="yes",
        required=False,
        widget=forms.RadioSelect,
    )


QuestionFormSet = forms.formset_factory(QuestionForm, extra=2, can_delete=True, max_num=200, absolute_max=200)


class CoolOffCheckForm(BoroughChoiceMixin, forms.Form):
    registration_number = RegistrationNumberField(error_messages={"required": "Enter the registration number"})
    borough = BoroughChoice(
        label="Borough you would propose them to",
        queryset=None,
        empty_label="Choose a borough",
        error_messages={"required": "Choose the borough"},
    )
    start = GovukDateField(
        label="Date they would start",
        help_text=DATE_HELP,
        error_messages={"required": "Enter the date they would start"},
    )
