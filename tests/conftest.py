"""Shared fixtures: the small fixture corpus with a fake embedder, the real reports parsed
(no model), and one real-model index over the bundled corpus for the whole session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from indexer.build import build_index  # noqa: E402
from indexer.corpus import discover  # noqa: E402
from indexer.document import CleanDocument, build_document  # noqa: E402
from indexer.embedding import FakeEmbedder  # noqa: E402
from indexer.loaders import load  # noqa: E402
from reportqa.settings import PROJECT_ROOT, Settings  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_CORPUS = FIXTURES / "corpus"
REAL_CORPUS = PROJECT_ROOT / "corpus"


def fake_settings(corpus: Path, index: Path, **extra) -> Settings:
    """Settings for a small corpus with the fake embedder (small chunks, no fitted weights)."""
    values = dict(corpus_dir=corpus, index_dir=index, embedder="fake", chunk_target_tokens=60,
                  weights_path=index / "no-weights.json", allowed_hosts=["testserver", "127.0.0.1", "localhost"],
                  form_key_path=index.parent / "form-key")
    values.update(extra)
    return Settings(**values)


def evaluator_settings(settings: Settings, judgements: Path, eval_root: Path) -> Settings:
    """``settings`` with evaluator mode on, judgements written to ``judgements``, and the question sets
    and eval run reports under ``eval_root / "eval"``."""
    return settings.model_copy(update={"evaluator_mode": True, "judgements_path": judgements,
                                       "eval_dir": eval_root / "eval", "reports_dir": eval_root / "eval" / "reports"})


def app_for(settings: Settings, retriever):
    """The web app serving ``retriever`` under ``settings``, as the web tests use it: the retriever is
    set in the app's holder (nothing is loaded at startup) and injected by a dependency override."""
    from web.app import create_app
    from web.deps import get_retriever
    from web.holder import RetrieverHolder

    holder = RetrieverHolder(settings)
    holder.set(retriever)
    app = create_app(settings, holder=holder, load_on_startup=False)
    app.dependency_overrides[get_retriever] = lambda: retriever
    return app


def client_for(settings: Settings, retriever, **client_options):
    """A TestClient of ``app_for(settings, retriever)``; ``client_options`` go to the TestClient."""
    from fastapi.testclient import TestClient

    return TestClient(app_for(settings, retriever), **client_options)


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium for a module's browser tests (tests/browser_support.py): skipped without
    Chromium, failed instead with REPORTQA_REQUIRE_BROWSER=1."""
    from browser_support import chromium

    with chromium() as instance:
        yield instance


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of the fixture corpus."""
    target = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, target)
    return target


@pytest.fixture
def fake_built(tmp_path: Path, corpus_copy: Path) -> Settings:
    """Settings whose index has been built from a copy of the fixture corpus (fake embedder)."""
    settings = fake_settings(corpus_copy, tmp_path / "index")
    build_index(settings, embedder=FakeEmbedder(), progress=False)
    return settings


@pytest.fixture(scope="session")
def fake_retriever(tmp_path_factory):
    """A Retriever over the fixture corpus with the fake embedder (built once)."""
    from retriever.retriever import Retriever

    root = tmp_path_factory.mktemp("fake")
    corpus = root / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    settings = fake_settings(corpus, root / "index")
    embedder = FakeEmbedder()
    build_index(settings, embedder=embedder, progress=False)
    return Retriever.open(settings, embedder=embedder)


@pytest.fixture(scope="session")
def real_documents() -> dict[str, CleanDocument]:
    """The two bundled reports, cleaned and structured (no model needed)."""
    return {f.meta.doc_id: build_document(load(f), f.meta) for f in discover(REAL_CORPUS)}


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory) -> Settings:
    """Settings for a real-model index of the bundled corpus, built once per session."""
    index_dir = tmp_path_factory.mktemp("real") / "index"
    settings = Settings(corpus_dir=REAL_CORPUS, index_dir=index_dir)
    build_index(settings, progress=False)
    return settings


@pytest.fixture(scope="session")
def real_retriever(real_settings):
    from retriever.retriever import Retriever

    return Retriever.open(real_settings)


# --- the evaluator workbench (helpers in tests/workbench_support.py) ---------------------------------------------
@pytest.fixture(scope="session")
def eval_root(fake_retriever, tmp_path_factory) -> Path:
    """An eval folder with the workbench questions and one real run of two configurations over the
    fake index (read only: tests that write runs use their own folder)."""
    from workbench_support import CONFIGS, write_questions

    from eval.evaluate import evaluate

    root = tmp_path_factory.mktemp("wb")
    write_questions(root / "eval" / "questions.jsonl")
    evaluate(fake_retriever, root / "eval" / "questions.jsonl", "dev", CONFIGS, root / "eval" / "reports")
    return root


@pytest.fixture
def wb_settings(fake_retriever, eval_root, tmp_path) -> Settings:
    """Evaluator mode on, the eval folder ``eval_root``, judgements in a fresh store."""
    return evaluator_settings(fake_retriever.settings, tmp_path / "judgements.sqlite3", eval_root)


@pytest.fixture
def wb_client(wb_settings, fake_retriever):
    return client_for(wb_settings, fake_retriever)


@pytest.fixture
def fabricated(tmp_path: Path) -> Path:
    """A reports folder with two fabricated runs (workbench_support.write_fabricated)."""
    from workbench_support import write_fabricated

    return write_fabricated(tmp_path / "reports")
