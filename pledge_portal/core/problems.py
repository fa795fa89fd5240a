"""The problems found in a refused upload: the page lists the first ``SHOWN``, the whole list is a CSV.

An upload can be wrong in every cell, and a page that lists every problem grows with the file. So the
page shows the first ``SHOWN`` and offers the rest as a download. The list is kept in the cache, for the
person who uploaded and that upload only (the next one replaces it), for ``KEPT_SECONDS``: long enough to
correct the file, not longer, because the problems quote what was uploaded, registration numbers
included. It is not worth a table: it is written by one request and read by the next.

At most ``MAX_KEPT`` problems are kept; a reader that finds more counts the rest (``UploadRejected.more``)
and the list says how many were left out.
"""

from django.core.cache import cache
from django.http import Http404, HttpResponse

from .exports import write_csv

SHOWN = 100
MAX_KEPT = 50_000
KEPT_SECONDS = 30 * 60


def _key(user, upload: str) -> str:
    return f"upload-problems:{user.pk}:{upload}"


def keep(*, user, upload: str, problems: list[str], more: int = 0) -> dict:
    """Keep ``problems`` (and the count of ``more`` not listed) for ``user``'s download, and return what the
    page needs: ``problems`` (the first ``SHOWN``) and ``more`` (how many the page leaves out)."""
    kept = problems[:MAX_KEPT]
    cache.set(_key(user, upload), {"problems": kept, "more": more + len(problems) - len(kept)}, KEPT_SECONDS)
    return {"problems": problems[:SHOWN], "more": len(problems) - min(len(problems), SHOWN) + more}


def download(*, user, upload: str, filename: str) -> HttpResponse:
    """The kept list as a CSV attachment, numbered as on the page; 404 once it has expired."""
    kept = cache.get(_key(user, upload))
    if kept is None:
        raise Http404("The list of problems is no longer kept. Upload the file again to see it.")
    rows = [(number, problem) for number, problem in enumerate(kept["problems"], start=1)]
    if kept["more"]:
        rows.append(("", f"and {kept['more']:,} more problems, not listed: correct these and upload the file again."))
    response = HttpResponse(write_csv(rows, header=["Number", "Problem"]), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
