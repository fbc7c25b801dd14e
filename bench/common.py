"""Shared helpers for the benchmarks: percentiles, the RESULTS.md sections, the benchmark queries,
the bench index, a `reportqa serve` subprocess, and process memory from /proc.

Every script takes ``--embedders`` (the embedders compared side by side in one run: PyTorch
'minilm' and ONNX 'onnx' by default) and ``--smoke``: a tiny run on the test fixture corpus with the
fake embedder and a few queries, in a temporary folder, that prints its section and leaves
RESULTS.md alone (tests/test_bench.py runs every script so, so that a refactor cannot break one
silently).
"""

from __future__ import annotations

import argparse
import atexit
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESULTS_PATH = PROJECT_ROOT / "bench" / "RESULTS.md"
QUESTIONS_PATH = PROJECT_ROOT / "eval" / "questions.jsonl"
CORPUS_DIR = PROJECT_ROOT / "corpus"
DEFAULT_INDEX = Path("/tmp/bench-index")
DEFAULT_EMBEDDERS = ("minilm", "onnx")
EMBEDDER_LABELS = {"minilm": "PyTorch", "onnx": "ONNX", "fake": "fake (smoke)"}
SMOKE_CORPUS = PROJECT_ROOT / "tests" / "fixtures" / "corpus"
SMOKE_QUERIES = 6
RESULTS_TITLE = "# ReportQA benchmark results"
SECTION_ORDER = ("Latency", "Throughput", "Index build", "Scale")


# --- numbers -----------------------------------------------------------------------------------
def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile: the smallest value with at least p% of the values at or below it."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summarize(values: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99, mean and count of a list of timings (same unit as the input)."""
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "mean": sum(values) / len(values) if values else float("nan"),
    }


def ms(seconds: float) -> float:
    return seconds * 1000.0


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def md_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# --- RESULTS.md ----------------------------------------------------------------------------------
def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo ('unknown' when absent)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def machine_line() -> str:
    return (f"Machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu_model()}; "
            f"updated {time.strftime('%Y-%m-%d %H:%M:%S %Z')}.")


def _split_sections(text: str) -> dict[str, str]:
    """The '## Title' sections of a results file, by title (each body without its heading)."""
    sections: dict[str, str] = {}
    for match in re.finditer(r"^## (.+?)\n(.*?)(?=^## |\Z)", text, flags=re.S | re.M):
        sections[match.group(1).strip()] = match.group(2).strip()
    return sections


def replace_section(title: str, body: str, path: Path = RESULTS_PATH) -> None:
    """Write ``body`` as the '## title' section of RESULTS.md, keeping the other sections,
    and refresh the header that names the machine."""
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    sections = _split_sections(existing)
    sections[title] = body.strip()
    order = [t for t in SECTION_ORDER if t in sections] + [t for t in sections if t not in SECTION_ORDER]
    header = (f"{RESULTS_TITLE}\n\n{machine_line()}\n\n"
              "Written by the scripts in bench/ (see bench/README.md); each script replaces its own section. "
              "Figures are wall-clock times on a shared machine and vary from run to run.\n")
    parts = [header] + [f"## {t}\n\n{sections[t]}\n" for t in order]
    path.write_text("\n".join(parts), encoding="utf-8")


