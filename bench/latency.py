"""Query latency, in process and over HTTP.

In process: ``Retriever.search(q, k=10)`` and ``Retriever.ask(q)`` for every benchmark query, with the
query-vector cache cleared before each call so that encoding is paid every time, next to the time to
encode one query with the same model. Over HTTP: sequential GET /api/search and /api/ask against a
`reportqa serve` subprocess, each distinct query sent once (the first pass, so no cached query vector).

    python -m bench.latency [--index /tmp/bench-index] [--skip-http]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bench.common import (
    add_index_arg,
    bench_settings,
    ensure_bench_index,
    load_queries,
    md_table,
    ms,
    replace_section,
    section_stamp,
    start_server,
    stop_server,
    summarize,
    verdict,
)

SEARCH_P95_OVER_ENCODE = 2.0
ASK_P95_MS = 100.0
HTTP_SEARCH_P95_MS = 40.0
WARM_UP_QUERIES = ("warm up the model", "what is a disruption tactic", "sexual risk order")


def timed(call: Callable[[], object]) -> float:
    """Wall time of one call, in seconds."""
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def in_process(index_dir: Path, queries: list[str]) -> dict[str, dict[str, float]]:
    """Search, ask and encode timings (seconds) over all queries, cache cleared before each call."""
    from retriever.retriever import Retriever

    retriever = Retriever.open(bench_settings(index_dir))
    retriever.warm_up()
    for query in WARM_UP_QUERIES:
        retriever.search(query, k=10)
        retriever.ask(query)
        retriever.embedder.embed([query])
    times: dict[str, list[float]] = {"encode": [], "search": [], "ask": []}
    for query in queries:
        times["encode"].append(timed(lambda: retriever.embedder.embed([query])))
        retriever.clear_cache()
        times["search"].append(timed(lambda: retriever.search(query, k=10)))
        retriever.clear_cache()
        times["ask"].append(timed(lambda: retriever.ask(query)))
    return {name: summarize(values) for name, values in times.items()}


def http_pass(index_dir: Path, queries: list[str], path: str, params: dict[str, str]) -> tuple[dict, int, float]:
    """One fresh server, each query sent once to ``path``: timings (s), error count, server start time."""
    server = start_server(index_dir)
    try:
        times, errors = [], 0
        with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
            for query in WARM_UP_QUERIES:
                client.get(path, params={"q": query, **params})
            for query in queries:
                started = time.perf_counter()
                try:
                    ok = client.get(path, params={"q": query, **params}).status_code == 200
                except httpx.HTTPError:
                    ok = False
                times.append(time.perf_counter() - started)
                errors += 0 if ok else 1
        return summarize(times), errors, server.started_seconds
    finally:
        stop_server(server)


def over_http(index_dir: Path, queries: list[str]) -> dict[str, tuple[dict, int, float]]:
    """Search and ask over HTTP, each on its own fresh server so that no query vector is cached."""
    return {
        "search": http_pass(index_dir, queries, "/api/search", {"k": "10"}),
        "ask": http_pass(index_dir, queries, "/api/ask", {}),
    }


def _row(name: str, stats: dict[str, float]) -> list[object]:
    return [name, stats["n"], f"{ms(stats['p50']):.1f}", f"{ms(stats['p95']):.1f}", f"{ms(stats['p99']):.1f}",
            f"{ms(stats['mean']):.1f}"]


def report(local: dict[str, dict[str, float]], http: dict[str, tuple[dict, int, float]] | None) -> str:
    """The Markdown section (also printed)."""
    ratio = local["search"]["p95"] / local["encode"]["p95"]
    ask_p95 = ms(local["ask"]["p95"])
    headers = ["", "n", "p50 ms", "p95 ms", "p99 ms", "mean ms"]
    lines = [section_stamp(), "",
             "In process (`Retriever.search(q, k=10)`, `Retriever.ask(q)`; query-vector cache cleared before every "
             "call, so each call pays for encoding the query):", "",
             md_table(headers, [_row("encode one query", local["encode"]), _row("search k=10", local["search"]),
                                _row("ask", local["ask"])]), "",
             f"- search p95 / encode p95 = **{ratio:.2f}×** (target ≤ {SEARCH_P95_OVER_ENCODE:.0f}×: "
             f"{verdict(ratio <= SEARCH_P95_OVER_ENCODE)})",
             f"- ask p95 = **{ask_p95:.1f} ms** (target ≤ {ASK_P95_MS:.0f} ms: {verdict(ask_p95 <= ASK_P95_MS)})"]
    if http is not None:
        search_p95 = ms(http["search"][0]["p95"])
        lines += ["", "Over HTTP (sequential GET on one `reportqa serve` worker, keep-alive client; each distinct "
                  "query sent once to a freshly started server, so this is the first, uncached pass):", "",
                  md_table(headers + ["errors"], [_row("GET /api/search k=10", http["search"][0]) + [http["search"][1]],
                                                  _row("GET /api/ask", http["ask"][0]) + [http["ask"][1]]]), "",
                  f"- HTTP search p95 = **{search_p95:.1f} ms** (target ≤ {HTTP_SEARCH_P95_MS:.0f} ms: "
                  f"{verdict(search_p95 <= HTTP_SEARCH_P95_MS)})",
                  f"- server start (model load, index open, warm-up) until /api/health answered: "
                  f"{http['search'][2]:.1f} s"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_index_arg(parser)
    parser.add_argument("--skip-http", action="store_true", help="only the in-process figures")
    args = parser.parse_args(argv)
    ensure_bench_index(args.index)
    queries = load_queries()
    print(f"latency: {len(queries)} queries, index {args.index}", flush=True)
    local = in_process(args.index, queries)
    http = None if args.skip_http else over_http(args.index, queries)
    text = report(local, http)
    print(text)
    replace_section("Latency", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
