"""Leases (indexer.store.leases): a served build survives pruning; a dead process's lease does not count."""

from __future__ import annotations

from indexer.build import build_index
from indexer.embedding import FakeEmbedder
from indexer.store import live_build


def test_a_leased_build_survives_back_to_back_builds(fake_built) -> None:
    from indexer.store import leased_builds, release_lease, take_lease

    served = live_build(fake_built.index_dir)
    lease = take_lease(fake_built.index_dir, served)
    for n in range(3):  # each build prunes to the newest two, plus what a server holds
        (fake_built.corpus_dir / "alpha-review.txt").write_text(f"Report number {n} about hotels.\n", encoding="utf-8")
        build_index(fake_built, embedder=FakeEmbedder(), progress=False)
    assert served.is_dir() and served.name in leased_builds(fake_built.index_dir)
    release_lease(lease)
    (fake_built.corpus_dir / "alpha-review.txt").write_text("Report number 9 about hotels.\n", encoding="utf-8")
    build_index(fake_built, embedder=FakeEmbedder(), progress=False)
    assert not served.exists()


def test_a_lease_of_a_dead_process_does_not_hold_a_build(fake_built) -> None:
    from indexer.store import LEASES, leased_builds

    served = live_build(fake_built.index_dir)
    (fake_built.index_dir / LEASES).mkdir(exist_ok=True)
    stale = fake_built.index_dir / LEASES / f"999999999-{served.name}"
    stale.write_text(served.name, encoding="utf-8")
    assert leased_builds(fake_built.index_dir) == set() and not stale.exists()


def test_a_lease_is_held_until_released(tmp_path) -> None:
    from indexer.store import leased_builds, release_lease, take_lease

    lease = take_lease(tmp_path, tmp_path / "build-1")
    assert leased_builds(tmp_path) == {"build-1"} and lease.read_text(encoding="utf-8") == "build-1"
    release_lease(lease)
    release_lease(None)  # nothing held: nothing to do
    assert leased_builds(tmp_path) == set() and not lease.exists()
