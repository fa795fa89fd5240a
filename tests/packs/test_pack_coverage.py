"""A pack states its coverage (cover, summary, README, email), and one built before its period locks is
marked provisional on every page of the PDF, in the workbook's README and in the email."""

import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from pledge_portal.accounts.roles import Role
from tests.dashboards.dashboard_data import more_boroughs, unit
from tests.packs.pack_data import build, workbook


@pytest.fixture(autouse=True)
def _media(private_media):
    return private_media


def _pdf_pages(pack) -> list[str]:
    with pack.pdf.open("rb") as f:
        pdf = f.read()
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return text.decode().split("\f")[:-1]


def test_a_pack_built_before_the_lock_is_provisional_and_states_its_coverage(
    data, django_capture_on_commit_callbacks, mailoutbox
):
    unit(more_boroughs(data, 1)[0])  # a third unit, expected to report, with no return: 2 of 3 units
    data.period.locks_on = timezone.localdate() + timedelta(days=10)
    data.period.save(update_fields=["locks_on"])

    pack, _ = build(data, django_capture_on_commit_callbacks)
    assert pack.provisional and pack.coverage == "2 of 3 units"

    pages = _pdf_pages(pack)
    assert len(pages) == pack.pages
    for number, page in enumerate(pages, start=1):
        assert "PROVISIONAL: built before the period locked" in page, f"page {number}"
    cover = " ".join(pages[0].split())
    assert "Coverage: built from 2 of 3 units expected to report for 2026-27 Q2" in cover
    summary = next(" ".join(p.split()) for p in pages[2:] if "Summary" in p)
    assert "Coverage: built from 2 of 3 units" in summary and "Not every expected unit is in" in summary

    readme = {row[0]: row[1] for row in workbook(pack)["README"].iter_rows(values_only=True) if row[0]}
    assert readme["Status"].startswith("PROVISIONAL")
    assert "2 of 3 units" in readme["Coverage"]

    body = mailoutbox[0].body
    assert "Coverage: built from 2 of 3 units expected to report" in body
    assert "PROVISIONAL: this pack was built before the period locked" in body


def test_a_pack_built_after_the_lock_is_final(data, django_capture_on_commit_callbacks, mailoutbox):
    assert data.period.is_locked(timezone.localdate())
    pack, _ = build(data, django_capture_on_commit_callbacks, by=data.users[Role.REGIONAL_ANALYST])
    assert not pack.provisional and pack.coverage == "2 of 2 units"
    assert not any("PROVISIONAL" in page for page in _pdf_pages(pack))
    readme = {row[0]: row[1] for row in workbook(pack)["README"].iter_rows(values_only=True) if row[0]}
    assert readme["Status"].startswith("Final")
    assert "Coverage: built from 2 of 2 units" in mailoutbox[0].body and "PROVISIONAL" not in mailoutbox[0].body
