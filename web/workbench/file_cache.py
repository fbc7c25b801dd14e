"""A small cache of what was read from files, each value kept until its file changes; safe to
share between the threads that serve requests."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")
Stamp = tuple[int, int] | None


def file_stamp(path: Path) -> Stamp:
    """``(mtime_ns, size)`` of ``path``, or None when it does not exist: a file changed changes its stamp."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_mtime_ns, stat.st_size


class FileCache(Generic[T]):
    """Values by key, each with the stamp of the file it was read from (``file_stamp``).

    ``get`` reads the value again when the stamp has changed. The read runs outside the lock, so
    a slow read holds up no other request (two requests may then both read; the later is kept); a
    read that raises stores nothing. At most ``max_entries`` values are kept, the least recently
    used dropped first.
    """

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[Hashable, T]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, stamp: Hashable, read: Callable[[], T]) -> T:
        """The value for ``key`` read under ``stamp``: cached, or ``read()`` now."""
        with self._lock:
            cached = self._entries.get(key)
            if cached is not None and cached[0] == stamp:
                self._entries.move_to_end(key)
                return cached[1]
        value = read()
        with self._lock:
            self._entries[key] = (stamp, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
