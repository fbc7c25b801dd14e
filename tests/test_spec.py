"""What an index must match (indexer.spec): the build spec from the settings, and the differences between
the corpus and what an index was built from."""

from __future__ import annotations

import pytest

from indexer.build import build_index, is_up_to_date
from indexer.embedding import FakeEmbedder
from indexer.store import IndexStaleError
from reportqa.cli import check_index
from retriever.retriever import Retriever


def test_stale_index_is_refused(fake_built) -> None:
    (fake_built.corpus_dir / "gamma.md").write_text("# Gamma\n\nNew report.\n", encoding="utf-8")
    with pytest.raises(IndexStaleError, match="new file gamma.md"):
        Retriever.open(fake_built, embedder=FakeEmbedder())
    assert any("gamma.md" in p for p in check_index(fake_built))


def test_manifest_edit_makes_the_index_stale_and_a_rebuild_takes_it(fake_built) -> None:
    manifest = fake_built.corpus_dir / "manifest.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        'title = "Alpha Review of Disruption Measures"', 'title = "Alpha Review, Second Edition"'), encoding="utf-8")
    with pytest.raises(IndexStaleError, match="changed manifest entry of alpha-review.txt"):
        Retriever.open(fake_built, embedder=FakeEmbedder())
    report = build_index(fake_built, embedder=FakeEmbedder(), progress=False)
    assert not report.up_to_date and report.embedded == 0  # the text did not change: vectors are reused
    retriever = Retriever.open(fake_built, embedder=FakeEmbedder())
    assert retriever.documents["alpha-review"].meta.title == "Alpha Review, Second Edition"


@pytest.mark.parametrize("change", [{"pdf_heading_ratio": 1.3}, {"pdf_column_gap_points": 20.0},
                                    {"pdf_contents_title_similarity": 0.8}])
def test_a_changed_pdf_layout_setting_makes_the_index_stale_without_touching_the_weights(fake_built, change) -> None:
    """Every layout threshold, and how contents entries give section start pages, is in the build spec."""
    from retriever.weights import fingerprint

    other = fake_built.model_copy(update=change)
    fresh, problems = is_up_to_date(other)
    assert not fresh and any("PDF layout" in p for p in problems)
    assert fingerprint(other) == fingerprint(fake_built)  # fitted weights stay valid
    build_index(other, embedder=FakeEmbedder(), progress=False)
    assert is_up_to_date(other)[0]
