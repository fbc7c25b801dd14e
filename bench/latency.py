"""Query latency, in process and over HTTP, for each embedder side by side (PyTorch 'minilm' and
ONNX 'onnx' by default), and where a search's time goes besides encoding the query.

In process: ``Retriever.search(q, k=10)`` and ``Retriever.ask(q)`` for every benchmark query, with the
query-vector cache cleared before each call so that encoding is paid every time, next to the time to
encode one query with the same model, and a search whose query vector is cached (all of a search but
the encoding). Each embedder is measured in a fresh process of its own, one after the other (in one
process PyTorch's OpenMP threads keep spinning after each call and slow whatever runs next). Then a
profile of the ONNX searches with cached vectors: self time by module.
Over HTTP: sequential GET /api/search and /api/ask against a `reportqa serve` subprocess per embedder,
each distinct query sent once (the first pass, so no cached query vector), and the time from starting
the server to /api/health answering.

    python -m bench.latency [--index /tmp/bench-index] [--embedders minilm onnx] [--skip-http] [--smoke]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx

from bench.common import (
    CORPUS_DIR,
    PROJECT_ROOT,
    BenchRun,
    add_bench_args,
    bench_run,
    label,
    load_queries,
    md_table,
    ms,
    section_stamp,
    smoke_run,
    start_server,
    stop_server,
    summarize,
    verdict,
)

ENCODE_P95_RATIO = 0.4  # ONNX encode p95 / PyTorch encode p95
SEARCH_P95_OVER_ENCODE = 3.0  # ONNX search p95 / one ONNX query encoding (p95)
HTTP_OVER_IN_PROCESS = 1.5  # HTTP search p95 / in-process search p95
START_TO_HEALTH_S = 1.5
ASK_P95_MS = 100.0
WARM_UP_QUERIES = ("warm up the model", "what is a disruption tactic", "sexual risk order")
PROFILE_ROWS = 12


def timed(call: Callable[[], object]) -> float:
    """Wall time of one call, in seconds."""
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def open_retriever(run: BenchRun, embedder: str):
    """A warmed-up Retriever with ``embedder`` over the run's index."""
    from retriever.retriever import Retriever

    retriever = Retriever.open(run.settings(embedder))
    retriever.warm_up()
    for query in WARM_UP_QUERIES:
        retriever.search(query, k=10)
        retriever.ask(query)
        retriever.embedder.embed([query])
    return retriever


def in_process(retriever, queries: list[str]) -> dict[str, dict[str, float]]:
    """Encode, search, search with the query vector cached, and ask timings (seconds)."""
    times: dict[str, list[float]] = {"encode": [], "search": [], "cached": [], "ask": []}
    for query in queries:
        times["encode"].append(timed(lambda: retriever.embedder.embed([query])))
        retriever.clear_cache()
        times["search"].append(timed(lambda: retriever.search(query, k=10)))
        times["cached"].append(timed(lambda: retriever.search(query, k=10)))  # the vector is cached now
        retriever.clear_cache()
        times["ask"].append(timed(lambda: retriever.ask(query)))
    return {kind: summarize(values) for kind, values in times.items()}


def measure_embedder(run: BenchRun, embedder: str, profile: bool) -> dict:
    """In-process figures for one embedder (run in a subprocess of its own by ``main``)."""
    retriever = open_retriever(run, embedder)
    out: dict = {"local": in_process(retriever, run.queries)}
    if profile:
        out["profile"] = profile_search(retriever, run.queries)
    return out


