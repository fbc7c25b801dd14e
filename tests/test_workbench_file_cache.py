"""The workbench's file cache (web/workbench/file_cache.py): a value is read once per version of
its file, a failed read is not kept, the least recently used value goes first, and threads
sharing it always get a value read under the stamp they asked for."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from web.workbench.file_cache import FileCache, file_stamp


def test_a_value_is_read_again_only_when_its_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    path.write_text("one", encoding="utf-8")
    cache: FileCache[str] = FileCache(max_entries=4)
    reads: list[str] = []

    def read() -> str:
        reads.append(path.read_text(encoding="utf-8"))
        return reads[-1]

    assert cache.get(path, file_stamp(path), read) == cache.get(path, file_stamp(path), read) == "one"
    assert reads == ["one"]
    path.write_text("two!", encoding="utf-8")  # a new size: a new stamp even within one clock tick
    assert cache.get(path, file_stamp(path), read) == "two!" and reads == ["one", "two!"]
    os.utime(path, ns=(1, 1))  # the same size, another time
    assert cache.get(path, file_stamp(path), read) == "two!" and len(reads) == 3
    assert file_stamp(tmp_path / "missing") is None


def test_a_failed_read_is_not_kept(tmp_path: Path) -> None:
    cache: FileCache[str] = FileCache(max_entries=4)

    def broken() -> str:
        raise ValueError("half written")

    with pytest.raises(ValueError):
        cache.get("k", 1, broken)
    assert len(cache) == 0 and cache.get("k", 1, lambda: "fixed") == "fixed"


def test_the_least_recently_used_value_goes_first() -> None:
    cache: FileCache[str] = FileCache(max_entries=2)
    cache.get("a", 1, lambda: "A")
    cache.get("b", 1, lambda: "B")
    cache.get("a", 1, lambda: "not read")  # a is used again: b is now the least recently used
    cache.get("c", 1, lambda: "C")
    assert len(cache) == 2
    assert cache.get("a", 1, lambda: "read again") == "A" and cache.get("b", 1, lambda: "B again") == "B again"


def test_threads_sharing_the_cache_get_the_value_of_their_stamp() -> None:
    cache: FileCache[tuple[str, int]] = FileCache(max_entries=3)
    wrong: list[tuple] = []

    def worker(n: int) -> None:
        for i in range(300):
            key, stamp = f"k{(n + i) % 5}", i % 3
            value = cache.get(key, stamp, lambda key=key, stamp=stamp: (key, stamp))
            if value != (key, stamp):
                wrong.append((key, stamp, value))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == [] and len(cache) <= 3
