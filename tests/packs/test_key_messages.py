"""The pack opens with its key messages: coverage, the quarter against the previous one and the same one last
year on the same units, red/amber/green per borough on thresholds the region sets (written into the method
note), and what changed since the last pack of the period."""

import subprocess
from decimal import Decimal

import pytest

from dashboards import figures
from dashboards.models import RagThreshold
from packs.content import regional_pack
from pledge_portal.accounts.roles import Role
from returns import services
from tests.packs.pack_data import build


@pytest.fixture(autouse=True)
def _media(private_media):
    return private_media


def _section(pack, slug):
    return next(s for s in pack.sections if s.slug == slug)


def test_thresholds_are_the_regions_or_the_defaults_and_the_method_note_says_which(data):
    # The borough: 5 rows, 3 over the cap, 2 of them unsigned (60.0%), 2 cool-off flags, 1 PQE flag, 25.0%.
    pack = regional_pack(data.period, data_version="test")
    assert pack.sections[0].title == "Key messages"
    rag = {row[0]: row for row in _section(pack, "key-messages").tables[1].rows}
    assert rag[data.borough.name][1] == "Red"  # 3 of 5 rows over the cap: 60.0%, red at 15 by default
    assert rag[data.msp_borough.name][1] == "Amber"  # agency share 20.0%: amber at 15 by default
    method = " ".join(_section(pack, "method").paragraphs)
    assert "Agency share of the workforce (%): amber at 15, red at 25 (the portal's default" in method

    RagThreshold.objects.create(region=data.region, measure="agency_share", amber_at=Decimal(30), red_at=Decimal(40))
    for measure in ("unsigned_breaches", "breach_rate", "cool_off", "low_pqe"):
        RagThreshold.objects.create(region=data.region, measure=measure, amber_at=Decimal(90), red_at=Decimal(99))
    pack = regional_pack(data.period, data_version="test")
    rag = {row[0]: row for row in _section(pack, "key-messages").tables[1].rows}
    assert rag[data.borough.name][1] == "Green" and rag[data.msp_borough.name][1] == "Green"
    assert "Agency share of the workforce (%): amber at 30, red at 40 (set by the region)" in " ".join(
        _section(pack, "method").paragraphs
    )


def test_headline_figures_are_compared_on_the_same_units(data):
    pack = regional_pack(data.period, data_version="test")
    comparison = _section(pack, "key-messages").tables[0]
    # Q1 has only the borough's return: Q2 is compared with it on the borough alone (5 rows, not 6).
    rows = {row[0]: row[1:] for row in comparison.rows}
    assert rows["Assignments (rows)"] == ["1", "5", "+4"]
    assert "Compared on the 1 unit with an accepted return for both 2026-27 Q1 (1 of 2 units)" in comparison.note
    assert "No unit has an accepted return for both 2025-26 Q2 and 2026-27 Q2" in comparison.note


def test_the_next_version_says_what_changed_since_the_last(data, django_capture_on_commit_callbacks):
    first, _ = build(data, django_capture_on_commit_callbacks)
    assert first.summary["headline"]["rows"] == "6"
    assert first.summary["rag"][data.borough.name] == "Red"

    services.reopen_return(ret=data.built.ret, by=data.users[Role.REGIONAL_ANALYST], comment="A rate was wrong")
    second, _ = build(data, django_capture_on_commit_callbacks)
    assert second.version == 2
    with second.pdf.open("rb") as f:
        text = subprocess.run(["pdftotext", "-", "-"], input=f.read(), capture_output=True, check=True).stdout.decode()
    key = " ".join(next(p for p in text.split("\f") if "Key messages" in p and "Since the last pack" in p).split())
    assert "Coverage: 2 of 2 units in version 1, now 1 of 2 units." in key
    assert "Assignments (rows): 6 in version 1, now 1." in key
    assert f"{data.borough.name}: Red in version 1, now No return." in key


def test_the_first_pack_says_so(data):
    pack = regional_pack(data.period, data_version="test")
    assert "Since the last pack: This is the first pack for this period." in _section(pack, "key-messages").paragraphs


def test_figures_rag_grades_at_the_thresholds():
    threshold = figures.Threshold("cool_off", "Cool-off", Decimal(1), Decimal(3), False)
    assert [threshold.grade(v) for v in (None, 0, 1, 2, 3, 7)] == ["No return", "Green", "Amber", "Amber", "Red", "Red"]


def test_the_key_messages_of_33_boroughs_fit_one_page(data, django_capture_on_commit_callbacks):
    from tests.dashboards.dashboard_data import Q2, Row, accepted_return, more_boroughs

    for borough in more_boroughs(data, 31):
        accepted_return(data, borough, Q2, [Row("40.00")], workforce={"social-worker": ("2", "8")})
    pack, _ = build(data, django_capture_on_commit_callbacks)
    with pack.pdf.open("rb") as f:
        text = subprocess.run(["pdftotext", "-", "-"], input=f.read(), capture_output=True, check=True).stdout.decode()
    pages = text.split("\f")
    first = next(i for i, page in enumerate(pages) if "Key messages" in page and "Since the last pack" in page)
    assert "Own MSP Borough" in pages[first]  # the last borough of the table, worst first then by name
    assert "Summary" in pages[first + 1].split("Coverage")[0]
