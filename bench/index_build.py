"""Index build cost and server memory, for each embedder (PyTorch 'minilm' and ONNX 'onnx' by default).

Runs `reportqa index` as a subprocess on a copy of the bundled corpus (under /tmp): a cold build into a
fresh directory, a re-index with nothing changed, and an incremental re-index after appending a paragraph
to one report; each with its wall time and peak RSS. With ONNX, first a cold build in an empty data
directory, which exports the model to ONNX before indexing (once per installation). Then starts
`reportqa serve` on the bench index and reads the server's RSS after start and after 50 queries.

    python -m bench.index_build [--index /tmp/bench-index] [--embedders minilm onnx] [--keep] [--smoke]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.common import (
    PROJECT_ROOT,
    BenchRun,
    add_bench_args,
    bench_run,
    label,
    reportqa_command,
    section_stamp,
    start_server,
    stop_server,
    verdict,
)

COLD_TARGET_S = 20.0
NO_CHANGE_TARGET_S = 2.0
SERVER_RSS_TARGET_MB = 250.0
START_TO_HEALTH_S = 1.5
SERVER_QUERIES = 50
CHANGED_FILE = "scoping-review.txt"
APPENDED = (
    "\n\nBenchmark addendum. This paragraph was appended by bench/index_build.py to measure an incremental "
    "re-index. Officers may consider a child abduction warning notice when a suspect repeatedly associates "
    "with a child, and should record every contact so that the evidence can support further action.\n"
)
TIME = Path("/usr/bin/time")


@dataclass
class Run:
    """One `reportqa index` run."""

    label: str
    wall: float
    peak_mb: float | None
    summary: str
    peak_source: str

    @property
    def reported_seconds(self) -> float | None:
        match = re.search(r";\s*([\d.]+) s\s*$", self.summary)
        return float(match.group(1)) if match else None

    def count(self, word: str) -> int | None:
        """A number from the summary line: 'embedded 12', 'reused 2190', '635 passages'."""
        match = re.search(rf"{word} (\d+)", self.summary) or re.search(rf"(\d+) {word}", self.summary)
        return int(match.group(1)) if match else None


def run_index(label: str, corpus: Path, index: Path, env: dict[str, str]) -> Run:
    """Run `reportqa index` and measure its wall time and peak RSS (via /usr/bin/time -v when present)."""
    cmd = reportqa_command() + ["index", "--corpus", str(corpus), "--index", str(index)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")} | env
    use_time = TIME.exists()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(([str(TIME), "-v"] if use_time else []) + cmd, cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=1800, env=env)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"`{' '.join(cmd)}` failed ({done.returncode}):\n{done.stderr[-2000:]}")
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    if use_time:
        match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        peak, source = (int(match.group(1)) / 1024.0 if match else None), "/usr/bin/time -v"
    else:
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        peak = after / 1024.0 if after > before else None
        source = "getrusage(RUSAGE_CHILDREN)"
    print(f"{label}: {wall:.1f} s wall, peak RSS {peak or float('nan'):.0f} MB — {summary}", flush=True)
    return Run(label, wall, peak, summary, source)


def build_runs(work: Path, run: BenchRun, embedder: str) -> list[Run]:
    """Cold build, no-change re-index, incremental re-index after changing one report; with ONNX,
    first a cold build in an empty data directory (it exports the model before indexing)."""
    corpus, index, env = work / "corpus", work / "index", run.env(embedder)
    shutil.copytree(run.corpus_dir, corpus)
    tag = f" ({label(embedder)})"
    runs = []
    if embedder == "onnx":
        runs.append(run_index("cold build, first run: exports the model to ONNX" + tag, corpus, work / "first",
                              env | {"REPORTQA_DATA_DIR": str(work / "data")}))
    runs += [run_index("cold build" + tag, corpus, index, env),
             run_index("no-change re-index" + tag, corpus, index, env)]
    changed = corpus / CHANGED_FILE if (corpus / CHANGED_FILE).exists() else min(corpus.glob("*.txt"))
    with changed.open("a", encoding="utf-8") as fh:
        fh.write(APPENDED)
    runs.append(run_index(f"incremental (paragraph appended to {changed.name})" + tag, corpus, index, env))
    return runs


def server_memory(run: BenchRun, embedder: str) -> dict[str, float]:
    """Server RSS after start and after SERVER_QUERIES searches (MB), and its peak."""
    server = start_server(run.index_dir, env=run.env(embedder))
    try:
        pid = server.proc.pid
        out = {"start_s": server.started_seconds, "after_start": sum(server.rss().values())}
        errors = 0
        with httpx.Client(base_url=server.base_url, timeout=60.0) as client:
            for n in range(SERVER_QUERIES):
                query = run.queries[n % len(run.queries)]
                errors += client.get("/api/search", params={"q": query, "k": "10"}).status_code != 200
        out.update(after_queries=sum(server.rss().values()), peak=server.peak_rss().get(pid, 0.0), errors=errors)
        return out
    finally:
        stop_server(server)


def report(runs: dict[str, list[Run]], memory: dict[str, dict[str, float]]) -> str:
    """The Markdown section (also printed)."""
    rows = []
    for run in (r for own in runs.values() for r in own):
        peak = f"{run.peak_mb:.0f}" if run.peak_mb is not None else "n/a"
        reported = f"{run.reported_seconds:.1f}" if run.reported_seconds is not None else "n/a"
        rows.append(f"| {run.label} | {run.wall:.1f} | {reported} | {peak} | {run.count('embedded')} | "
                    f"{run.count('reused')} |")
    first = next(iter(runs.values()))[0]
    lines = [section_stamp(), "",
             "`reportqa index --corpus COPY --index FRESH` as a subprocess, on a copy of the corpus under /tmp "
             f"(peak RSS from {first.peak_source}; wall time includes starting Python and loading the model "
             "when it is needed; 'build s' is the build's own timer from its summary line):", "",
             "| run | wall s | build s | peak RSS MB | texts embedded | reused |", "|---|---|---|---|---|---|",
             *rows, ""]
    for embedder, own in runs.items():
        cold, same, incremental = own[-3:]
        passages = cold.count("passages") or 0
        lines += [f"- {label(embedder)}: cold build **{cold.wall:.1f} s** for {passages} passages = "
                  f"{passages / cold.wall:.1f} passages/s (target ≤ {COLD_TARGET_S:.0f} s: "
                  f"{verdict(cold.wall <= COLD_TARGET_S)}); no-change re-index **{same.wall:.2f} s** (target ≤ "
                  f"{NO_CHANGE_TARGET_S:.0f} s: {verdict(same.wall <= NO_CHANGE_TARGET_S)}); incremental re-index "
                  f"after one appended paragraph **{incremental.wall:.1f} s**"]
    for embedder, m in memory.items():
        lines.append(f"- server (`reportqa serve`, 1 worker, {label(embedder)}): RSS **{m['after_start']:.0f} MB** "
                     f"after start, **{m['after_queries']:.0f} MB** after {SERVER_QUERIES} searches "
                     f"({int(m['errors'])} errors), peak {m['peak']:.0f} MB (target ≤ {SERVER_RSS_TARGET_MB:.0f} MB: "
                     f"{verdict(max(m['after_queries'], m['peak']) <= SERVER_RSS_TARGET_MB)}); "
                     f"**{m['start_s']:.1f} s** from start to /api/health (target ≤ {START_TO_HEALTH_S} s: "
                     f"{verdict(m['start_s'] <= START_TO_HEALTH_S)})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_bench_args(parser)
    parser.add_argument("--keep", action="store_true", help="keep the temporary corpus copies and indexes")
    args = parser.parse_args(argv)
    run = bench_run(args)
    runs: dict[str, list[Run]] = {}
    for embedder in run.embedders:
        work = Path(tempfile.mkdtemp(prefix=f"bench-build-{embedder}-", dir="/tmp"))
        try:
            runs[embedder] = build_runs(work, run, embedder)
        finally:
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
    memory = {embedder: server_memory(run, embedder) for embedder in run.embedders}
    run.write("Index build", report(runs, memory))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
