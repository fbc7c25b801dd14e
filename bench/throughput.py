"""Search throughput over HTTP with 1, 8 and 32 concurrent clients, for 1 and 2 server workers, for
each embedder (PyTorch 'minilm' and ONNX 'onnx' by default).

Each (embedder, workers, clients) level gets a freshly started `reportqa serve` (so its query-vector
cache starts empty) and a bounded number of GET /api/search requests, queries cycled from the question
set; each client thread stops when the requests run out or the level's time limit passes.

    python -m bench.throughput [--index /tmp/bench-index] [--embedders minilm onnx] [--workers 1 2]
                               [--clients 1 8 32] [--requests 300] [--smoke]
"""

from __future__ import annotations

import argparse
import threading
import time
from dataclasses import dataclass, field

import httpx

from bench.common import (
    BenchRun,
    Server,
    add_bench_args,
    bench_run,
    label,
    md_table,
    ms,
    section_stamp,
    start_server,
    stop_server,
    summarize,
)

TARGET_RPS = 150.0
TARGET_CLIENTS = 8
WARM_UP = 5


@dataclass
class Level:
    """The outcome of one (embedder, workers, clients) level."""

    embedder: str
    workers: int
    clients: int
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    rss: dict[int, float] = field(default_factory=dict)
    peak: dict[int, float] = field(default_factory=dict)

    @property
    def done(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    @property
    def met(self) -> bool:
        return self.rps >= TARGET_RPS and self.errors == 0


class Feeder:
    """Hands out request numbers until ``total`` are taken or the deadline passes."""

    def __init__(self, total: int, deadline: float) -> None:
        self.total, self.deadline = total, deadline
        self.taken = 0
        self.lock = threading.Lock()

    def next(self) -> int | None:
        with self.lock:
            if self.taken >= self.total or time.monotonic() >= self.deadline:
                return None
            self.taken += 1
            return self.taken - 1


def client_loop(base_url: str, queries: list[str], feeder: Feeder, level: Level, lock: threading.Lock) -> None:
    """One client: sequential requests on its own keep-alive connection."""
    with httpx.Client(base_url=base_url, timeout=60.0) as client:
        while (n := feeder.next()) is not None:
            started = time.perf_counter()
            try:
                ok = client.get("/api/search", params={"q": queries[n % len(queries)], "k": "10"}).status_code == 200
            except httpx.HTTPError:
                ok = False
            elapsed = time.perf_counter() - started
            with lock:
                level.latencies.append(elapsed)
                level.errors += 0 if ok else 1


def warm_up(server: Server) -> None:
    """A few requests with a query outside the set (each worker also warms up when it loads)."""
    with httpx.Client(base_url=server.base_url, timeout=60.0) as client:
        for _ in range(WARM_UP * server.workers):
            client.get("/api/search", params={"q": "warm up the search", "k": "10"})


def run_level(run: BenchRun, embedder: str, workers: int, clients: int, requests: int,
              max_seconds: float) -> Level:
    """Start a server, drive it with ``clients`` threads for ``requests`` requests, stop it."""
    level = Level(embedder, workers, clients)
    queries = run.queries
    server = start_server(run.index_dir, workers=workers, env=run.env(embedder))
    try:
        warm_up(server)
        feeder, lock = Feeder(requests, time.monotonic() + max_seconds), threading.Lock()
        threads = [threading.Thread(target=client_loop, args=(server.base_url, queries, feeder, level, lock))
                   for _ in range(clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=max_seconds + 90)
        level.seconds = time.perf_counter() - started
        level.rss, level.peak = server.rss(), server.peak_rss()
    finally:
        stop_server(server)
    return level


def _rss_text(level: Level) -> str:
    big = {pid: mb for pid, mb in level.rss.items() if mb >= 50}
    parts = " + ".join(f"{mb:.0f}" for mb in big.values())
    return f"{sum(level.rss.values()):.0f} ({parts})" if len(big) > 1 else f"{sum(level.rss.values()):.0f}"


def report(levels: list[Level], requests: int, distinct: int) -> str:
    """The Markdown section (also printed)."""
    rows = []
    for lv in levels:
        stats = summarize(lv.latencies)
        rows.append([label(lv.embedder), lv.workers, lv.clients, lv.done, f"{lv.rps:.1f}", f"{ms(stats['p50']):.1f}",
                     f"{ms(stats['p95']):.1f}", lv.errors, _rss_text(lv), f"{max(lv.peak.values(), default=0):.0f}"])
    fresh = min(requests, distinct) / requests
    lines = [section_stamp(), "",
             f"GET /api/search?k=10, {requests} requests per level (queries cycled from {distinct} distinct "
             f"questions, so about {fresh:.0%} of a level's requests carry a query the server has not encoded "
             "yet; the rest hit its query-vector cache). A fresh server per level; client threads with "
             "httpx on the same machine, so the clients compete with the server for the same cores.", "",
             md_table(["embedder", "workers", "clients", "requests", "req/s", "p50 ms", "p95 ms", "errors",
                       "server RSS MB after (per process)", "largest peak RSS MB"], rows), ""]
    for lv in levels:
        if lv.clients == TARGET_CLIENTS:
            lines.append(f"- {label(lv.embedder)}, {lv.workers} worker(s): {lv.rps:.1f} searches/s at {TARGET_CLIENTS} "
                         f"clients, {lv.errors} errors → target ≥ {TARGET_RPS:.0f}/s with 0 errors (set for one "
                         f"worker) {'met' if lv.met else 'NOT met'}")
    if any(lv.workers > 1 for lv in levels):
        lines.append("- With `--workers` above 1, `reportqa serve` creates the shared listening socket itself as "
                     "`IPPROTO_TCP` (web/serve.py), so accepted connections keep `TCP_NODELAY`; uvicorn's own socket "
                     "would add ~40 ms to every keep-alive response after the first (uvicorn issue #3149). Compare "
                     "the 1-client rows of 1 and 2 workers.")
    lines.append("- RSS is summed over the server's processes (with several workers: the uvicorn supervisor, "
                 "its helper and each worker, every worker holding its own model and index).")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_bench_args(parser)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], metavar="N",
                        help="server worker counts to run (default 1 2)")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32], metavar="C")
    parser.add_argument("--requests", type=int, default=300, help="requests per level (default 300)")
    parser.add_argument("--max-seconds", type=float, default=120.0, help="time limit per level (default 120)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.workers, args.clients, args.requests = [1], [1, 2], 12
    run = bench_run(args)
    levels = []
    for workers in args.workers:
        for clients in args.clients:
            for embedder in run.embedders:
                level = run_level(run, embedder, workers, clients, args.requests, args.max_seconds)
                print(f"{embedder} workers {workers} clients {clients}: {level.done} requests, {level.rps:.1f} req/s, "
                      f"{level.errors} errors", flush=True)
                levels.append(level)
    run.write("Throughput", report(levels, args.requests, len(run.queries)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
