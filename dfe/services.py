"""The DfE files: a borough's, made when asked for; the region's extract, asked for here and built by a background
job (``tasks.build_dfe_extract``), stored with a SHA-256 checksum and the data version it was read from. Asking
again while nothing has changed reuses the extract, as compliance packs do (``packs/services.py``). Every file
handed over is audited: they hold registration numbers."""

from __future__ import annotations

import hashlib
import logging

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone

from boroughs.models import Borough
from pledge_portal import access
from pledge_portal.audit import services as audit
from pledge_portal.jobs.services import start_task_run
from rates.models import BreachSignOff
from rates.table import fingerprint
from returns.models import QueryExplanation, ReportingPeriod, ReportingUnit, Return, StatutoryException, ValidationRun
from returns.services import ReturnError

from . import files
from .content import Content, build_content
from .models import DfeExtract

log = logging.getLogger(__name__)

# Goes up when the extract's layout or mapping changes, so an extract built by older code is not reused.
EXTRACT_FORMAT = "1"


class DfeError(ReturnError):
    """A refused request; the message tells the user what to do."""


def borough_file(*, period: ReportingPeriod, borough: Borough, by, kind: str, request=None) -> tuple[bytes, str]:
    """One borough's DfE return for the period as a workbook (``kind`` "xlsx") or its assignment-level sheet as
    CSV ("csv"), and the file's name. For the borough's own users and its region's roles; audited."""
    acting = access.require(by, "dfe.download", borough, error=DfeError)
    if borough.region_id != period.region_id:
        raise DfeError(f"{borough.name} is not in {period.region.name}.")
    content = build_content(period, borough=borough)
    data = files.workbook(content) if kind == "xlsx" else files.assignments_csv(content)
    audit.record(
        by,
        "dfe.return_downloaded",
        borough,
        organisation=acting,
        detail={"period": period.pk, "file": kind, "sha256": hashlib.sha256(data).hexdigest()},
        request=request,
    )
    return data, files.file_name(content, kind)


def data_version(period: ReportingPeriod) -> str:
    """A short fingerprint of everything the extract reads: the period's returns (status, revision), their
    checks and explanations, the region's breach sign-offs and agreements, its boroughs and units, and the
    caps. A handful of small queries."""
    returns = Return.objects.filter(period=period)
    boroughs = Borough.objects.filter(region=period.region_id)
    parts: list = [EXTRACT_FORMAT, period.pk, period.dfe_cool_off_months]
    parts.append(list(returns.order_by("pk").values_list("pk", "status", "revision", "updated_at")))
    parts.append(
        ValidationRun.objects.filter(ret__in=returns, finished_at__isnull=False).aggregate(
            n=Count("pk"), last=Max("pk")
        )
    )
    parts.append(QueryExplanation.objects.filter(ret__in=returns).aggregate(n=Count("pk"), at=Max("written_at")))
    parts.append(BreachSignOff.objects.filter(borough__in=boroughs).aggregate(n=Count("pk"), last=Max("pk")))
    parts.append(StatutoryException.objects.filter(borough__in=boroughs).aggregate(n=Count("pk"), last=Max("pk")))
    parts.append(list(boroughs.order_by("pk").values_list("pk", "name", "dfe_code")))
    parts.append(
        list(
            ReportingUnit.boroughs.through.objects.filter(reportingunit__region=period.region_id)
            .order_by("pk")
            .values_list("reportingunit_id", "borough_id")
        )
    )
    parts.append(fingerprint())
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


@transaction.atomic
def request_extract(*, period: ReportingPeriod, by) -> tuple[DfeExtract, bool]:
    """Queue a build of the period's regional extract, unless one of the same data is ready or being built:
    then that one, and True. For the region's analysts and platform admins."""
    acting = access.require(by, "dfe.extract_build", period, error=DfeError)
    period = ReportingPeriod.objects.select_for_update().select_related("region").get(pk=period.pk)
    version = data_version(period)
    live = (
        DfeExtract.objects.filter(period=period, data_version=version)
        .exclude(status=DfeExtract.Status.FAILED)
        .select_related("task_run")
        .first()
    )
    if live is not None:
        run = live.task_run
        if not (live.status == DfeExtract.Status.BUILDING and run and (run.finished or run.abandoned)):
            return live, True
        fail_extract(extract_id=live.pk, error=run.error or "The build stopped before it finished.")
    number = (DfeExtract.objects.filter(period=period).aggregate(m=Max("version"))["m"] or 0) + 1
    try:
        with transaction.atomic():
            extract = DfeExtract.objects.create(period=period, version=number, data_version=version, requested_by=by)
    except IntegrityError:  # asked for a moment ago by someone else
        return DfeExtract.objects.exclude(status=DfeExtract.Status.FAILED).get(
            period=period, data_version=version
        ), True
    from .tasks import build_dfe_extract

    extract.task_run = start_task_run(
        task=build_dfe_extract,
        kind="dfe.extract",
        action="dfe.extract_build",
        label=f"Building the {extract}",
        by=by,
        organisation=acting,
        parameters={"extract": extract.pk},
    )
    extract.save(update_fields=["task_run"])
    audit.record(by, "dfe.extract_requested", extract, organisation=acting, detail={"version": number})
    return extract, False


