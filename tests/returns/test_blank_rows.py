"""A row saved with blank fields must never break a page, an export or the API.

The add-row page says fields may be left blank, and a draft may hold half-finished rows: every place that
shows rows renders one whatever optional field is empty (each alone, and all at once).
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from pledge_portal.accounts.roles import Role
from returns import services
from returns.models import Assignment, Snapshot

from .helpers import draft_return, good_row

# Every input a borough may leave blank: nullable fields become None, text fields "".
BLANKABLE = [
    f.name
    for f in Assignment._meta.fields
    if f.name in Assignment.INPUT_FIELDS and (f.null or getattr(f, "blank", False)) and f.name != "borough"
]


def _blank(field: str):
    return None if Assignment._meta.get_field(field).null else ""


def _row_values(side, blank: str) -> dict:
    values = good_row(side)
    fields = BLANKABLE if blank == "every field" else [blank]
    return {**values, **{f: _blank(f) for f in fields if f in values}}


@pytest.mark.parametrize("blank", [*BLANKABLE, "every field"])
def test_every_page_export_and_api_shows_a_row_with_blank_fields(blank, world, client_for):
    side = world.own
    submitter = side.users[Role.BOROUGH_SUBMITTER]
    ret = draft_return(side)
    row = services.save_assignment(
        ret=ret, by=submitter, expected_revision=ret.revision, values=_row_values(side, blank)
    )
    services._snapshot(ret, submitter)  # a kept version holding the row
    pages = {
        "return": reverse("returns:detail", args=[ret.pk]),
        "change the row": reverse("returns:row-edit", args=[ret.pk, row.pk]),
        "end the row": reverse("returns:row-end", args=[ret.pk, row.pk]),
        "remove the row": reverse("returns:row-remove", args=[ret.pk, row.pk]),
        "findings": reverse("returns:findings", args=[ret.pk]),
        "version": reverse("returns:snapshot", args=[ret.pk, 1]),
        "workbook": reverse("returns:template", args=[ret.pk]),
        "DfE CSV": reverse("returns:dfe-export", args=[ret.pk, side.borough.pk]),
        "API": reverse("api-return", args=[ret.pk]),
    }
    client = client_for(submitter)
    for what, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, f"{what} with {blank} blank: {response.status_code}"
    approver_user = side.users[Role.BOROUGH_APPROVER]
    approver = client_for(approver_user)
    breach = approver.get(reverse("returns:row-breach", args=[ret.pk, row.pk]))
    assert breach.status_code == 200, f"sign-off page with {blank} blank"
    # Changes since sign-off, both ways: the blank row as signed off, then filled in; and a filled-in row
    # signed off, then blanked.
    for before, after in ((_row_values(side, blank), good_row(side)), (good_row(side), _row_values(side, blank))):
        ret.refresh_from_db()
        row = services.save_assignment(
            ret=ret, by=submitter, expected_revision=ret.revision, values=before, assignment=row
        )
        services._snapshot(ret, submitter)
        Snapshot.objects.filter(ret=ret).update(signed_off_at=timezone.now(), signed_off_by=approver_user)
        ret.refresh_from_db()
        row = services.save_assignment(
            ret=ret, by=submitter, expected_revision=ret.revision, values=after, assignment=row
        )
        for what, url in {
            "changes": reverse("returns:changes", args=[ret.pk]),
            "changes CSV": reverse("returns:changes-csv", args=[ret.pk]),
            "changes API": reverse("api-return-changes", args=[ret.pk]),
        }.items():
            response = client.get(url)
            assert response.status_code == 200, f"{what} with {blank} blank: {response.status_code}"
        # The blanked or filled-in field is a change (a blank registration number or start date makes the row
        # another one: removed and added); a field the good row leaves blank too is none.
        assert (response.json()["rows_changed"] > 0) == (before != after)
    # The check runs over it and reports what is missing, rather than failing.
    services.request_validation(ret=ret, by=submitter)
    assert client.get(pages["findings"]).status_code == 200