def section_stamp() -> str:
    """When and where a section was measured, with the load average (other work skews the figures)."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"Run {time.strftime('%Y-%m-%d %H:%M:%S %Z')} on {len(os.sched_getaffinity(0))} cores ({cpu_model()}); "
            f"load average at the end {load}.")


# --- queries and index -------------------------------------------------------------------------------
def load_queries(path: Path = QUESTIONS_PATH) -> list[str]:
    """The 'question' field of every question (all splits), without repeats, in file order."""
    seen: dict[str, None] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            question = json.loads(line).get("question", "").strip()
            if question:
                seen.setdefault(question, None)
    return list(seen)


def bench_settings(index_dir: Path, **overrides: object):
    """Settings for an index directory, with the bundled corpus (an absolute path)."""
    from reportqa.settings import Settings

    values: dict[str, object] = {"index_dir": Path(index_dir), "corpus_dir": CORPUS_DIR}
    values.update(overrides)
    return Settings(**values)


def ensure_bench_index(index_dir: Path, **overrides: object) -> None:
    """Build the real-model index of the bundled corpus in ``index_dir`` unless it is up to date."""
    from indexer.build import build_index, is_up_to_date

    settings = bench_settings(index_dir, **overrides)
    fresh, reasons = is_up_to_date(settings)
    if fresh:
        return
    print(f"building the bench index in {index_dir} ({'; '.join(reasons)}) …", flush=True)
    report = build_index(settings, progress=False)
    print(f"built {report.counts.passages} passages in {report.seconds:.1f} s", flush=True)


def add_index_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX,
                        help=f"index directory, built when missing or stale (default {DEFAULT_INDEX})")


def add_bench_args(parser: argparse.ArgumentParser) -> None:
    """--index, --embedders and --smoke (see the module docstring)."""
    add_index_arg(parser)
    parser.add_argument("--embedders", nargs="+", default=list(DEFAULT_EMBEDDERS), choices=("minilm", "onnx"),
                        help="embedders measured side by side (default: minilm onnx)")
    parser.add_argument("--smoke", action="store_true",
                        help="a tiny run (fixture corpus, fake embedder, a few queries); RESULTS.md is not written")


@dataclass(frozen=True)
class BenchRun:
    """What one benchmark run works on: corpus, index, queries and the embedders compared. Every
    embedder serves the same index (they are one model); a smoke run uses the fake embedder."""

    corpus_dir: Path
    index_dir: Path
    queries: list[str]
    embedders: tuple[str, ...]
    smoke: bool = False

    def overrides(self, embedder: str) -> dict[str, object]:
        """Settings values for ``embedder`` (the fake one has no fitted weights)."""
        values: dict[str, object] = {"corpus_dir": self.corpus_dir, "embedder": embedder}
        if embedder == "fake":
            values["weights_path"] = self.index_dir.parent / "no-weights.json"
        return values

    def settings(self, embedder: str, **overrides: object):
        return bench_settings(self.index_dir, **(self.overrides(embedder) | overrides))

    def env(self, embedder: str) -> dict[str, str]:
        """Environment for a `reportqa` subprocess serving or building with ``embedder``."""
        return {f"REPORTQA_{name.upper()}": str(value) for name, value in self.overrides(embedder).items()}

    def write(self, title: str, text: str) -> None:
        """Print the section, and write it into RESULTS.md unless this is a smoke run."""
        print(text)
        if not self.smoke:
            replace_section(title, text)


def bench_run(args: argparse.Namespace) -> BenchRun:
    """The run the arguments ask for, with its index built (a smoke run's in a temporary folder)."""
    if args.smoke:
        work = Path(tempfile.mkdtemp(prefix="bench-smoke-", dir="/tmp"))
        atexit.register(shutil.rmtree, work, True)
        run = smoke_run(work / "index")
    else:
        run = BenchRun(CORPUS_DIR, args.index, load_queries(), tuple(args.embedders))
    ensure_bench_index(run.index_dir, **run.overrides(run.embedders[-1]))
    return run


def smoke_run(index_dir: Path) -> BenchRun:
    """The smoke run over ``index_dir``: fixture corpus, fake embedder, SMOKE_QUERIES queries."""
    return BenchRun(SMOKE_CORPUS, index_dir, load_queries()[:SMOKE_QUERIES], ("fake",), smoke=True)


def label(embedder: str) -> str:
    return EMBEDDER_LABELS.get(embedder, embedder)


# --- process memory ----------------------------------------------------------------------------------
def _status_kb(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def rss_mb(pid: int | None = None) -> float:
    """Current resident memory (VmRSS) of a process, in MB (0 when it is gone)."""
    return (_status_kb(pid or os.getpid(), "VmRSS") or 0) / 1024.0


def peak_rss_mb(pid: int | None = None) -> float:
    """Peak resident memory (VmHWM) of a process, in MB (0 when it is gone)."""
    return (_status_kb(pid or os.getpid(), "VmHWM") or 0) / 1024.0


def start_time(pid: int) -> str:
    """The start time of a process (field 22 of /proc/<pid>/stat), '' when it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def descendants(pid: int) -> list[int]:
    """All descendant process ids of ``pid`` (from the parent ids in /proc/*/stat)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text(encoding="utf-8")
            ppid = int(text.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


# --- the server -----------------------------------------------------------------------------------------
def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def reportqa_command() -> list[str]:
    """The `reportqa` console script of the running interpreter's environment."""
    script = Path(sys.executable).with_name("reportqa")
    return [str(script)] if script.exists() else ["reportqa"]


@dataclass
class Server:
    """A `reportqa serve` subprocess bound to 127.0.0.1."""

    proc: subprocess.Popen
    port: int
    workers: int
    log_path: Path
    started_seconds: float = 0.0  # until /api/health first answered 200
    pids: dict[int, str] = field(default_factory=dict)  # pid → start time, so a reused pid is never killed

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def processes(self) -> list[int]:
        """The server process and its workers (remembered so that they can be stopped by id)."""
        found = [self.proc.pid] + descendants(self.proc.pid)
        for pid in found:
            self.pids.setdefault(pid, start_time(pid))
        return found

    def rss(self) -> dict[int, float]:
        """Current RSS in MB of each server process."""
        return {pid: rss_mb(pid) for pid in self.processes()}

    def peak_rss(self) -> dict[int, float]:
        return {pid: peak_rss_mb(pid) for pid in self.processes()}


def start_server(index_dir: Path, workers: int = 1, env: dict[str, str] | None = None,
                 timeout: float = 300.0) -> Server:
    """Start `reportqa serve` on a free port and wait until /api/health answers 200."""
    port = free_port()
    child_env = {k: v for k, v in os.environ.items() if k != "REPORTQA_API_TOKEN"}
    child_env.update({"REPORTQA_INDEX_DIR": str(index_dir), "REPORTQA_CORPUS_DIR": str(CORPUS_DIR),
                      "REPORTQA_HOST": "127.0.0.1", "TOKENIZERS_PARALLELISM": "false"})
    child_env.update(env or {})
    log_fd, log_name = tempfile.mkstemp(prefix="bench-server-", suffix=".log", dir="/tmp")
    cmd = reportqa_command() + ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=child_env, stdout=log_fd, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    os.close(log_fd)
    server = Server(proc, port, workers, Path(log_name))
    try:
        _wait_healthy(server, timeout)
        server.started_seconds = time.perf_counter() - started
        _wait_idle(server, timeout)
    except BaseException:
        stop_server(server, keep_log=True)
        raise
    return server


def _wait_healthy(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=server.base_url, timeout=5.0) as client:
        while time.monotonic() < deadline:
            if server.proc.poll() is not None:
                raise RuntimeError(f"the server exited ({server.proc.returncode}); log: {server.log_path}\n"
                                   + server.log_path.read_text(encoding="utf-8", errors="replace")[-2000:])
            server.processes()
            try:
                if client.get("/api/health").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
    raise TimeoutError(f"the server did not answer /api/health within {timeout:.0f} s; log: {server.log_path}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, in seconds (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _wait_idle(server: Server, timeout: float, window: float = 1.0, busy: float = 0.1) -> None:
    """Wait until the server's processes use under ``busy`` CPU-seconds per ``window``: /api/health
    answers as soon as one worker is up, while the others may still be loading the model."""
    deadline = time.monotonic() + timeout
    before = sum(cpu_seconds(pid) for pid in server.processes())
    while time.monotonic() < deadline:
        time.sleep(window)
        after = sum(cpu_seconds(pid) for pid in server.processes())
        if after - before < busy:
            return
        before = after


def stop_server(server: Server, timeout: float = 20.0, keep_log: bool = False) -> None:
    """Stop the server (SIGTERM, then SIGKILL) and any of its workers still alive, by process id."""
    if server.proc.poll() is None:
        server.processes()
        server.proc.send_signal(signal.SIGTERM)
        try:
            server.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait(timeout=timeout)
    for pid, started in server.pids.items():
        if pid != server.proc.pid:
            _kill_if_same(pid, started)
    if not keep_log:
        server.log_path.unlink(missing_ok=True)


def _kill_if_same(pid: int, started: str) -> None:
    """SIGKILL ``pid`` if it is still the process we saw (same start time)."""
    if not started or start_time(pid) != started:
        return
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
