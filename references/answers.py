"""Checking answers against a template version: what a referee must fill in, and in what form."""

from datetime import date

from .contacts import ContactInvalid, clean_email, clean_phone

TYPES = {"date", "choice", "rating", "text", "short_text", "yes_no_details", "email", "phone"}
SHORT_TEXT_MAX = 200
TEXT_MAX = 5000


def details_when(question: dict) -> str:
    """The answer ("yes" or "no") after which a yes/no question asks for details: "yes" ("Were there any
    concerns?") unless the question says "no" ("Would you employ them again?")."""
    return "no" if question.get("details_when") == "no" else "yes"


class AnswersInvalid(ValueError):
    """``errors`` maps question keys to a message that says how to put the answer right."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def clean_answers(template, raw: dict) -> dict:
    """The answers in stored form (dates as ISO strings, yes/no with details as a dict), or
    ``AnswersInvalid`` naming every question that needs attention. Keys the template does not ask are
    dropped, so a reference never holds more than its version asked for."""
    cleaned, errors = {}, {}
    for _, question in template.questions():
        key, kind, label = question["key"], question["type"], question["label"]
        value = raw.get(key)
        if kind == "yes_no_details":
            value = value or {}
            answer = value.get("answer") if isinstance(value, dict) else None
            details = (value.get("details") or "").strip() if isinstance(value, dict) else ""
            if answer not in ("yes", "no"):
                if question["required"]:
                    errors[key] = f"Select yes or no for “{label}”"
                continue
            if answer == details_when(question) and not details:
                errors[key] = f"Give details for “{label}”"
                continue
            cleaned[key] = {"answer": answer, "details": details[:TEXT_MAX]}
            continue
        value = value.strip() if isinstance(value, str) else value
        if value in (None, ""):
            if question["required"]:
                errors[key] = f"Answer “{label}”"
            continue
        if kind == "date":
            try:
                cleaned[key] = (value if isinstance(value, date) else date.fromisoformat(str(value))).isoformat()
            except ValueError:
                errors[key] = f"Enter “{label}” as a real date, like 2026-03-27"
        elif kind in ("email", "phone"):
            try:
                clean = clean_email if kind == "email" else clean_phone
                cleaned[key] = clean(value, what=f"“{label}”")
            except ContactInvalid as exc:
                errors[key] = str(exc)
        elif kind in ("choice", "rating"):
            if value not in question["choices"]:
                errors[key] = f"Choose one of the options for “{label}”"
            else:
                cleaned[key] = value
        else:
            limit = SHORT_TEXT_MAX if kind == "short_text" else TEXT_MAX
            if len(str(value)) > limit:
                errors[key] = f"“{label}” must be {limit} characters or fewer"
            else:
                cleaned[key] = str(value)
    employed_from, employed_to = cleaned.get("employed_from"), cleaned.get("employed_to")
    if employed_from and employed_to and employed_to < employed_from:
        errors["employed_to"] = "The end of employment must be the same as or after its start"
    if errors:
        raise AnswersInvalid(errors)
    return cleaned


def answer_sections(template, answers: dict) -> list[tuple[str, list[tuple[str, str]]]]:
    """The answers as a reader sees them: each section's title with (question, answer) pairs in the
    template's order, dates written out, yes/no with its details, and "Not answered" for a gap."""
    sections = []
    for section in template.schema["sections"]:
        rows = []
        for question in section["questions"]:
            value = answers.get(question["key"])
            if value in (None, "", {}):
                text = "Not answered"
            elif question["type"] == "yes_no_details":
                text = "Yes" if value.get("answer") == "yes" else "No"
                if value.get("details"):
                    text += f": {value['details']}"
            elif question["type"] == "date":
                text = f"{date.fromisoformat(value):%-d %B %Y}"
            else:
                text = str(value)
            rows.append((question["label"], text))
        sections.append((section["title"], rows))
    return sections


QUESTION_TYPES = {
    "short_text": "Short text",
    "text": "Longer text",
    "date": "Date",
    "choice": "One of a list",
    "rating": "Rating (one of a scale)",
    "yes_no_details": "Yes or no, with details",
    "email": "Email address (checked; compared in lower case)",
    "phone": "Phone number (checked; compared by its digits)",
}


def build_schema(questions: list[dict]) -> dict:
    """A template schema from an ordered list of questions (``section``, ``key``, ``label``, ``type``,
    ``required``, ``choices``, ``hint``, ``details_when``): consecutive questions with the same section title
    make a section. Raises ``AnswersInvalid`` naming each question that cannot be asked as written."""
    from django.utils.text import slugify

    errors: dict[str, str] = {}
    sections: list[dict] = []
    keys: set[str] = set()
    for number, raw in enumerate(questions, start=1):
        label = (raw.get("label") or "").strip()
        key = slugify(raw.get("key") or label).replace("-", "_")[:60]
        kind = raw.get("type")
        where = f"question {number}"
        if not label or not key:
            errors[where] = "Write the question"
            continue
        if key in keys:
            errors[where] = f"“{key}” is the key of another question: give this one its own"
            continue
        if kind not in TYPES:
            errors[where] = "Choose what kind of answer the question takes"
            continue
        question = {"key": key, "label": label[:200], "type": kind, "required": bool(raw.get("required"))}
        question["hint"] = (raw.get("hint") or "").strip()[:300]
        if kind in ("choice", "rating"):
            choices = [c.strip()[:100] for c in (raw.get("choices") or "").splitlines() if c.strip()][:20]
            if len(choices) < 2:
                errors[where] = f"Give “{label[:50]}” at least two options, one a line"
                continue
            question["choices"] = choices
        if kind == "yes_no_details" and raw.get("details_when") == "no":
            question["details_when"] = "no"
        keys.add(key)
        title = (raw.get("section") or "").strip()[:200] or "Questions"
        if not sections or sections[-1]["title"] != title:
            sections.append(
                {"key": slugify(title).replace("-", "_")[:60] or f"section_{number}", "title": title, "questions": []}
            )
        sections[-1]["questions"].append(question)
    if not sections and not errors:
        errors["questions"] = "A template needs at least one question"
    if errors:
        raise AnswersInvalid(errors)
    return {"sections": sections}


def questions_of(schema: dict) -> list[dict]:
    """The editable list of a schema's questions, the inverse of ``build_schema``."""
    return [
        {
            "section": section["title"],
            "key": q["key"],
            "label": q["label"],
            "type": q["type"],
            "required": q.get("required", False),
            "choices": "\n".join(q.get("choices", [])),
            "hint": q.get("hint", ""),
            "details_when": q.get("details_when", "yes"),
        }
        for section in schema["sections"]
        for q in section["questions"]
    ]
