"""Where an index keeps its files (indexer.store.paths): the CURRENT pointer, refused when damaged."""

from __future__ import annotations

import pytest

from indexer.store import CURRENT_FILE, IndexCorruptError, live_build, open_index
from reportqa.cli import check_index


def test_garbage_current_pointer_is_detected(fake_built) -> None:
    (fake_built.index_dir / CURRENT_FILE).write_text("../../etc\n", encoding="utf-8")
    with pytest.raises(IndexCorruptError):
        open_index(fake_built.index_dir)


@pytest.mark.parametrize("pointer", [b"\xff\xfe\x00build", b"build-1\x1b[31m", b""])
def test_a_damaged_current_pointer_is_a_clear_error(fake_built, pointer: bytes) -> None:
    (fake_built.index_dir / "CURRENT").write_bytes(pointer)
    with pytest.raises(IndexCorruptError, match="CURRENT is damaged"):
        open_index(fake_built.index_dir)
    assert any("CURRENT is damaged" in p for p in check_index(fake_built))


def test_no_pointer_means_no_index(tmp_path) -> None:
    assert live_build(tmp_path) is None
    (tmp_path / CURRENT_FILE).write_text("build-20260101T000000-1-00001\n", encoding="utf-8")
    assert live_build(tmp_path) == tmp_path / "build-20260101T000000-1-00001"
