"""Compliance packs: asking for one, building it (called by the task), and failing it cleanly.

A pack is built by a background job and stored with a SHA-256 checksum of each file and the data version it
was read from. Asking again while nothing has changed reuses the pack; a double click or two analysts at
once start one build (the period row is locked while deciding, and a unique constraint backs it up). A
build that fails leaves no file behind and no READY pack: a pack becomes READY, with both files and their
checksums, in one update at the very end.
"""

import hashlib
import logging

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, Max, OuterRef
from django.utils import timezone
from django.utils.text import slugify

from boroughs.models import Borough
from dashboards import figures
from pledge_portal import access
from pledge_portal.audit import services as audit
from pledge_portal.jobs.services import start_task_run
from rates.table import fingerprint
from returns.models import ReportingPeriod, ReportingUnit, Return, Transition, ValidationRun
from returns.services import ReturnError

from .content import TREND_QUARTERS, borough_pack, regional_pack
from .models import CompliancePack

log = logging.getLogger(__name__)

# Goes up when the pack's contents or layout change, so a pack built by older code is not reused.
PACK_FORMAT = "2"


class PackError(ReturnError):
    """A refused request; the message tells the user what to do."""


def data_version(period: ReportingPeriod) -> str:
    """A short fingerprint of everything a pack of the period reads: the region's returns for the period and
    the trend's quarters (status, revision, acceptance, submissions, checks), the caps, reference
    requests made in the quarter, and its boroughs and reporting units. Six small queries."""
    start = figures.shift_quarters(period.starts_on, -TREND_QUARTERS)
    returns = Return.objects.filter(
        period__region=period.region_id, period__starts_on__gte=start, period__starts_on__lte=period.starts_on
    )
    # Locking makes the provisional pack final: the same data after the lock is a new version.
    parts: list = [PACK_FORMAT, period.pk, period.deadline, period.is_locked(timezone.localdate())]
    parts.append(list(returns.order_by("pk").values_list("pk", "status", "revision", "accepted_at", "submitted_at")))
    parts.append(
        ValidationRun.objects.filter(ret__in=returns, finished_at__isnull=False).aggregate(
            n=Count("pk"), last=Max("pk"), at=Max("finished_at")
        )
    )
    parts.append(Transition.objects.filter(ret__in=returns).aggregate(n=Count("pk"), last=Max("pk")))
    references = figures.reference_requests(figures.Scope(period.starts_on, period.starts_on, region=period.region))
    parts.append(references.aggregate(n=Count("pk"), last=Max("pk"), closed=Max("closed_at"), status=Max("status")))
    parts.append(list(Borough.objects.filter(region=period.region_id).order_by("pk").values_list("pk", "name")))
    parts.append(
        list(
            ReportingUnit.boroughs.through.objects.filter(reportingunit__region=period.region_id)
            .order_by("pk")
            .values_list("reportingunit_id", "borough_id")
        )
    )
    parts.append(fingerprint())  # the caps
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


@transaction.atomic
def request_pack(*, period: ReportingPeriod, by, borough: Borough | None = None) -> tuple[CompliancePack, bool]:
    """Queue a build of the period's regional pack (``borough`` None) or one borough's, unless a pack of the
    same data is already ready or being built: then that pack, and True. For the region's analysts and
    platform admins; ``by`` None is the schedule (a period has locked)."""
    # The schedule (``by`` None) acts for the region's team; a person, for the organisation the policy names.
    acting = (
        access.require(by, "pack.build", period, error=ReturnError) if by is not None else period.region.organisation
    )
    if borough is not None and borough.region_id != period.region_id:
        raise PackError(f"{borough.name} is not in {period.region.name}.")
    period = ReportingPeriod.objects.select_for_update().select_related("region").get(pk=period.pk)
    version = data_version(period)
    live = (
        CompliancePack.objects.filter(period=period, borough=borough, data_version=version)
        .exclude(status=CompliancePack.Status.FAILED)
        .select_related("task_run")
        .first()
    )
    if live is not None:
        run = live.task_run
        if not (live.status == CompliancePack.Status.BUILDING and run and (run.finished or run.abandoned)):
            return live, True
        # Its job ended, or was given up, without finishing the pack (the worker was lost, or a retry could not
        # run): record that, and build again.
        fail_pack(pack_id=live.pk, error=live.task_run.error or "The build stopped before it finished.")
    number = (CompliancePack.objects.filter(period=period, borough=borough).aggregate(m=Max("version"))["m"] or 0) + 1
    try:
        with transaction.atomic():
            pack = CompliancePack.objects.create(
                period=period, borough=borough, version=number, data_version=version, requested_by=by
            )
    except IntegrityError:  # asked for a moment ago by someone else
        live = CompliancePack.objects.filter(period=period, borough=borough, data_version=version).exclude(
            status=CompliancePack.Status.FAILED
        )
        return live.get(), True
    from .tasks import build_compliance_pack

    pack.task_run = start_task_run(
        task=build_compliance_pack,
        kind="returns.compliance_pack",
        action="pack.build",
        label=f"Building the {pack}",
        by=by,
        organisation=acting,
        parameters={"pack": pack.pk},
    )
    pack.save(update_fields=["task_run"])
    audit.record(
        by,
        "pack.requested",
        pack,
        organisation=acting,
        detail={"version": number, "data_version": version, "scheduled": by is None},
    )
    return pack, False


def file_name(pack: CompliancePack, extension: str) -> str:
    """What a download is called: region or borough, quarter, version."""
    quarter = figures.quarter_label(pack.period.starts_on).replace(" ", "-")
    return f"compliance-pack-{slugify(pack.subject)}-{quarter}-v{pack.version}.{extension}"


