"""Writing user data into files that spreadsheets open. Every CSV and Excel export goes through here."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .tables import Table

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Stop text that looks like a formula from running when a spreadsheet opens the file (CSV injection):
    such text gets a leading apostrophe. Numbers, dates and other non-text values pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_csv(rows: Iterable[Iterable], *, header: Iterable[str]) -> bytes:
    """Rows to UTF-8 CSV bytes (with a byte-order mark, so Excel reads accents), every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def table_csv(table: Table) -> bytes:
    """A ``tables.Table`` as CSV: its header, then every row (not only those a page shows), each value in its
    column's plain form. The rows stream, so a table may be fed from a query's iterator."""
    return write_csv(table.csv_rows(), header=table.header)
