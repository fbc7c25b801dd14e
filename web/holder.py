"""Keeps the live Retriever for the web app, and swaps in a rebuilt index without a failed request.

Each request asks ``current()``. At most once a second that checks the index's CURRENT pointer;
when it names a new build, the new build is opened and verified in a background thread while
requests keep being answered from the old one, then the two are swapped in one assignment.
A new build that fails verification is reported and not served; the old one stays.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from indexer.store import CURRENT_FILE, IndexStoreError, release_lease, take_lease
from reportqa.settings import Settings
from retriever.retriever import Retriever

log = logging.getLogger(__name__)
CHECK_INTERVAL = 1.0


class RetrieverHolder:
    """The current retriever, reloaded when the index on disk changes."""

    def __init__(self, settings: Settings, opener: Callable[[Settings], Retriever] | None = None) -> None:
        self.settings = settings
        self.opener = opener or (lambda s: Retriever.open(s, check_corpus=False))
        self._retriever: Retriever | None = None
        self._build: str | None = None
        self._checked = 0.0
        self._loading = False
        self._lock = threading.Lock()
        self._lease: Path | None = None
        self.last_error: str | None = None

    def _pointer(self) -> str | None:
        try:
            return (self.settings.index_dir / CURRENT_FILE).read_text(encoding="utf-8").strip()
        except OSError:
            return None

    def load(self) -> Retriever:
        """Open the live index now (at startup). Raises IndexStoreError when it is unusable."""
        build = self._pointer()
        retriever = self.opener(self.settings)
        retriever.warm_up()
        with self._lock:
            self._retriever, self._build = retriever, build
        self._hold(build)
        return retriever

    def _hold(self, build: str | None) -> None:
        """Lease the build now served (pruning keeps it), and release the one before."""
        if not build:
            return
        previous = self._lease
        try:
            self._lease = take_lease(self.settings.index_dir, self.settings.index_dir / build)
        except OSError as exc:  # a read-only index folder: serving goes on, pruning is someone else's
            log.warning("cannot lease index build %s: %s", build, exc)
            return
        if previous != self._lease:
            release_lease(previous)

    @property
    def loaded(self) -> bool:
        """True once a retriever is being served."""
        return self._retriever is not None

    def set(self, retriever: Retriever) -> None:
        """Serve this retriever (tests inject one) and stop watching the disk."""
        with self._lock:
            self._retriever, self._build = retriever, "fixed"
            self._checked = float("inf")

    def current(self) -> Retriever:
        """The retriever to answer this request with. Raises IndexStoreError when none is loaded."""
        now = time.monotonic()
        if now - self._checked >= CHECK_INTERVAL:
            self._checked = now
            build = self._pointer()
            if build and build != self._build and not self._loading:
                self._loading = True
                threading.Thread(target=self._reload, args=(build,), daemon=True).start()
        retriever = self._retriever
        if retriever is None:
            raise IndexStoreError(self.last_error or "the index is not loaded yet")
        return retriever

    def catch_up(self) -> Retriever:
        """The retriever for the build on disk now: when a new build has been written, it is opened
        in this thread first (so /api/health reports a re-index at once, not after later requests).
        Raises IndexStoreError when none is loaded."""
        build = self._pointer()
        if build and build != self._build and self._build != "fixed":
            with self._lock:
                busy = self._loading
                self._loading = True
            if not busy:
                self._reload(build)
        return self.current()

    def _reload(self, build: str) -> None:
        try:
            retriever = self.opener(self.settings)  # the embedder is cached: the model is not reloaded
            retriever.warm_up()
            with self._lock:
                self._retriever, self._build = retriever, build
            self._hold(build)
            self.last_error = None
            log.warning("now serving index build %s", build)
        except (IndexStoreError, OSError, ValueError) as exc:  # ValueError: weights that do not fit
            self.last_error = str(exc)
            self._build = build  # do not retry this broken build on every request
            log.error("new index build %s not served: %s", build, exc)
        finally:
            self._loading = False
