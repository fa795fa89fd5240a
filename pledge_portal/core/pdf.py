"""PDFs from Django templates with WeasyPrint. The document never fetches anything: styles are in the
template, and any URL in it (an image, a stylesheet, a font) is refused rather than followed, so a value
typed by a user cannot make the server request another address."""

from django.template.loader import render_to_string


class PdfFetchRefused(ValueError):
    pass


def _refuse_fetch(url: str, *args, **kwargs):
    raise PdfFetchRefused(f"PDFs do not load external resources: {url[:80]}")


def render_pdf(template_name: str, context: dict, *, request=None, **options) -> bytes:
    """The template rendered to PDF bytes (A4; the template sets its own @page rules). ``options`` go to
    WeasyPrint's ``write_pdf`` (e.g. ``pdf_tags=True`` for a tagged, accessible PDF)."""
    return render_pdf_with_pages(template_name, context, request=request, **options)[0]


def render_pdf_with_pages(template_name: str, context: dict, *, request=None, **options) -> tuple[bytes, int]:
    """As ``render_pdf``, with the number of pages laid out."""
    from weasyprint import HTML  # imported here: it loads Pango, which pages without PDFs do not need

    html = render_to_string(template_name, context, request=request)
    document = HTML(string=html, url_fetcher=_refuse_fetch, base_url=None).render(**options)
    return document.write_pdf(**options), len(document.pages)
