"""`make bench-load`: the portal in production shape under deadline-day load, then a search for its ceiling.

1. A throwaway database on DATABASE_URL's server (PostgreSQL) is created, migrated and filled (``world.py``):
   synthetic national history, borough leads with draft returns and 500-row workbooks, dashboard readers.
2. The production shape starts on free loopback ports, with DEBUG=false and HTTPS=false: gunicorn's pages pool
   and its rate check pool (``pledge_portal/gunicorn_conf.py``), and a Celery worker on REDIS_URL.
3. locust (headless, ``locustfile.py``) runs the load for ``LOAD_SECONDS``; the table of p50/p95/p99 and errors
   per request type, and upload → findings shown, is printed with the targets.
4. The ceiling: the load is multiplied by each of ``LOAD_CEILING_FACTORS`` in turn for ``LOAD_STEP_SECONDS``,
   until p95 or errors move against the first run (``report.moved``) or the time budget runs out.

Everything started is stopped and the database dropped at the end, whatever happens (Ctrl-C included); the
logs stay in the folder printed at the start.

Environment (defaults in brackets): LOAD_LEADS [33], LOAD_READERS [100], LOAD_RATERS [50], LOAD_SCALE [1]
multiplies all three; LOAD_SECONDS [90]; LOAD_RAMP_SECONDS [20]; LOAD_SETTLE_SECONDS [10]; LOAD_ROWS [500];
LOAD_HISTORY_YEARS [10] and LOAD_HISTORY_SCALE [1] (less for a quick run); LOAD_CEILING_FACTORS [1.5,2,3]
("" skips the search); LOAD_STEP_SECONDS [45]; LOAD_MAX_SECONDS [600], the whole run's budget; think times
LOAD_LEAD_THINK [10,30], LOAD_READER_THINK [5,15], LOAD_RATER_THINK [1,3]; and the pools' sizes as in
production (WEB_WORKERS, WEB_THREADS, RATES_WORKERS), the worker's as LOAD_WORKER_CONCURRENCY [2].
"""

import base64
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from . import report

ROOT = Path(__file__).resolve().parents[2]
SIGN_IN_MAX_SECONDS = 120  # after the ramp, for every user to have signed in, before measuring starts anyway


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


@dataclass
class Load:
    leads: int
    readers: int
    raters: int

    def times(self, factor: float) -> "Load":
        return Load(*(max(1, round(n * factor)) for n in (self.leads, self.readers, self.raters)))

    @property
    def users(self) -> int:
        return self.leads + self.readers + self.raters

    def __str__(self) -> str:
        return f"{self.leads} leads, {self.readers} readers, {self.raters} rate checkers"


