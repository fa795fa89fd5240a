"""The template's Workforce, Spend and Queries sheets: a return finished from the workbook alone."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from pledge_portal.accounts.roles import Role
from pledge_portal.audit.models import AuditEvent
from returns import services, spreadsheets
from returns.models import Finding, QueryExplanation, Return, ValidationRun
from returns.validation import run_validation

from .helpers import add_row, draft_return
from .test_spreadsheets import open_book, upload


@pytest.fixture
def submitter(world):
    return world.own.users[Role.BOROUGH_SUBMITTER]


@pytest.fixture
def ret(world):
    return draft_return(world.own)


def checked(ret: Return) -> Return:
    ret.refresh_from_db()
    run_validation(ValidationRun.objects.create(ret=ret, revision=ret.revision))
    ret.refresh_from_db()
    return ret


def with_sheets(content: bytes, **changes) -> bytes:
    """The workbook with ``changes``: a sheet name mapped to a function changing that sheet (or to None,
    which deletes the sheet)."""
    workbook = open_book(content)
    for title, change in changes.items():
        if change is None:
            del workbook[title]
        else:
            change(workbook[title])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def load(ret: Return, by, content: bytes) -> dict:
    ret.refresh_from_db()
    return spreadsheets.import_upload(
        ret=ret, by=by, uploaded_file=upload(content), mode="merge", expected_revision=ret.revision
    )


def row_of(ws, code: str) -> int:
    return next(row for row in range(2, ws.max_row + 1) if ws.cell(row=row, column=1).value == code)


def set_figures(code: str, **figures):
    columns = {name: index for index, name in enumerate(spreadsheets.section_sheets.FIGURE_HEADERS, start=3)}

    def change(ws):
        row = row_of(ws, code)
        for name, value in figures.items():
            ws.cell(row=row, column=columns[name], value=value)

    return change


def set_spend(**values):
    labels = spreadsheets.section_sheets.SPEND_FIELDS

    def change(ws):
        for name, value in values.items():
            row = next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=1).value == labels[name])
            ws.cell(row=row, column=2, value=value)

    return change


def test_template_holds_the_workforce_figures_spend_by_month_and_the_latest_checks_queries(world, ret, submitter):
    add_row(ret, world.own, registration_number="SW1", notice_period_weeks=8)  # a query
    ret = checked(ret)
    line = ret.workforce.select_related("role").get(role__code="social-worker")
    line.permanent_headcount, line.agency_fte = 40, Decimal("6.50")
    line.save()
    Return.objects.filter(pk=ret.pk).update(agency_spend_month_2=Decimal("12000.50"))
    query = Finding.objects.get(ret=ret, severity="query")
    QueryExplanation.objects.create(ret=ret, key=query.key, text="Agreed by the DCS.", written_by=submitter)
    ret.refresh_from_db()

    workbook = open_book(spreadsheets.template_workbook(ret))

    workforce = workbook["Workforce"]
    assert [c.value for c in workforce[1]] == spreadsheets.section_sheets.WORKFORCE_HEADERS
    row = row_of(workforce, "social-worker")
    assert workforce.cell(row=row, column=3).value == 40
    assert workforce.cell(row=row, column=6).value == 6.5
    assert workforce.cell(row=row, column=4).value is None  # blank stays blank
    assert workforce.max_row == ret.workforce.count() + 1
    spend = workbook["Spend"]
    assert [spend.cell(row=r, column=2).value for r in range(2, 6)] == [None, 12000.5, None, None]
    assert [spend.cell(row=r, column=3).value for r in range(2, 5)] == ["July 2026", "August 2026", "September 2026"]
    queries = workbook["Queries"]
    explained = [query.key, query.rule_code, query.position, query.message, "Agreed by the DCS."]
    assert [c.value for c in queries[2]] == explained


def test_an_msp_finishes_a_return_from_the_workbook_alone(world, ret, submitter):
    add_row(ret, world.own, registration_number="SW1", notice_period_weeks=8)
    ret = checked(ret)
    query = Finding.objects.get(ret=ret, severity="query")

    def explain(ws):
        ws.cell(row=2, column=5, value="  The worker gave eight weeks' notice to start on a fixed date. ")

    content = with_sheets(
        spreadsheets.template_workbook(ret),
        Workforce=set_figures("social-worker", permanent_headcount=41, permanent_fte=39.5, starters=3),
        Spend=set_spend(agency_spend_month_1="£12,500.00", agency_spend_month_3=9800, project_teams=2),
        Queries=explain,
    )
    counts = load(ret, submitter, content)

    assert counts["explained"] == 1 and counts["not_explained"] == 0 and counts["sections"] is True
    ret.refresh_from_db()
    line = ret.workforce.get(role__code="social-worker")
    assert (line.permanent_headcount, line.permanent_fte, line.starters) == (41, Decimal("39.50"), 3)
    assert (ret.agency_spend_month_1, ret.agency_spend_month_2, ret.agency_spend_month_3) == (
        Decimal("12500.00"),
        None,
        Decimal("9800.00"),
    )
    assert ret.project_teams == 2
    explanation = QueryExplanation.objects.get(ret=ret, key=query.key)
    assert explanation.text == "The worker gave eight weeks' notice to start on a fixed date."
    events = AuditEvent.objects.filter(target_id=str(ret.pk)).values_list("action", flat=True)
    assert {"return.rows_loaded", "return.workforce_changed", "return.query_explained"} <= set(events)
    assert "1 query explained" in spreadsheets.loaded_message(counts)


def test_figures_the_page_refuses_are_refused_by_cell_and_nothing_changes(world, ret, submitter):
    before = list(ret.workforce.values_list("role_id", "permanent_headcount", "agency_fte"))
    content = with_sheets(
        spreadsheets.template_workbook(ret),
        Workforce=set_figures("social-worker", permanent_headcount=12.5, agency_fte=-1),
        Spend=set_spend(agency_spend_month_1="lots", project_teams="two"),
    )
    with pytest.raises(spreadsheets.UploadRejected) as refused:
        load(ret, submitter, content)
    problems = " | ".join(refused.value.problems)
    row = row_of(open_book(content)["Workforce"], "social-worker")
    assert f"Workforce!C{row}: Enter a whole number." in problems
    assert f"Workforce!F{row}:" in problems
    assert "Spend!B2:" in problems and "Spend!B5: Enter a whole number." in problems
    ret.refresh_from_db()
    assert list(ret.workforce.values_list("role_id", "permanent_headcount", "agency_fte")) == before
    assert ret.assignments.count() == 0 and ret.agency_spend_month_1 is None


def test_a_role_not_of_the_return_a_repeated_role_and_an_unknown_figure_are_named(world, ret, submitter):
    def change(ws):
        ws.cell(row=ws.max_row + 1, column=1, value="astronaut")
        ws.cell(row=ws.max_row + 1, column=1, value="social-worker")

    content = with_sheets(
        spreadsheets.template_workbook(ret),
        Workforce=change,
        Spend=lambda ws: ws.cell(row=7, column=1, value="Biscuits (£)"),
    )
    with pytest.raises(spreadsheets.UploadRejected) as refused:
        load(ret, submitter, content)
    problems = refused.value.problems
    assert any("‘astronaut’ is not a core role of this return" in p for p in problems)
    assert any("social-worker is also on row" in p for p in problems)
    assert any(p.startswith("Spend!A7: ‘Biscuits (£)’ is not a figure") for p in problems)


def test_a_workbook_without_the_sheets_leaves_those_parts_as_they_were(world, ret, submitter):
    Return.objects.filter(pk=ret.pk).update(agency_spend_month_1=Decimal("5"), project_teams=1)
    ret.workforce.filter(role__code="social-worker").update(permanent_headcount=7)
    content = with_sheets(spreadsheets.template_workbook(ret), Workforce=None, Spend=None, Queries=None)
    counts = load(ret, submitter, content)
    assert counts["sections"] is False and counts["explained"] == 0
    ret.refresh_from_db()
    assert (ret.agency_spend_month_1, ret.project_teams) == (Decimal("5.00"), 1)
    assert ret.workforce.get(role__code="social-worker").permanent_headcount == 7


def test_a_deleted_figure_column_keeps_its_figures_and_a_blank_cell_clears_one(world, ret, submitter):
    ret.workforce.filter(role__code="social-worker").update(permanent_headcount=7, starters=2)

    def change(ws):
        ws.delete_cols(9)  # Permanent starters
        ws.cell(row=row_of(ws, "social-worker"), column=3).value = None

    load(ret, submitter, with_sheets(spreadsheets.template_workbook(ret), Workforce=change))
    line = ret.workforce.get(role__code="social-worker")
    assert (line.permanent_headcount, line.starters) == (None, 2)


def test_explanations_of_queries_the_return_no_longer_has_are_counted_not_kept(world, ret, submitter):
    add_row(ret, world.own, registration_number="SW1", notice_period_weeks=8)
    ret = checked(ret)

    def change(ws):
        ws.cell(row=2, column=5, value="Explained.")
        ws.cell(row=3, column=1, value="NOTICE-001:SW999:2026-01-01:x")
        ws.cell(row=3, column=5, value="For a query that is not there.")
        ws.cell(row=4, column=1, value="SOME-KEY")  # no explanation: left as it was

    counts = load(ret, submitter, with_sheets(spreadsheets.template_workbook(ret), Queries=change))
    assert (counts["explained"], counts["not_explained"]) == (1, 1)
    assert QueryExplanation.objects.filter(ret=ret).count() == 1
    assert "1 explanation was not kept" in spreadsheets.loaded_message(counts)


def test_an_explanation_longer_than_the_page_allows_or_without_a_key_is_refused(world, ret, submitter):
    add_row(ret, world.own, registration_number="SW1", notice_period_weeks=8)
    ret = checked(ret)

    def change(ws):
        ws.cell(row=2, column=5, value="x" * 5001)
        ws.cell(row=3, column=5, value="Which query?")

    with pytest.raises(spreadsheets.UploadRejected) as refused:
        load(ret, submitter, with_sheets(spreadsheets.template_workbook(ret), Queries=change))
    assert refused.value.problems == [
        "Queries!E2: the explanation has 5,001 characters. Shorten it to 5,000 at most.",
        "Queries!A3: the explanation in E3 has no query key. Keep the key of the query it explains, as the "
        "template gave it.",
    ]
    assert not QueryExplanation.objects.filter(ret=ret).exists()


def test_a_formula_or_merged_cells_on_a_section_sheet_are_refused(world, ret, submitter):
    content = with_sheets(
        spreadsheets.template_workbook(ret),
        Workforce=lambda ws: ws.cell(row=2, column=3, value="=1+1"),
        Spend=lambda ws: ws.merge_cells("B2:B3"),
    )
    with pytest.raises(spreadsheets.UploadRejected) as refused:
        load(ret, submitter, content)
    assert "Workforce!C2 holds a formula. Type the value itself." in refused.value.problems
    assert any(p.startswith("Cells “B2:B3” on the Spend sheet are merged") for p in refused.value.problems)


def test_the_upload_page_says_what_the_other_sheets_changed(
    client, world, ret, submitter, django_capture_on_commit_callbacks
):
    content = with_sheets(
        spreadsheets.template_workbook(ret), Workforce=set_figures("social-worker", permanent_headcount=30)
    )
    client.force_login(submitter)
    with django_capture_on_commit_callbacks(execute=True):  # the upload's job runs once the request commits
        stored = client.post(
            reverse("returns:upload", args=[ret.pk]),
            {"workbook": upload(content), "mode": "merge", "revision": ret.revision},
        )
    response = client.get(stored["Location"])
    assert "the workforce and spend figures set" in response.content.decode()
    assert ret.workforce.get(role__code="social-worker").permanent_headcount == 30


def test_an_upload_on_a_return_that_cannot_change_leaves_the_figures(world, ret, submitter):
    stale = ret.revision  # the revision the workbook was downloaded at, before the figures changed again
    content = with_sheets(spreadsheets.template_workbook(ret), Spend=set_spend(project_teams=4))
    services.save_workforce(ret=ret, by=submitter, expected_revision=ret.revision, lines={}, totals={})
    ret.refresh_from_db()
    with pytest.raises(services.StaleRevision):
        spreadsheets.import_upload(
            ret=ret, by=submitter, uploaded_file=upload(content), mode="merge", expected_revision=stale
        )
    ret.refresh_from_db()
    assert ret.project_teams is None


def test_the_template_opens_in_excel_shape_with_no_queries_and_no_figures(world, ret):
    ret.workforce.all().delete()
    workbook = openpyxl.load_workbook(io.BytesIO(spreadsheets.template_workbook(ret)))
    assert workbook["Workforce"].max_row == 1 and workbook["Queries"].max_row == 1


def test_a_downloaded_queries_sheet_never_holds_more_lines_than_an_upload_reads():
    from returns import section_sheets

    assert section_sheets.QUERIES_LISTED + 1 <= section_sheets.MAX_ROWS  # its headings and every query listed
