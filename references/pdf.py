"""A reference completed in the portal, as a PDF a reader can file or print."""

from django.utils import timezone
from django.utils.text import slugify

from pledge_portal.core.pdf import render_pdf

from .answers import answer_sections
from .models import Reference


def reference_pdf(reference: Reference) -> bytes:
    return render_pdf(
        "references/reference_pdf.html",
        {
            "reference": reference,
            "sections": answer_sections(reference.template, reference.answers),
            "printed_at": timezone.localtime(),
        },
    )


def reference_pdf_filename(reference: Reference) -> str:
    """Names the candidate by registration number only, so a file name left in a downloads folder or an
    email attachment list does not carry their name."""
    number = slugify(reference.registration_number) or "candidate"
    return f"reference-{number}-{reference.pk}-{reference.created_at:%Y-%m-%d}.pdf"
