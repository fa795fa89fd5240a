"""The people and data a load test needs, made in its throwaway database: ``build()`` writes ``world.json``.

- London's authorities and the synthetic national history (``history.synthetic``; ``years`` of it, at ``scale``);
- a quarter open for returns in each region a borough lead belongs to (the one after the history's last);
- one borough lead (submitter) per reporting unit: London's 33 first, then other regions' units, each with a
  draft return for the open quarter and its template workbook holding ``rows`` rows drawn like the history's
  (so the check finds what it finds at national scale), written beside ``world.json``; the draft itself is
  left empty, so the first upload really loads every row;
- readers: steering group members of London (the regional dashboard), users of London boroughs (their
  borough's dashboard) and users of the agencies with most rows (their agency's), one account each;
- what the rate check is asked: core roles, engagement types and dates that London's cards cover.

Every account has the same password; its hash is computed once (PBKDF2 on purpose costs a third of a second).
None of the roles used needs a two-factor code: those that do (approvers, analysts, platform admins) are not
part of the deadline-day journeys measured here.
"""

import json
import multiprocessing
import os
import secrets
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

LONDON = "E12000007"
EMAIL_DOMAIN = "load.pledge.test"  # reserved .test domain: no email can reach anyone


def build(*, out: Path, leads: int, readers: int, rows: int, years: int, scale: float, progress=print) -> dict:
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    from history.synthetic import generate

    started = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_authorities", verbosity=0)
    progress(f"migrated and loaded the authorities in {time.monotonic() - started:.0f} s")
    progress(f"making {years} year(s) of synthetic national history (scale {scale:g})...")
    summary = generate(years=years, scale=scale, seed=1)
    progress(
        f"made {summary.rows:,} rows in {summary.returns:,} returns of {summary.authorities} authorities "
        f"in {summary.seconds:.0f} s"
    )
    password = secrets.token_urlsafe(16)
    password_hash = make_password(password)
    world = {
        "password": password,
        "leads": _leads(out, leads, rows, password_hash, progress),
        "readers": _readers(readers, password_hash),
        "rates": _rate_questions(),
    }
    progress(f"accounts and workbooks made; {time.monotonic() - started:.0f} s so far")
    (out / "world.json").write_text(json.dumps(world, indent=1))
    return world


def _user(email: str, name: str, password_hash: str, organisation, role):
    from allauth.account.models import EmailAddress

    from pledge_portal.accounts.models import Membership, User

    user = User.objects.create(email=email, full_name=name, password=password_hash)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


def _open_period(region, opened_by):
    """The quarter after the region's last one, open now (deadline day is within it)."""
    from django.utils import timezone

    from returns.models import ReportingPeriod
    from returns.services import _quarter_end

    today = timezone.localdate()
    last = ReportingPeriod.objects.filter(region=region).order_by("-starts_on").first()
    starts_on = _quarter_end(last.starts_on) + timedelta(days=1)
    return ReportingPeriod.objects.create(
        region=region,
        starts_on=starts_on,
        ends_on=_quarter_end(starts_on),
        opens_on=min(today, _quarter_end(starts_on) + timedelta(days=1)),
        deadline=today + timedelta(days=1),
        locks_on=today + timedelta(days=30),
        opened_by=opened_by,
    )


