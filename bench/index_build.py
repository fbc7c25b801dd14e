"""Index build cost and server memory.

Runs `reportqa index` as a subprocess on a copy of the bundled corpus (under /tmp): a cold build into a
fresh directory, a re-index with nothing changed, and an incremental re-index after appending a paragraph
to one report; each with its wall time and peak RSS. Then starts `reportqa serve` on the bench index and
reads the server's RSS after start and after 50 queries.

    python -m bench.index_build [--index /tmp/bench-index] [--keep]
"""

from __future__ import annotations

import argparse
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
    CORPUS_DIR,
    PROJECT_ROOT,
    add_index_arg,
    ensure_bench_index,
    load_queries,
    replace_section,
    reportqa_command,
    section_stamp,
    start_server,
    stop_server,
    verdict,
)

COLD_TARGET_S = 30.0
NO_CHANGE_TARGET_S = 2.0
SERVER_RSS_TARGET_MB = 600.0
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


def run_index(label: str, corpus: Path, index: Path) -> Run:
    """Run `reportqa index` and measure its wall time and peak RSS (via /usr/bin/time -v when present)."""
    cmd = reportqa_command() + ["index", "--corpus", str(corpus), "--index", str(index)]
    use_time = TIME.exists()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(([str(TIME), "-v"] if use_time else []) + cmd, cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=1800)
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


def build_runs(work: Path) -> list[Run]:
    """Cold build, no-change re-index, incremental re-index after changing one report."""
    corpus, index = work / "corpus", work / "index"
    shutil.copytree(CORPUS_DIR, corpus)
    runs = [run_index("cold build", corpus, index), run_index("no-change re-index", corpus, index)]
    with (corpus / CHANGED_FILE).open("a", encoding="utf-8") as fh:
        fh.write(APPENDED)
    runs.append(run_index(f"incremental (paragraph appended to {CHANGED_FILE})", corpus, index))
    return runs


def server_memory(index_dir: Path, queries: list[str]) -> dict[str, float]:
    """Server RSS after start and after SERVER_QUERIES searches (MB), and its peak."""
    server = start_server(index_dir)
    try:
        pid = server.proc.pid
        out = {"start_s": server.started_seconds, "after_start": sum(server.rss().values())}
        errors = 0
        with httpx.Client(base_url=server.base_url, timeout=60.0) as client:
            for query in queries[:SERVER_QUERIES]:
                errors += client.get("/api/search", params={"q": query, "k": "10"}).status_code != 200
        out.update(after_queries=sum(server.rss().values()), peak=server.peak_rss().get(pid, 0.0), errors=errors)
        return out
    finally:
        stop_server(server)


def report(runs: list[Run], memory: dict[str, float]) -> str:
    """The Markdown section (also printed)."""
    cold, same, incremental = runs
    passages = cold.count("passages") or 0
    rows = []
    for run in runs:
        peak = f"{run.peak_mb:.0f}" if run.peak_mb is not None else "n/a"
        reported = f"{run.reported_seconds:.1f}" if run.reported_seconds is not None else "n/a"
        rows.append(f"| {run.label} | {run.wall:.1f} | {reported} | {peak} | {run.count('embedded')} | "
                    f"{run.count('reused')} |")
    lines = [section_stamp(), "",
             "`reportqa index --corpus COPY --index FRESH` as a subprocess, on a copy of `corpus/` under /tmp "
             f"(peak RSS from {cold.peak_source}; wall time includes starting Python and loading the model "
             "when it is needed; 'build s' is the build's own timer from its summary line):", "",
             "| run | wall s | build s | peak RSS MB | texts embedded | reused |", "|---|---|---|---|---|---|",
             *rows, "",
             f"- cold build: **{cold.wall:.1f} s** for {passages} passages = {passages / cold.wall:.1f} passages/s "
             f"(target ≤ {COLD_TARGET_S:.0f} s: {verdict(cold.wall <= COLD_TARGET_S)})",
             f"- no-change re-index: **{same.wall:.2f} s** (target ≤ {NO_CHANGE_TARGET_S:.0f} s: "
             f"{verdict(same.wall <= NO_CHANGE_TARGET_S)})",
             f"- incremental re-index after one appended paragraph: **{incremental.wall:.1f} s**",
             f"- server (`reportqa serve`, 1 worker): RSS **{memory['after_start']:.0f} MB** after start "
             f"({memory['start_s']:.1f} s to /api/health), **{memory['after_queries']:.0f} MB** after "
             f"{SERVER_QUERIES} searches ({int(memory['errors'])} errors), peak {memory['peak']:.0f} MB "
             f"(target ≤ {SERVER_RSS_TARGET_MB:.0f} MB: "
             f"{verdict(max(memory['after_queries'], memory['peak']) <= SERVER_RSS_TARGET_MB)})"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_index_arg(parser)
    parser.add_argument("--keep", action="store_true", help="keep the temporary corpus copy and index")
    args = parser.parse_args(argv)
    ensure_bench_index(args.index)
    work = Path(tempfile.mkdtemp(prefix="bench-build-", dir="/tmp"))
    try:
        runs = build_runs(work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    memory = server_memory(args.index, load_queries())
    text = report(runs, memory)
    print(text)
    replace_section("Index build", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
