"""Hostile and careless workbooks uploaded to a return: how long the portal takes to say no (issue 14).

Each file is small on disk and absurd inside: a sheet stating or holding 16,384 columns, rows of 16,384
cells with no stated size, 2 million shared strings, a row numbered 1,048,576, one 32,767-character value
in every cell. Before the reading was bounded, the dense ones took 27 to 30 s of CPU (and a 500 KB one
over 6 minutes); the target is under 1 s each to refuse, and a refused upload's messages stay small. A file
that is not refused (rows reaching column XFD with no stated size) must cost what an upload of as many
ordinary rows costs, shown beside it. Each timing is the best of ``BENCH_UPLOAD_REPEATS`` runs of
``returns.spreadsheets.read_rows``, in CPU seconds.

The files are built by ``tests.raw_workbooks``, as the tests build theirs. Run it with ``make bench``, or
alone (on a throwaway database) with ``python -m benchmarks.uploads``.
"""

import os
import sys
import time

REPEATS = int(os.environ.get("BENCH_UPLOAD_REPEATS", "3"))
TARGET_SECONDS = 1.0


def hostile_files() -> dict[str, bytes]:
    from returns.spreadsheets import HEADERS
    from tests.raw_workbooks import header_row, sheet, workbook

    def assignments(rows: bytes, **kwargs) -> bytes:
        return workbook({"Assignments": sheet(header_row(HEADERS) + rows, **kwargs.pop("sheet", {}))}, **kwargs)

    two_cells = b"".join(
        f'<row r="{n}"><c r="A{n}"><v>1</v></c><c r="XFD{n}"><v>1</v></c></row>'.encode() for n in range(2, 19_002)
    )
    dense_row = b"<row>" + b"<c><v>1</v></c>" * 16_384 + b"</row>"
    long_cells = "".join(f'<c r="{letter}{{n}}" t="s"><v>0</v></c>' for letter in "ABCDEFGHIJKLMNOP")
    long_rows = "".join(f'<row r="{n}">{long_cells.format(n=n)}</row>' for n in range(2, 302)).encode()
    return {
        "19,000 rows reaching column XFD, size stated": assignments(two_cells, sheet={"dimension": "A1:XFD19001"}),
        # Not refused: read like any upload of as many rows, and only to the reader's last column.
        "19,000 rows reaching column XFD, no size stated": assignments(two_cells),
        "(19,000 rows of cells A and B, for comparison)": assignments(two_cells.replace(b'r="XFD', b'r="B')),
        "100 rows of 16,384 cells, no size stated": assignments(dense_row * 100),
        "400 rows of 16,384 cells, no size stated": assignments(dense_row * 400),
        "2 million shared strings": assignments(b"", shared_strings=b"<si><t>a</t></si>" * 2_000_000),
        "a row numbered 1,048,576": assignments(b'<row r="1048576"><c r="A1048576"><v>1</v></c></row>'),
        "a 32,767-character value in every cell": assignments(
            long_rows, shared_strings=b"<si><t>" + b"x" * 32_767 + b"</t></si>"
        ),
    }


def bench_hostile_uploads() -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from returns.spreadsheets import UploadRejected, read_rows

    from .returns import _draft

    ret, _borough, _user = _draft()
    print(f"Hostile workbooks uploaded to a return: CPU seconds to answer (best of {REPEATS})")
    print(f"  {'file':<48} {'on disk':>8} {'seconds':>8}  answer")
    for name, data in hostile_files().items():
        best, answer = None, ""
        for _ in range(REPEATS):
            start = time.process_time()
            try:
                rows = read_rows(ret, SimpleUploadedFile("return.xlsx", data))
                answer = f"read {len(rows):,} rows"
            except UploadRejected as exc:
                size = sum(len(problem) for problem in exc.problems)
                answer = f"refused: {len(exc.problems) + exc.more:,} problems, {size / 1000:,.0f} KB of messages"
                answer += f": {exc.problems[0][:70]}"
            seconds = time.process_time() - start
            best = seconds if best is None else min(best, seconds)
        read_through = name.startswith(("19,000 rows reaching column XFD, no", "("))
        verdict = "" if read_through or best < TARGET_SECONDS else f"  MISSES the {TARGET_SECONDS:.0f} s target"
        print(f"  {name:<48} {len(data) / 1000:>5.0f} KB {best:>8.2f}  {answer}{verdict}")


def main() -> int:
    """This benchmark alone, on a throwaway database, as ``make bench`` runs it."""
    from .common import setup_django, throwaway_database

    setup_django()
    with throwaway_database():
        bench_hostile_uploads()
    return 0


if __name__ == "__main__":
    sys.exit(main())