def _leads(out: Path, count: int, rows: int, password_hash: str, progress) -> list[dict]:
    from django.db import connections

    from benchmarks.returns import _upload_rows
    from history.synthetic import synthetic_user
    from pledge_portal.accounts.roles import Role
    from returns.models import Assignment, ReportingUnit, Return

    units = list(ReportingUnit.objects.select_related("region").prefetch_related("boroughs__organisation"))
    units.sort(key=lambda u: (u.region.code != LONDON, u.region.code, u.pk))  # London's first
    if count > len(units):
        raise SystemExit(f"At most {len(units)} borough leads (one per reporting unit); {count} were asked for.")
    opener = synthetic_user()
    periods = {}
    leads = []
    progress(f"making {count} borough leads, each with a draft and a {rows}-row workbook...")
    for index, unit in enumerate(units[:count]):
        if unit.region_id not in periods:
            periods[unit.region_id] = _open_period(unit.region, opener)
        borough = unit.boroughs.all()[0]
        email = f"lead-{index}@{EMAIL_DOMAIN}"
        user = _user(email, f"Lead {index}", password_hash, borough.organisation, Role.BOROUGH_SUBMITTER)
        ret = Return.objects.create(unit=unit, period=periods[unit.region_id], created_by=user)
        made = _upload_rows(ret, borough, rows)
        for n, row in enumerate(made):  # workers new to the region: numbered apart for each lead
            if row.registration_number.startswith("SW95"):
                row.registration_number = f"SW7{index:03d}{n:04d}"
        Assignment.objects.bulk_create(made, batch_size=1000)
        leads.append({"email": email, "return": ret.pk, "workbook": f"lead-{index}.xlsx", "unit": str(unit)})
    # The workbooks are the portal's own templates of the filled drafts (a few seconds each, mostly openpyxl),
    # written by a process per core; then the drafts are emptied, so the first upload loads every row.
    connections.close_all()
    jobs = [(lead["return"], str(out / lead["workbook"])) for lead in leads]
    with multiprocessing.get_context("fork").Pool(max(1, min(os.cpu_count() or 1, 4))) as pool:
        pool.starmap(_write_template, jobs)
    Assignment.objects.filter(ret_id__in=[lead["return"] for lead in leads]).delete()
    return leads


def _write_template(return_id: int, path: str) -> None:
    from django.db import connections

    from returns.models import Return
    from returns.spreadsheets import template_workbook

    Path(path).write_bytes(template_workbook(Return.objects.get(pk=return_id)))
    connections.close_all()


def _readers(count: int, password_hash: str) -> list[dict]:
    from django.db.models import Count
    from django.urls import reverse

    from agencies.models import Agency
    from boroughs.models import Borough, Region
    from history.synthetic import USER_EMAIL
    from pledge_portal.accounts.roles import Role
    from returns.models import ReportingPeriod

    london = Region.objects.get(code=LONDON)
    quarters = [
        d.isoformat()
        for d in ReportingPeriod.objects.filter(region=london, opened_by__email=USER_EMAIL)
        .order_by("starts_on")
        .values_list("starts_on", flat=True)
    ]
    boroughs = list(Borough.objects.filter(region=london).select_related("organisation").order_by("name"))
    agencies = list(
        Agency.objects.annotate(n=Count("assignments")).order_by("-n", "pk").select_related("organisation")[:30]
    )
    readers = []
    for index in range(count):
        kind = ("region", "borough", "agency")[index % 3]
        email = f"reader-{index}@{EMAIL_DOMAIN}"
        if kind == "region":
            _user(email, f"Reader {index}", password_hash, london.organisation, Role.STEERING_MEMBER)
            path = reverse("dashboards:region", kwargs={"pk": london.pk})
        elif kind == "borough":
            borough = boroughs[(index // 3) % len(boroughs)]
            _user(email, f"Reader {index}", password_hash, borough.organisation, Role.BOROUGH_SUBMITTER)
            path = reverse("dashboards:borough", kwargs={"pk": borough.pk})
        else:
            agency = agencies[(index // 3) % len(agencies)]
            _user(email, f"Reader {index}", password_hash, agency.organisation, Role.AGENCY_USER)
            path = reverse("dashboards:agency", kwargs={"pk": agency.pk})
        readers.append({"email": email, "kind": kind, "dashboard": path, "quarters": quarters})
    return readers


def _rate_questions() -> dict:
    """Roles, engagement types and dates the London cards answer (a date no card covers is a 400, which the
    load test would count as an error)."""
    from django.utils import timezone

    from rates.models import EngagementType, RoleCategory
    from rates.selectors import RateCheckError, check_rate

    roles = list(RoleCategory.objects.order_by("order").values_list("code", flat=True))
    today = timezone.localdate()
    dates = []
    for back in (0, 20, 45, 90, 150, 240, 330):
        day: date = today - timedelta(days=back)
        try:
            for role in roles:
                for engagement in EngagementType.values:
                    check_rate(role=role, engagement_type=engagement, on=day, hourly_rate=Decimal(40))
        except RateCheckError:
            continue
        dates.append(day.isoformat())
    if not dates:
        raise SystemExit("No London rate card covers the last year: the rate check would answer nothing.")
    return {"roles": roles, "engagement_types": list(EngagementType.values), "dates": dates}