class Stack:
    """The processes and the database of one run; ``stop()`` ends every one and is safe to call twice."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.processes: list[tuple[str, subprocess.Popen]] = []
        self.database_dropper = None
        self.redis_cleaner = None

    def start(self, name: str, command: list[str], env: dict, output="log") -> subprocess.Popen:
        """Start a process in a session of its own (so stopping it stops its children), logging to a file
        named after it unless ``output`` is None (the terminal)."""
        log = open(self.logs / f"{name}.log", "ab") if output == "log" else None  # noqa: SIM115
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT if log else None, start_new_session=True
        )
        self.processes.append((name, process))
        return process

    def stop(self) -> None:
        for _, process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)  # its own session: the process and its children
        deadline = time.monotonic() + 30  # gunicorn's graceful_timeout is 20 s
        for name, process in reversed(self.processes):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"  {name} did not stop in time: killed", flush=True)
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        self.processes.clear()
        for clean in (self.redis_cleaner, self.database_dropper):
            if clean:
                try:
                    clean()
                except Exception as exc:  # cleaning up must not hide what went wrong before
                    print(f"  clean-up: {exc}", flush=True)
        self.redis_cleaner = self.database_dropper = None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(port: int, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": "127.0.0.1"})
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server on port {port} stopped (exit {process.returncode}): see its log")
        try:
            urllib.request.urlopen(request, timeout=3).read()
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the server on port {port} did not answer /healthz in {timeout:.0f} s")


def _throwaway_database(url: str, run: str, stack: Stack) -> str:
    """Create an empty database on ``url``'s server; return its URL. ``stack.stop()`` drops it."""
    import psycopg

    parts = urlsplit(url)
    name = f"pledge_load_{run}"
    admin = {"host": parts.hostname, "port": parts.port or 5432, "user": parts.username, "password": parts.password}
    admin["dbname"] = parts.path.lstrip("/") or "postgres"
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(**admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    stack.database_dropper = drop
    return urlunsplit(parts._replace(path=f"/{name}"))


def _redis_cleaner(url: str, run: str):
    def clean():
        import redis

        client = redis.Redis.from_url(url)
        keys = [k for pattern in (f"*load-{run}*",) for k in client.scan_iter(match=pattern, count=1000)]
        if keys:
            client.delete(*keys)

    return clean


def _run_locust(
    stack: Stack, env: dict, load: Load, *, seconds: float, ramp: float, settle: float, label: str, logs: Path
):
    """Run locust until ``settle`` + ``seconds`` after every user has signed in (at most SIGN_IN_MAX_SECONDS
    after the ramp); returns the file of its samples."""
    results = logs / f"locust-{label}.json"
    spawn_rate = max(1.0, load.users / max(1.0, ramp))
    cap = ramp + SIGN_IN_MAX_SECONDS + settle + seconds
    process = stack.start(
        f"locust-{label}",
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(ROOT / "benchmarks" / "loadtest" / "locustfile.py"),
            "--headless",
            "--only-summary",
            "--users",
            str(load.users),
            "--spawn-rate",
            f"{spawn_rate:.2f}",
            "--run-time",
            f"{round(cap)}s",
            "--stop-timeout",
            "5",
            "--loglevel",
            "WARNING",
        ],
        {
            **env,
            "LOAD_LEADS": str(load.leads),
            "LOAD_READERS": str(load.readers),
            "LOAD_RATERS": str(load.raters),
            "LOAD_RESULTS": str(results),
            "LOAD_SETTLE_SECONDS": str(settle),
            "LOAD_MEASURE_SECONDS": str(seconds),
        },
    )
    process.wait(timeout=cap + 120)
    stack.processes.remove((f"locust-{label}", process))
    if not results.exists():
        raise RuntimeError(f"locust wrote no results (exit {process.returncode}): see {logs}/locust-{label}.log")
    return results