def _storage_name(pack: CompliancePack, extension: str) -> str:
    return f"compliance-packs/{pack.period.region_id}/{pack.period_id}/pack-{pack.pk}.{extension}"


def _store(pack: CompliancePack, files: dict[str, bytes]) -> dict[str, str]:
    """Save each file under the pack's own name (replacing any left by an earlier, crashed attempt); if one
    cannot be saved, remove the others. Returns the stored names."""
    stored: dict[str, str] = {}
    try:
        for extension, data in files.items():
            name = _storage_name(pack, extension)
            if default_storage.exists(name):
                default_storage.delete(name)
            stored[extension] = default_storage.save(name, ContentFile(data))
    except Exception:
        _remove(stored.values())
        raise
    return stored


def _remove(names) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:  # already gone; nothing else to undo
            log.warning("Could not remove %s", name, exc_info=True)


def build_pack(*, pack: CompliancePack, progress=None) -> CompliancePack:
    """Build the pack's PDF and workbook and mark it READY. Called by the task only; safe to run again: a
    ready pack is left alone, and files from an earlier attempt are replaced."""
    progress = progress or (lambda percent, message: None)
    pack = CompliancePack.objects.select_related("period__region", "borough").get(pk=pack.pk)
    if pack.status != CompliancePack.Status.BUILDING:
        return pack
    current = data_version(pack.period)
    if current != pack.data_version:  # the data changed between the request and the build: say so truly
        try:
            with transaction.atomic():
                CompliancePack.objects.filter(pk=pack.pk).update(data_version=current)
        except IntegrityError as exc:
            raise PackError("Another pack of the same data was asked for meanwhile; use that one.") from exc
        pack.data_version = current
    last = (
        CompliancePack.objects.filter(
            period=pack.period, borough=pack.borough, status=CompliancePack.Status.READY, version__lt=pack.version
        )
        .order_by("-version")
        .values_list("version", "summary")
        .first()
    )  # what the last pack of the period said, so this one can say what changed
    if pack.borough_id is None:
        content = regional_pack(pack.period, data_version=current, progress=progress, previous=last)
    else:
        content = borough_pack(pack.period, pack.borough, data_version=current, progress=progress, previous=last)
    from .excel import pack_workbook
    from .pdf import pack_pdf

    progress(70, "Writing the PDF")
    pdf, pages = pack_pdf(content)
    progress(85, "Writing the workbook")
    xlsx = pack_workbook(content)
    progress(95, "Storing the files")
    names = _store(pack, {"pdf": pdf, "xlsx": xlsx})
    try:
        with transaction.atomic():
            updated = CompliancePack.objects.filter(pk=pack.pk, status=CompliancePack.Status.BUILDING).update(
                status=CompliancePack.Status.READY,
                pdf=names["pdf"],
                xlsx=names["xlsx"],
                pdf_sha256=hashlib.sha256(pdf).hexdigest(),
                xlsx_sha256=hashlib.sha256(xlsx).hexdigest(),
                pdf_size=len(pdf),
                xlsx_size=len(xlsx),
                pages=pages,
                provisional=content.provisional,
                summary=content.summary,
                ready_at=timezone.now(),
                error="",
            )
            if not updated:
                raise PackError("The pack was marked failed while it was being built.")
            pack.refresh_from_db()
            audit.record(
                None,
                "pack.ready",
                pack,
                organisation=pack.period.region.organisation,
                detail={"version": pack.version, "pdf_sha256": pack.pdf_sha256, "xlsx_sha256": pack.xlsx_sha256},
            )
            from .tasks import tell_of_ready_pack

            transaction.on_commit(lambda: tell_of_ready_pack.delay(pack.pk), robust=True)
    except Exception:
        _remove(names.values())
        raise
    return pack


@transaction.atomic
def fail_pack(*, pack_id: int, error: str) -> None:
    """Record that a build failed for good: the pack is FAILED with the reason and keeps no files."""
    pack = CompliancePack.objects.select_for_update().select_related("period__region").get(pk=pack_id)
    if pack.status != CompliancePack.Status.BUILDING:
        return
    _remove(n for n in (pack.pdf.name, pack.xlsx.name) if n)
    pack.status, pack.error, pack.pdf, pack.xlsx = CompliancePack.Status.FAILED, error[:2000], "", ""
    pack.save(update_fields=["status", "error", "pdf", "xlsx"])
    audit.record(None, "pack.failed", pack, organisation=pack.period.region.organisation, detail={"error": error[:300]})


def record_download(*, pack: CompliancePack, by, kind: str, request=None) -> None:
    """Every download of a pack's file is audited, with the checksum of what was handed over."""
    audit.record(
        by,
        "pack.downloaded",
        pack,
        organisation=access.acting_for(by, "pack.download", pack),
        detail={"file": kind, "version": pack.version, "sha256": getattr(pack, f"{kind}_sha256")},
        request=request,
    )


def packs_after_lock(*, today=None) -> int:
    """The schedule: ask for the regional pack of every period that locked in the last week (by its date or
    by an analyst) and has none yet. Returns how many builds were asked for."""
    from datetime import timedelta

    today = today or timezone.localdate()
    recent = ReportingPeriod.objects.filter(locks_on__gte=today - timedelta(days=7), locks_on__lt=today)
    locked = ReportingPeriod.objects.filter(locked=True, locks_on__gte=today)
    asked = 0
    regional = CompliancePack.objects.filter(period=OuterRef("pk"), borough__isnull=True)
    for period in (recent | locked).filter(~Exists(regional)).select_related("region"):
        _, reused = request_pack(period=period, by=None)
        asked += not reused
    return asked