def _storage_name(extract: DfeExtract) -> str:
    return f"dfe-extracts/{extract.period.region_id}/{extract.period_id}/extract-{extract.pk}.xlsx"


def coverage_summary(content: Content) -> dict:
    return {
        "text": content.coverage_text,
        "accepted": content.accepted,
        "boroughs": [
            {"name": line.borough.name, "status": line.status, "accepted": line.accepted} for line in content.coverage
        ],
    }


def build_extract(*, extract: DfeExtract, progress=None) -> DfeExtract:
    """Build the extract's workbook and mark it READY. Called by the task only; safe to run again: a ready
    extract is left alone and a file from an earlier attempt is replaced."""
    progress = progress or (lambda percent, message: None)
    extract = DfeExtract.objects.select_related("period__region").get(pk=extract.pk)
    if extract.status != DfeExtract.Status.BUILDING:
        return extract
    current = data_version(extract.period)
    if current != extract.data_version:  # the data changed between the request and the build: say so truly
        try:
            with transaction.atomic():
                DfeExtract.objects.filter(pk=extract.pk).update(data_version=current)
        except IntegrityError as exc:
            raise DfeError("Another extract of the same data was asked for meanwhile; use that one.") from exc
    content = build_content(extract.period, progress=progress)
    progress(80, "Writing the workbook")
    data = files.workbook(content)
    progress(95, "Storing the file")
    name = _storage_name(extract)
    if default_storage.exists(name):
        default_storage.delete(name)
    stored = default_storage.save(name, ContentFile(data))
    try:
        with transaction.atomic():
            updated = DfeExtract.objects.filter(pk=extract.pk, status=DfeExtract.Status.BUILDING).update(
                status=DfeExtract.Status.READY,
                xlsx=stored,
                xlsx_sha256=hashlib.sha256(data).hexdigest(),
                xlsx_size=len(data),
                coverage=coverage_summary(content),
                ready_at=timezone.now(),
                error="",
            )
            if not updated:
                raise DfeError("The extract was marked failed while it was being built.")
            extract.refresh_from_db()
            audit.record(
                None,
                "dfe.extract_ready",
                extract,
                organisation=extract.period.region.organisation,
                detail={"version": extract.version, "sha256": extract.xlsx_sha256},
            )
    except Exception:
        default_storage.delete(stored)
        raise
    return extract


@transaction.atomic
def fail_extract(*, extract_id: int, error: str) -> None:
    """Record that a build failed for good: the extract is FAILED with the reason and keeps no file."""
    extract = DfeExtract.objects.select_for_update().select_related("period__region").get(pk=extract_id)
    if extract.status != DfeExtract.Status.BUILDING:
        return
    if extract.xlsx:
        default_storage.delete(extract.xlsx.name)
    extract.status, extract.error, extract.xlsx = DfeExtract.Status.FAILED, error[:2000], ""
    extract.save(update_fields=["status", "error", "xlsx"])
    audit.record(
        None,
        "dfe.extract_failed",
        extract,
        organisation=extract.period.region.organisation,
        detail={"error": error[:300]},
    )


def record_extract_download(*, extract: DfeExtract, by, request=None) -> None:
    """Every download of an extract is audited, with the checksum of what was handed over."""
    audit.record(
        by,
        "dfe.extract_downloaded",
        extract,
        organisation=access.acting_for(by, "dfe.extract_download", extract),
        detail={"version": extract.version, "sha256": extract.xlsx_sha256},
        request=request,
    )


def extract_file_name(extract: DfeExtract) -> str:
    from django.utils.text import slugify

    from dashboards.figures.scope import quarter_label

    quarter = slugify(quarter_label(extract.period.starts_on))
    return f"dfe-agency-extract-{slugify(extract.period.region.name)}-{quarter}-v{extract.version}.xlsx"
