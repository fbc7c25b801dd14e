"""The package installs: a built wheel carries every data file the code reads (templates, weights,
the everyday-word table, the question set and the bundled reports), and, installed outside the
source tree and run from an empty folder, it indexes and searches the bundled reports.

The wheel is installed with ``pip install --no-deps --target`` into a fresh folder and run by this
virtualenv's interpreter (which has the dependencies: a second virtualenv would reinstall PyTorch),
with that folder first on the path; the test checks the code came from there, not from the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from reportqa.settings import PROJECT_ROOT

PACKAGES = ("reportqa", "indexer", "retriever", "web", "eval")
DATA_FILES = ("web/templates/search.html", "web/static/style.css", "retriever/weights.json",
              "retriever/colloquial.toml", "eval/questions.jsonl", "reportqa/bundled_corpus/manifest.toml",
              "reportqa/bundled_corpus/scoping-review.txt", "reportqa/bundled_corpus/survey-report.md")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # built from a copy: setuptools leaves a build/ folder behind, whose stale files a later wheel would carry
    source = tmp_path_factory.mktemp("source") / "reportqa"
    shutil.copytree(PROJECT_ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "index", "build", "mutants", "*.egg-info", "test-artifacts", "__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                    str(source)], check=True, capture_output=True)
    return next(out.glob("reportqa-*.whl"))


def test_the_wheel_carries_every_data_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert [f for f in DATA_FILES if f not in names] == []


def test_the_wheel_carries_every_module(wheel: Path) -> None:
    """Every module of the installed packages, sub-packages included (each must be listed in pyproject.toml)."""
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = [path.relative_to(PROJECT_ROOT).as_posix() for package in PACKAGES
               for path in (PROJECT_ROOT / package).rglob("*.py")]
    assert modules and [m for m in modules if m not in names] == []


@pytest.mark.model
def test_installed_wheel_indexes_and_searches_from_an_empty_folder(wheel: Path, tmp_path: Path) -> None:
    target, empty, data = tmp_path / "site", tmp_path / "empty", tmp_path / "data"
    empty.mkdir()
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    env.update(PYTHONPATH=str(target), XDG_DATA_HOME=str(data), HF_HUB_OFFLINE="1")

    def reportqa(*args: str) -> subprocess.CompletedProcess:
        code = "import sys, reportqa.cli as c; sys.exit(c.main(sys.argv[1:]))"
        return subprocess.run([sys.executable, "-c", code, *args], cwd=empty, env=env, capture_output=True,
                              text=True, timeout=600)

    where = subprocess.run([sys.executable, "-c", "import reportqa, retriever; print(reportqa.__file__, "
                            "retriever.__file__)"], cwd=empty, env=env, capture_output=True, text=True)
    assert all(path.startswith(str(target)) for path in where.stdout.split()), where.stdout
    indexed = reportqa("index")
    assert indexed.returncode == 0, indexed.stderr
    assert "2 documents" in indexed.stdout and (data / "reportqa" / "index" / "CURRENT").exists()
    found = reportqa("search", "what is a child abduction warning notice", "--k", "3", "--json")
    assert found.returncode == 0, found.stderr
    results = json.loads(found.stdout)["results"]
    assert len(results) == 3 and {r["doc_id"] for r in results} <= {"scoping-review", "survey-report"}
    assert list(empty.iterdir()) == []  # nothing written where it was run
