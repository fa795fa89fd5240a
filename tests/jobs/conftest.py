"""Fixtures for running tasks through a real Celery worker process and Redis.

The worker is another process, so it must see the test's data: the tests are transactional (data is
committed) and the worker gets a ``DATABASE_URL`` pointing at the test database, and the same private
media directory. Each worker consumes only a queue named for this test, so no other worker on the same
Redis can take the task.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import require_service

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKER_READY_TIMEOUT = 60


@pytest.fixture
def private_media(settings, tmp_path):
    """A private media directory shared by this process and the worker, so the test reads what it wrote."""
    media = tmp_path / "private-media"
    media.mkdir()
    settings.MEDIA_ROOT = media
    return media


@pytest.fixture
def redis_url() -> str:
    url = settings.REDIS_URL
    if not url:
        require_service("Redis", False, "set REDIS_URL (e.g. redis://127.0.0.1:6379/0) to run tests with a worker")
    import redis

    try:
        answered = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError as exc:
        answered = False
        reason = f"{type(exc).__name__}: {exc}"
    else:
        reason = "no answer to PING"
    require_service("Redis", answered, f"{url} does not answer ({reason}); start redis-server")
    from pledge_portal.celery import app

    assert not app.conf.task_always_eager, "REDIS_URL is set but tasks run eagerly: unset CELERY_TASK_ALWAYS_EAGER"
    return url


def database_url() -> str:
    """A URL for the database this test is using (already the test database), for the worker's settings."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(db["NAME"])
        assert name and ":memory:" not in name and "mode=memory" not in name, (
            "The worker cannot share an in-memory SQLite database; the settings should give the test database "
            f"a file (got {name!r})"
        )
        return f"sqlite:///{Path(name).resolve()}"
    if connection.vendor == "postgresql":
        credentials = quote(db["USER"] or "", safe="")
        if db.get("PASSWORD"):
            credentials += ":" + quote(db["PASSWORD"], safe="")
        host = db.get("HOST") or "localhost"
        if host.startswith("/"):  # a Unix socket directory
            host = quote(host, safe="")
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return f"postgres://{credentials}@{host}{port}/{quote(db['NAME'], safe='')}"
    raise AssertionError(f"No worker DATABASE_URL for the {connection.vendor} backend")


@dataclass
class Worker:
    """One ``celery worker`` process started by a test, consuming only ``queue``."""

    queue: str
    nodename: str
    process: subprocess.Popen
    log_path: Path
    pool: str

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_ready(self, timeout: float = WORKER_READY_TIMEOUT) -> None:
        """Until the worker answers a ping through the broker, or fail with its log."""
        from pledge_portal.celery import app

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                pytest.fail(f"The worker exited with {self.process.returncode}:\n{self.log_tail()}")
            if app.control.ping(destination=[self.nodename], timeout=0.5):
                return
            time.sleep(0.2)
        pytest.fail(f"The worker did not answer a ping within {timeout} s:\n{self.log_tail()}")

    def pool_processes(self) -> list[int]:
        """The pids of the worker's pool processes (none for the solo pool)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            return [int(pid) for pid in children.read_text().split()]
        from pledge_portal.celery import app

        stats = app.control.inspect([self.nodename], timeout=2).stats() or {}
        return list(stats.get(self.nodename, {}).get("pool", {}).get("processes", []))

    def stop(self) -> None:
        """Warm shutdown, then SIGKILL after 15 s; always the whole process group this worker leads."""
        if self.alive():
            _signal_group(self.process, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=15)
        _signal_group(self.process, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    # The worker was started in a new session, so its process group id is its own pid: this signals the
    # worker and the pool processes it forked, and nothing else.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


@pytest.fixture
def celery_worker(redis_url, private_media, tmp_path, transactional_db):
    """Start real ``celery worker`` processes on a queue of this test's own; stop them all at the end.

    ``celery_worker(pool="solo")`` starts one and waits until it answers a ping; send tasks to
    ``celery_worker.queue``. Depending on ``transactional_db`` means the workers are stopped before the
    test's data is flushed, so no worker connection holds a lock the flush needs.
    """
    queue = f"pledge-test-{uuid.uuid4().hex[:12]}"
    workers: list[Worker] = []
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pledge_portal.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "PRIVATE_MEDIA_ROOT": str(private_media),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)

    def start(pool: str = "solo", wait: bool = True) -> Worker:
        n = len(workers) + 1
        nodename = f"{queue}-{n}@localhost"
        log_path = tmp_path / f"worker-{n}.log"
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "pledge_portal",
            "worker",
            f"--pool={pool}",
            "--concurrency=1",
            "--loglevel=info",
            "-Q",
            queue,
            "-n",
            nodename,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        worker = Worker(queue=queue, nodename=nodename, process=process, log_path=log_path, pool=pool)
        workers.append(worker)
        if wait:
            worker.wait_ready()
        return worker

    start.queue = queue
    start.workers = workers
    try:
        yield start
    finally:
        for worker in workers:
            worker.stop()
        _forget_queue(redis_url, queue)


def _forget_queue(url: str, queue: str) -> None:
    """Remove the keys kombu made in Redis for this test's queue, so test runs leave nothing behind."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    except redis.RedisError:
        pass
