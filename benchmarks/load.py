"""A small, bounded load generator: a few processes POSTing JSON to one loopback URL for a fixed time."""

import http.client
import json
import multiprocessing
import statistics
import time
from dataclasses import dataclass


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else 0.0

    @property
    def p95_ms(self) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[int(0.95 * (len(ordered) - 1))] if ordered else 0.0


def _client(port: int, path: str, body: bytes, seconds: float, max_requests: int, queue) -> None:
    latencies, errors, sent = [], 0, 0
    deadline = time.perf_counter() + seconds
    headers = {"Content-Type": "application/json", "Connection": "close"}
    while time.perf_counter() < deadline and sent < max_requests:
        start = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors += 1
        except OSError:
            errors += 1
        finally:
            conn.close()
        latencies.append((time.perf_counter() - start) * 1000)
        sent += 1
    queue.put((sent, errors, latencies))


def run_load(
    port: int, path: str, payload: dict, *, seconds: float = 5.0, clients: int = 2, max_requests: int = 200_000
) -> LoadResult:
    """POST ``payload`` to ``path`` from ``clients`` processes for ``seconds`` (bounded in count too)."""
    body = json.dumps(payload).encode()
    queue = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(target=_client, args=(port, path, body, seconds, max_requests, queue))
        for _ in range(clients)
    ]
    start = time.perf_counter()
    for w in workers:
        w.start()
    results = [queue.get(timeout=seconds + 60) for _ in workers]
    for w in workers:
        w.join(timeout=10)
    elapsed = time.perf_counter() - start
    return LoadResult(
        requests=sum(r[0] for r in results),
        errors=sum(r[1] for r in results),
        seconds=elapsed,
        latencies_ms=[ms for r in results for ms in r[2]],
    )
