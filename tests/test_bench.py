"""Every benchmark script runs in its smoke mode (fixture corpus, fake embedder, a few queries), so
that a refactor cannot break one silently; none of them touches bench/RESULTS.md then."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bench.common import RESULTS_PATH
from reportqa.settings import PROJECT_ROOT

# What each script prints when it ran to the end: a row of its table, or a figure.
SCRIPTS = {
    "latency": ["| search k=10, query vector cached (fake (smoke)) |", "| GET /api/ask (fake (smoke)) |",
                "Where a search's time goes besides encoding"],
    "throughput": ["| fake (smoke) | 1 | 2 | 12 |"],
    "index_build": ["| no-change re-index (fake (smoke)) |", "after 50 searches (0 errors)"],
    "scale": ["| 2x-hnsw | fake (smoke) | 32 | hnsw |", "| efSearch | recall@10 | ms/query |"],
    "pdf_survey": ["tables: 4 found in the PDF, 4 in the Markdown"],
    "run_all": ["bench.scale        ok", "smoke run: RESULTS.md not written"],
}


def run_smoke(name: str, *options: str) -> str:
    before = RESULTS_PATH.read_bytes()
    done = subprocess.run([sys.executable, "-m", f"bench.{name}", "--smoke", *options], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"bench.{name} --smoke failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    assert RESULTS_PATH.read_bytes() == before
    return done.stdout


@pytest.mark.parametrize("name", [name for name in SCRIPTS if name != "pdf_survey"])
def test_a_bench_script_runs_in_smoke_mode(name: str) -> None:
    output = run_smoke(name, *(["--only", "scale"] if name == "run_all" else []))
    for expected in SCRIPTS[name]:
        assert expected in output


@pytest.mark.browser
def test_the_pdf_survey_bench_runs_in_smoke_mode() -> None:
    from browser_support import require_browser

    require_browser()
    output = run_smoke("pdf_survey")
    for expected in SCRIPTS["pdf_survey"]:
        assert expected in output
