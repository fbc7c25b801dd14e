"""The store's errors (indexer.store.errors): each way an index cannot be used raises its own error, all of
them IndexStoreErrors (what the CLI and the web catch), each saying what to run."""

from __future__ import annotations

import pytest

from indexer.embedding import FakeEmbedder
from indexer.store import (
    IndexCorruptError,
    IndexMismatchError,
    IndexMissingError,
    IndexStaleError,
    IndexStoreError,
    live_build,
    open_index,
)
from retriever.retriever import Retriever


def _missing(settings):
    open_index(settings.index_dir / "nowhere")


def _mismatched(settings):
    Retriever.open(settings.model_copy(update={"chunk_target_tokens": 61}), embedder=FakeEmbedder())


def _corrupt(settings):
    (live_build(settings.index_dir) / "questions.npy").write_bytes(b"junk")
    open_index(settings.index_dir)


def _stale(settings):
    (settings.corpus_dir / "gamma.md").write_text("# Gamma\n\nA new report.\n", encoding="utf-8")
    Retriever.open(settings, embedder=FakeEmbedder())


@pytest.mark.parametrize(("cause", "error", "advice"), [
    (_missing, IndexMissingError, "run `reportqa index` first"),
    (_mismatched, IndexMismatchError, "reportqa index --rebuild"),
    (_corrupt, IndexCorruptError, "run `reportqa index --rebuild`"),
    (_stale, IndexStaleError, "reportqa index"),
])
def test_each_failure_has_its_own_error_saying_what_to_run(fake_built, cause, error, advice: str) -> None:
    with pytest.raises(error) as caught:
        cause(fake_built)
    assert isinstance(caught.value, IndexStoreError) and advice in str(caught.value)
