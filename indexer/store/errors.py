"""Why an index cannot be used: one exception per case, each message saying what to do."""

from __future__ import annotations


class IndexStoreError(Exception):
    """Base class: the index cannot be used as it is. The message says what to do."""


class IndexMissingError(IndexStoreError):
    """There is no index yet."""


class IndexMismatchError(IndexStoreError):
    """The index was built with another format, model, chunker or structure settings."""


class IndexCorruptError(IndexStoreError):
    """A file of the index is missing, damaged or does not match its checksum."""


class IndexStaleError(IndexStoreError):
    """The corpus changed since the index was built."""