def main() -> int:
    started = time.monotonic()
    budget = _env_float("LOAD_MAX_SECONDS", 600)
    database_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")) or not redis_url:
        print("make bench-load needs DATABASE_URL (a PostgreSQL server, where it makes a throwaway database) and")
        print("REDIS_URL (Celery's broker; its keys are named apart and removed at the end).")
        return 2
    scale = _env_float("LOAD_SCALE", 1)
    base = Load(_env_int("LOAD_LEADS", 33), _env_int("LOAD_READERS", 100), _env_int("LOAD_RATERS", 50)).times(scale)
    factors = [float(f) for f in os.environ.get("LOAD_CEILING_FACTORS", "1.5,2,3").split(",") if f.strip()]
    seconds, step_seconds = _env_float("LOAD_SECONDS", 90), _env_float("LOAD_STEP_SECONDS", 45)
    ramp, settle = _env_float("LOAD_RAMP_SECONDS", 20), _env_float("LOAD_SETTLE_SECONDS", 10)
    biggest = base.times(max([1.0, *factors]))
    run = secrets.token_hex(4)
    logs = Path(tempfile.mkdtemp(prefix=f"pledge-load-{run}-"))
    print(f"Deadline day under load (run {run}); logs in {logs}", flush=True)
    stack = Stack(logs)

    def stop_on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_on_signal)
    try:
        stack.redis_cleaner = _redis_cleaner(redis_url, run)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "benchmarks.loadtest.settings",
            "DATABASE_URL": _throwaway_database(database_url, run, stack),
            "LOAD_RUN": run,
            "LOAD_STATIC_ROOT": str(logs / "static"),
            "DEBUG": "false",
            "HTTPS": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "TWO_FACTOR_ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "TRUSTED_PROXY_COUNT": "1",  # each simulated person sends their own address, as a proxy would
            "PRIVATE_MEDIA_ROOT": str(logs / "private-media"),
            "LOG_LEVEL": "WARNING",
            "LOAD_WORLD": str(logs / "world" / "world.json"),
        }
        (logs / "world").mkdir()
        print(f"  setting up a throwaway database for {biggest} at most...", flush=True)
        setup = stack.start(
            "setup",
            [sys.executable, "-m", "benchmarks.loadtest.setup", str(logs / "world")],
            {
                **env,
                "LOAD_LEADS": str(biggest.leads),
                "LOAD_READERS": str(biggest.readers),
                "LOAD_ROWS": str(_env_int("LOAD_ROWS", 500)),
            },
            output=None,  # its progress goes to the terminal
        )
        if setup.wait():
            raise RuntimeError("the setup failed (above)")
        stack.processes.remove(("setup", setup))
        print(f"  set up in {time.monotonic() - started:.0f} s", flush=True)

        pages_port, rates_port = _free_port(), _free_port()
        gunicorn = [sys.executable, "-m", "gunicorn", "-c", "python:pledge_portal.gunicorn_conf"]
        pages = stack.start(
            "gunicorn-pages",
            [
                *gunicorn,
                "pledge_portal.wsgi:application",
                "--bind",
                f"127.0.0.1:{pages_port}",
                "--access-logfile",
                str(logs / "access-pages.log"),
            ],
            {**env, "PORTAL_POOL": "pages"},
        )
        rates = stack.start(
            "gunicorn-rates",
            [
                *gunicorn,
                "pledge_portal.wsgi:application",
                "--bind",
                f"127.0.0.1:{rates_port}",
                "--access-logfile",
                str(logs / "access-rates.log"),
            ],
            {**env, "PORTAL_POOL": "rates"},
        )
        stack.start(
            "celery-worker",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "pledge_portal",
                "worker",
                "-Q",
                f"load-{run}",
                "--concurrency",
                str(_env_int("LOAD_WORKER_CONCURRENCY", 2)),
                "--loglevel",
                "WARNING",
                "-n",
                f"load-{run}@%h",
            ],
            env,
        )
        _wait_until_up(pages_port, pages)
        _wait_until_up(rates_port, rates)
        env["LOAD_PAGES_HOST"] = f"http://127.0.0.1:{pages_port}"
        env["LOAD_RATES_HOST"] = f"http://127.0.0.1:{rates_port}"
        print(
            f"  serving: pages pool on :{pages_port}, rate check pool on :{rates_port}, a Celery worker; "
            f"this machine has {os.cpu_count()} cores, shared with whatever else runs on it",
            flush=True,
        )

        print(
            f"\nLoad ×1: {base} ({base.users} users), started over {ramp:.0f} s, measured for {seconds:.0f} s from "
            f"{settle:.0f} s after everyone had signed in",
            flush=True,
        )
        path = _run_locust(stack, env, base, seconds=seconds, ramp=ramp, settle=settle, label="x1", logs=logs)
        first = report.read(path, settle=settle, users=base.users)
        print(report.table(first))
        print(f"  ×1: {report.summary(first)}", flush=True)

        if factors:
            print("\nCeiling: the load stepped up until p95 or errors move against ×1", flush=True)
        ceiling = None
        for factor in factors:
            left = budget - (time.monotonic() - started)
            if left < ramp + settle + step_seconds + 60:
                print(f"  stopped before ×{factor:g}: the time budget (LOAD_MAX_SECONDS={budget:.0f}) is spent")
                break
            load = base.times(factor)
            path = _run_locust(
                stack, env, load, seconds=step_seconds, ramp=ramp, settle=settle, label=f"x{factor:g}", logs=logs
            )
            step = report.read(path, settle=settle, users=load.users)
            reasons = report.moved(first, step)
            print(f"  ×{factor:g}: {report.summary(step)}", flush=True)
            if reasons:
                ceiling = (factor, load, reasons, step)
                break
        if ceiling:
            factor, load, reasons, step = ceiling
            print(f"\nCeiling: p95 or errors move at ×{factor:g} ({load}; {load.users} users): " + "; ".join(reasons))
            print(report.table(step))
        elif factors:
            print("\nCeiling: nothing moved at the loads tried (raise LOAD_CEILING_FACTORS or LOAD_MAX_SECONDS)")
        return 0
    except KeyboardInterrupt:
        print("\nInterrupted: stopping everything", flush=True)
        return 130
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not cut the clean-up short
            signal.signal(signum, signal.SIG_IGN)
        stack.stop()
        print(f"Stopped every process started; the throwaway database is dropped. Logs: {logs}", flush=True)
        print(f"Took {time.monotonic() - started:.0f} s.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
