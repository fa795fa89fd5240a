"""Figures from a locust run's samples (``locustfile.py`` writes them): a table per request type, the targets,
and whether a step of the ceiling search moved p95 or errors against the first step."""

import json
from dataclasses import dataclass
from pathlib import Path

from .scenarios import UPLOAD_TO_FINDINGS

PAGE_P95_MS = 200.0
RATE_CHECK_P99_MS = 50.0
UPLOAD_TO_FINDINGS_P95_MS = 1000.0
SIGN_IN = "sign in"  # deliberately slow (password hashing): reported, not held to the page target
# A step "moved" when a request type's p95 is at least this much worse than at the first step (both), or
# errors appear.
MOVED_RATIO, MOVED_MS = 1.5, 50.0


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


@dataclass
class Row:
    kind: str
    name: str
    times: list[float]
    errors: int
    error_samples: list[str]

    @property
    def count(self) -> int:
        return len(self.times) + (self.errors if self.kind == "JOURNEY" else 0)

    def p(self, pct: float) -> float:
        return percentile(self.times, pct)

    def target(self) -> tuple[str, bool] | None:
        """The issue's target for this row, and whether it is met."""
        if self.kind == "JOURNEY":
            return None
        if self.name == UPLOAD_TO_FINDINGS:
            return f"p95 < {UPLOAD_TO_FINDINGS_P95_MS:.0f}", self.p(95) < UPLOAD_TO_FINDINGS_P95_MS
        if self.name.startswith("rate check"):
            return f"p99 < {RATE_CHECK_P99_MS:.0f}", self.p(99) < RATE_CHECK_P99_MS
        if self.name.startswith(SIGN_IN) or self.name == "job poll":
            return None
        return f"p95 < {PAGE_P95_MS:.0f}", self.p(95) < PAGE_P95_MS


@dataclass
class Result:
    rows: dict[tuple[str, str], Row]
    seconds: float
    users: int
    signed_in_after: float | None = None  # seconds from the start until every user had signed in

    @property
    def requests(self) -> int:
        return sum(len(r.times) for r in self.rows.values() if r.kind not in ("FLOW", "JOURNEY"))

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.rows.values())

    def row(self, name: str) -> Row | None:
        return next((r for (_, n), r in self.rows.items() if n == name and r.kind != "JOURNEY"), None)


def read(path: Path, *, settle: float, users: int) -> Result:
    """Samples from ``settle`` seconds after every user had started and signed in (or, if some never finished
    signing in, after every user was started) to the end; sign-ins from the start."""
    data = json.loads(path.read_text())
    marks, samples = data["marks"], data["samples"]
    window_start = marks.get("ready", marks.get("spawned", marks["start"])) + settle
    end = max((s[0] for s in samples), default=window_start)
    rows: dict[tuple[str, str], Row] = {}
    for at, kind, name, ms, error in samples:
        if at < window_start and not name.startswith(SIGN_IN):
            continue
        row = rows.setdefault((kind, name), Row(kind, name, [], 0, []))
        if error:
            row.errors += 1
            if len(row.error_samples) < 3 and error not in row.error_samples:
                row.error_samples.append(error)
        if kind != "JOURNEY":
            row.times.append(ms)
    ready = marks.get("ready")
    return Result(
        rows=rows,
        seconds=max(1.0, end - window_start),
        users=users,
        signed_in_after=ready - marks["start"] if ready else None,
    )


def table(result: Result) -> str:
    lines = [
        f"  {'request':<36} {'type':<5} {'count':>6} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}  target",
    ]
    order = {"FLOW": 0, "GET": 1, "POST": 2, "JOURNEY": 3}
    for row in sorted(result.rows.values(), key=lambda r: (order.get(r.kind, 9), r.name)):
        target = row.target()
        verdict = f"{target[0]}: {'meets' if target[1] else 'MISSES'}" if target else ""
        if row.kind == "JOURNEY":
            lines.append(f"  {row.name + ' (journeys failed)':<36} {'':<5} {'':>6} {row.errors:>6}")
            continue
        lines.append(
            f"  {row.name[:36]:<36} {row.kind[:5]:<5} {len(row.times):>6} {row.errors:>6} {row.p(50):>7.0f} "
            f"{row.p(95):>7.0f} {row.p(99):>7.0f}  {verdict}"
        )
    signed_in = (
        f"every user had signed in {result.signed_in_after:.0f} s after the start"
        if result.signed_in_after is not None
        else "some users never finished signing in"
    )
    lines.append(
        f"  {result.requests:,} requests in the {result.seconds:.0f} s measured "
        f"({result.requests / result.seconds:.1f}/s), {result.errors} errors; {signed_in}"
    )
    for row in result.rows.values():
        for sample in row.error_samples:
            lines.append(f"  error ({row.name}): {sample}")
    return "\n".join(lines)


def summary(result: Result) -> str:
    """The headline figures of a run, on one line."""
    flow = result.row(UPLOAD_TO_FINDINGS)
    api = result.row("rate check API")
    pages = [r for r in result.rows.values() if (t := r.target()) and t[0].startswith("p95 < 200")]
    worst = max(pages, key=lambda r: r.p(95), default=None)
    parts = [f"{result.users} users", f"{result.requests / result.seconds:.1f} req/s", f"{result.errors} errors"]
    if worst:
        parts.append(f"slowest page p95 {worst.p(95):.0f} ms ({worst.name})")
    if api:
        parts.append(f"rate check API p99 {api.p(99):.0f} ms")
    if flow:
        parts.append(f"upload → findings p95 {flow.p(95):.0f} ms")
    return ", ".join(parts)


def moved(base: Result, step: Result) -> list[str]:
    """What got worse at ``step`` than at ``base``: request types whose p95 rose by half and 50 ms, and errors."""
    reasons = []
    for key, row in step.rows.items():
        if row.kind == "JOURNEY" or row.name.startswith(SIGN_IN):
            continue
        before = base.rows.get(key)
        if not (before and before.times and row.times):
            continue
        if row.p(95) >= MOVED_RATIO * before.p(95) and row.p(95) - before.p(95) >= MOVED_MS:
            reasons.append(f"{row.name} p95 {before.p(95):.0f} → {row.p(95):.0f} ms")
    base_rate = base.errors / max(1, base.requests)
    if step.errors and step.errors / max(1, step.requests) > base_rate + 0.001:
        reasons.append(f"errors {base.errors} → {step.errors}")
    return reasons