def measure_in_subprocess(run: BenchRun, embedder: str, profile: bool) -> dict:
    """``measure_embedder`` in a fresh Python process: its JSON line."""
    which = ["--smoke-index", str(run.index_dir)] if run.smoke else ["--embedders", embedder]
    cmd = [sys.executable, "-m", "bench.latency", "--index", str(run.index_dir), "--measure", *which] \
        + (["--profile"] if profile else [])
    done = subprocess.run(cmd, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"measuring {embedder} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def profile_search(retriever, queries: list[str]) -> tuple[list[tuple[str, float]], float]:
    """Self time per module (ms per search) of searches whose query vector is cached, and the
    total ms per search under the profiler (which slows Python code more than native code)."""
    for query in queries:
        retriever.search(query, k=10)  # caches the vector of the text the search encodes
    profiler = cProfile.Profile()
    profiler.enable()
    for query in queries:
        retriever.search(query, k=10)
    profiler.disable()
    by_module: Counter[str] = Counter()
    for (filename, _, function), (_, _, tottime, _, _) in pstats.Stats(profiler).stats.items():
        by_module[_module_of(filename, function)] += tottime
    total = sum(by_module.values())
    return [(name, ms(seconds) / len(queries)) for name, seconds in by_module.most_common()], ms(total) / len(queries)


def _module_of(filename: str, function: str) -> str:
    """'retriever/ranking.py', 'numpy', 'faiss', a built-in's name … for a profile entry."""
    if filename == "~":  # a built-in: numpy's C functions, sqlite3, re …
        return f"built-in {function.strip('<>').split(' of ')[0].replace('built-in method ', '')}"
    path = Path(filename)
    if "site-packages" in path.parts:
        return path.parts[path.parts.index("site-packages") + 1]
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return path.name


def http_pass(run: BenchRun, embedder: str, path: str, params: dict[str, str]) -> tuple[dict, int, float]:
    """One fresh server, each query sent once to ``path``: timings (s), error count, server start time."""
    server = start_server(run.index_dir, env=run.env(embedder))
    try:
        times, errors = [], 0
        with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
            for query in WARM_UP_QUERIES:
                client.get(path, params={"q": query, **params})
            for query in run.queries:
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


def over_http(run: BenchRun) -> dict[str, dict[str, tuple[dict, int, float]]]:
    """Per embedder: search and ask over HTTP, each on its own fresh server (no query vector cached)."""
    return {embedder: {"search": http_pass(run, embedder, "/api/search", {"k": "10"}),
                       "ask": http_pass(run, embedder, "/api/ask", {})} for embedder in run.embedders}


def _row(name: str, stats: dict[str, float], *extra: object) -> list[object]:
    return [name, stats["n"], f"{ms(stats['p50']):.1f}", f"{ms(stats['p95']):.1f}", f"{ms(stats['p99']):.1f}",
            f"{ms(stats['mean']):.1f}", *extra]


def report(local: dict, profile: tuple[str, list[tuple[str, float]], float], http: dict | None) -> str:
    """The Markdown section (also printed)."""
    headers = ["", "n", "p50 ms", "p95 ms", "p99 ms", "mean ms"]
    rows = []
    for kind, what in (("encode", "encode one query"), ("search", "search k=10"),
                       ("cached", "search k=10, query vector cached"), ("ask", "ask")):
        rows += [_row(f"{what} ({label(e)})", local[e][kind]) for e in local]
    lines = [section_stamp(), "",
             "In process (`Retriever.search(q, k=10)`, `Retriever.ask(q)`; query-vector cache cleared before every "
             "call, so each call pays for encoding the query, except the 'query vector cached' row, which is all "
             "of a search but the encoding). Each embedder in a fresh process of its own, one after the other, "
             "over the same index:", "", md_table(headers, rows), ""]
    lines += _targets(local, http)
    name, modules, total = profile
    lines += ["", f"Where a search's time goes besides encoding ({label(name)}, query vectors cached, under cProfile, "
              f"which slows Python code more than native code: {total:.1f} ms per search profiled). Self time per "
              "module, ms per search:", "",
              md_table(["module", "ms per search", "share"],
                       [[module, f"{value:.2f}", f"{value / total:.0%}"] for module, value in modules[:PROFILE_ROWS]])]
    if http is not None:
        rows = []
        for e, passes in http.items():
            rows += [_row(f"GET /api/search k=10 ({label(e)})", passes["search"][0], passes["search"][1],
                          f"{passes['search'][2]:.1f}"),
                     _row(f"GET /api/ask ({label(e)})", passes["ask"][0], passes["ask"][1], f"{passes['ask'][2]:.1f}")]
        lines += ["", "Over HTTP (sequential GET on one `reportqa serve` worker, keep-alive client; each distinct "
                  "query sent once to a freshly started server, so this is the first, uncached pass; 'start s' is "
                  "from starting `reportqa serve` to /api/health answering, the index already built):", "",
                  md_table(headers + ["errors", "start s"], rows)]
    return "\n".join(lines)


def _targets(local: dict, http: dict | None) -> list[str]:
    """The issue's targets, each with its figure (ONNX against PyTorch where both ran)."""
    lines = []
    fast = "onnx" if "onnx" in local else next(iter(local))
    if "onnx" in local and "minilm" in local:
        ratio = local["onnx"]["encode"]["p95"] / local["minilm"]["encode"]["p95"]
        lines.append(f"- encode p95 ONNX / PyTorch = **{ratio:.2f}×** (target ≤ {ENCODE_P95_RATIO}×: "
                     f"{verdict(ratio <= ENCODE_P95_RATIO)})")
    for e in local:
        ratio = local[e]["search"]["p95"] / local[e]["encode"]["p95"]
        target = f" (target ≤ {SEARCH_P95_OVER_ENCODE:.0f}×: {verdict(ratio <= SEARCH_P95_OVER_ENCODE)})" \
            if e == fast else ""
        lines.append(f"- {label(e)}: search p95 / encode p95 = **{ratio:.2f}×**{target}; ask p95 "
                     f"{ms(local[e]['ask']['p95']):.1f} ms (target ≤ {ASK_P95_MS:.0f} ms: "
                     f"{verdict(ms(local[e]['ask']['p95']) <= ASK_P95_MS)})")
    if http is not None:
        for e in http:
            ratio = http[e]["search"][0]["p95"] / local[e]["search"]["p95"]
            start = max(http[e]["search"][2], http[e]["ask"][2])
            lines.append(f"- {label(e)}: HTTP search p95 / in-process search p95 = **{ratio:.2f}×** (target ≤ "
                         f"{HTTP_OVER_IN_PROCESS}×: {verdict(ratio <= HTTP_OVER_IN_PROCESS)}); start to /api/health "
                         f"**{start:.1f} s** (slower of two starts; target ≤ {START_TO_HEALTH_S} s: "
                         f"{verdict(start <= START_TO_HEALTH_S)})")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_bench_args(parser)
    parser.add_argument("--skip-http", action="store_true", help="only the in-process figures")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--smoke-index", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:  # one embedder, in this process (see measure_in_subprocess)
        run = smoke_run(args.smoke_index) if args.smoke_index else BenchRun(
            CORPUS_DIR, args.index, load_queries(), tuple(args.embedders))
        print(json.dumps(measure_embedder(run, run.embedders[0], args.profile)))
        return 0
    run = bench_run(args)
    print(f"latency: {len(run.queries)} queries, index {run.index_dir}, embedders {' '.join(run.embedders)}",
          flush=True)
    fast = "onnx" if "onnx" in run.embedders else run.embedders[0]
    measured = {e: measure_in_subprocess(run, e, profile=e == fast) for e in run.embedders}
    local = {e: m["local"] for e, m in measured.items()}
    profile = (fast, *measured[fast]["profile"])
    http = None if args.skip_http else over_http(run)
    run.write("Latency", report(local, profile, http))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
