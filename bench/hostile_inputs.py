"""Hostile inputs against the indexer: every file that ``../shared/hostile/make_pdfs.py`` and
``make_texts.py`` generate, each indexed alone, with its wall time, peak RSS and outcome.

    python -m bench.hostile_inputs [--generators ../shared/hostile] [--real-tokenizer] [--caps-off] [--only '*.pdf']

Each file is copied into a corpus of its own (``xss.md`` with its questions file) and indexed by
``reportqa index`` in a subprocess with the fake embedder, so the figures are what reading,
structuring, chunking, passage questions and writing cost (embedding costs the same per text whatever
the file). Peak RSS is the largest VmHWM of any process in the command's tree (the indexer, and the
child process that reads a PDF), sampled every 50 ms. With ``--real-tokenizer`` the text files are also
chunked with the real model's tokenizer (``chunk s``), as ``chunk_time.py`` does. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import PROJECT_ROOT, descendants, md_table, peak_rss_mb, reportqa_command

GENERATORS = PROJECT_ROOT.parent / "shared" / "hostile"
COMPANIONS = {"xss.md": ["xss.questions.jsonl"]}  # files indexed together with a report
NOT_REPORTS = {"xss.questions.jsonl"}


@dataclass
class Outcome:
    """One file indexed alone."""

    name: str
    size: int
    seconds: float
    peak_mb: float
    result: str
    chunk_seconds: float | None = None


def generate(generators: Path, work: Path) -> list[Path]:
    """Run both generators into ``work``; the files they made, PDFs first."""
    files = []
    work.mkdir(parents=True, exist_ok=True)
    for script, folder in (("make_pdfs.py", "pdfs"), ("make_texts.py", "texts")):
        subprocess.run([sys.executable, str(generators / script), str(work / folder)], check=True,
                       capture_output=True, cwd=work)
        files += sorted(p for p in (work / folder).iterdir() if p.name not in NOT_REPORTS)
    return files


# With --caps-off, each PDF is read again with the cheap caps (indexer.pdf_budget) out of the way: only the
# child process's memory and time limits stand between it and the indexer.
CAPS_OFF = {"REPORTQA_PDF_MAX_PAGES": "1000000", "REPORTQA_PDF_PAGE_STREAM_MB": "1000",
            "REPORTQA_PDF_PAGE_TOKENS": "100000000", "REPORTQA_PDF_FILE_TOKENS": "1000000000"}


def run_index(path: Path, work: Path, timeout: float, extra_env: dict[str, str] | None = None) -> Outcome:
    """``reportqa index`` over a corpus holding only ``path`` (with ``extra_env`` settings): time, peak RSS
    of its process tree, outcome."""
    corpus, index = work / "corpus", work / "index"
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.rmtree(index, ignore_errors=True)
    corpus.mkdir(parents=True)
    for name in [path.name, *COMPANIONS.get(path.name, [])]:
        shutil.copy(path.with_name(name), corpus / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    env.update(REPORTQA_EMBEDDER="fake", REPORTQA_WEIGHTS_PATH=str(work / "no-weights.json"), **(extra_env or {}))
    started = time.perf_counter()
    process = subprocess.Popen([*reportqa_command(), "index", "--corpus", str(corpus), "--index", str(index)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    while process.poll() is None and time.perf_counter() - started < timeout:
        for pid in [process.pid, *descendants(process.pid)]:
            peak = max(peak, peak_rss_mb(pid))
        time.sleep(0.05)
    if process.poll() is None:
        process.kill()
    out, err = process.communicate()
    seconds = time.perf_counter() - started
    return Outcome(path.name, path.stat().st_size, seconds, peak, _result(out, err, process.returncode, timeout))


def _result(out: str, err: str, code: int, timeout: float) -> str:
    """The outcome in words: passages indexed, the skip reason, or how the command failed."""
    if code == -9 or code is None:
        return f"still running after {timeout:g} s: killed"
    indexed = re.search(r"Indexed: \d+ documents?, (\d+) passages", out)
    warnings = len(re.findall(r"^warning: ", err, re.MULTILINE))
    if indexed and "skipped: none" in out:
        extra = f"; {warnings} question warnings" if warnings else ""
        removed = re.search(r"(\d+) NUL or control characters removed", err)
        extra += f"; {removed.group(1)} control characters removed" if removed else ""
        return f"indexed: {indexed.group(1)} passages{extra}"
    # the command's own line ("skipped NAME: reason", or "no reports to index … (skipped NAME: reason)")
    skipped = re.search(r"^skipped \S+: (.*)$|\(skipped \S+?: (.*)\)$", err, re.MULTILINE)
    if skipped:
        return "skipped: " + (skipped.group(1) or skipped.group(2)).strip()
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    return f"exit {code}: " + (lines[-1][:200] if lines else "no message")


def chunk_seconds(path: Path) -> float | None:
    """Reading, structuring and chunking ``path`` with the real tokenizer (no embedding), in a subprocess."""
    code = ("import sys, time; from pathlib import Path\n"
            "from indexer.chunking import Chunker; from indexer.corpus import SourceFile\n"
            "from indexer.embedding import create_embedder; from indexer.ingest import document_meta, structure\n"
            "from indexer.loaders import LoadError, load; from reportqa.settings import Settings\n"
            "s = Settings(); e = create_embedder('minilm'); src = SourceFile(Path(sys.argv[1]), 'x', None)\n"
            "t = time.perf_counter()\n"
            "try:\n"
            "    raw = load(src, s.pdf_layout, s.input_limits); doc = structure(raw, document_meta(src, None, 't'))\n"
            "    Chunker(s.chunker, e.max_tokens, e.count_tokens, s.max_word_chars).chunk(doc)\n"
            "except LoadError: pass\n"
            "print(time.perf_counter() - t)\n")
    result = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                            cwd=PROJECT_ROOT, timeout=1800)
    try:
        return float(result.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--generators", type=Path, default=GENERATORS)
    parser.add_argument("--real-tokenizer", action="store_true", help="also time chunking with the real tokenizer")
    parser.add_argument("--caps-off", action="store_true", help="also read each PDF with only the child's limits")
    parser.add_argument("--only", default="*", help="a file name pattern: only the generated files it matches")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds before a run is killed")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-hostile-", dir="/tmp"))
    try:
        rows = []
        for path in [p for p in generate(args.generators, work / "files") if fnmatch.fnmatch(p.name, args.only)]:
            runs = [(path.name, run_index(path, work, args.timeout))]
            if args.caps_off and path.suffix == ".pdf":
                runs.append((f"{path.name} (caps off)", run_index(path, work, args.timeout, CAPS_OFF)))
            if args.real_tokenizer and path.suffix != ".pdf":
                runs[0][1].chunk_seconds = chunk_seconds(path)
            for label, outcome in runs:
                print(f"{label}: {outcome.seconds:.1f} s, {outcome.peak_mb:.0f} MB, {outcome.result}",
                      file=sys.stderr, flush=True)
                rows.append([label, f"{outcome.size:,}", f"{outcome.seconds:.1f}", f"{outcome.peak_mb:.0f}",
                             "—" if outcome.chunk_seconds is None else f"{outcome.chunk_seconds:.1f}",
                             outcome.result])
        print(md_table(["file", "bytes", "index s", "peak RSS MB", "chunk s (real tokenizer)", "outcome"], rows))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
