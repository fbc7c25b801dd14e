"""The index manifest (``manifest.json`` of a build) as a typed record: how the build was made
(format, model, chunker and structure settings), which sources it holds, its counts, and a
checksum for every file. Read and written only through ``IndexManifest``; a manifest that does not
fit it is damage, reported as such."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from indexer.store.errors import IndexCorruptError, IndexStoreError
from indexer.store.paths import MANIFEST, live_build


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class ModelInfo(_Record):
    """The embedding model the vectors come from."""

    name: str
    dim: int


class IndexedSource(_Record):
    """A corpus file that became a report of the index."""

    status: Literal["indexed"] = "indexed"
    sha256: str
    doc_id: str
    passages: int
    questions_sha256: str | None = None  # of its passage questions file, when it has one
    meta_sha256: str = ""  # of its manifest.toml entry


class SkippedSource(_Record):
    """A corpus file that was not indexed, and why (remembered so that it is not retried on every start)."""

    status: Literal["skipped"] = "skipped"
    sha256: str
    reason: str = ""


SourceRecord = Annotated[IndexedSource | SkippedSource, Field(discriminator="status")]


class BuildCounts(_Record):
    """What the build holds."""

    documents: int = 0
    passages: int = 0
    tables: int = 0
    table_rows: int = 0
    figures: int = 0
    acronyms: int = 0
    sentences: int = Field(0, description="passage sentences, each with its own vector")
    callouts_removed: int = Field(0, description="pull-quotes dropped as repeats of nearby body text")
    skipped: int = Field(0, description="files not indexed (and links not followed), each with its reason")
    questions: int = 0
    passages_with_questions: int = 0
    question_warnings: int = Field(0, description="lines of questions files that could not be used")
    measures: int = Field(0, description="measure cards")


class FaissInfo(_Record):
    """The passage vector index: exact inner product ("flat") or HNSW with ``m`` links."""

    kind: Literal["flat", "hnsw"]
    m: int


class LexicalInfo(_Record):
    """The bm25 parameters the lexical index was built with."""

    kind: str = "bm25s"
    method: str = "lucene"
    k1: float = 1.5
    b: float = 0.75


class FileRecord(_Record):
    """The size and sha256 of one index file, checked on every open."""

    bytes: int
    sha256: str


class IndexManifest(_Record):
    """Everything ``manifest.json`` records. ``build_id``, ``faiss``, ``lexical`` and ``files`` are set
    by the writer; ``synthetic`` only by the scale benchmark's generated indexes."""

    format_version: int
    built_at: str
    model: ModelInfo
    chunker: dict[str, Any]
    structure: dict[str, Any] = Field(default_factory=dict)
    sources: dict[str, SourceRecord] = Field(default_factory=dict)
    counts: BuildCounts = Field(default_factory=BuildCounts)
    build_id: str = ""
    faiss: FaissInfo | None = None
    lexical: LexicalInfo | None = None
    files: dict[str, FileRecord] = Field(default_factory=dict)
    synthetic: dict[str, Any] | None = None

    def indexed(self) -> dict[str, IndexedSource]:
        """The sources that were indexed, by file name."""
        return {name: s for name, s in self.sources.items() if isinstance(s, IndexedSource)}

    def skipped(self) -> dict[str, SkippedSource]:
        """The sources that were skipped, by file name."""
        return {name: s for name, s in self.sources.items() if isinstance(s, SkippedSource)}

    def to_json(self) -> str:
        """The manifest as written to disk (sorted keys, so that two builds compare line by line)."""
        data = self.model_dump(mode="json", exclude={"synthetic"} if self.synthetic is None else set())
        return json.dumps(data, indent=2, sort_keys=True)


def read_manifest(build: Path) -> IndexManifest:
    """The manifest of the build folder ``build``. Raises IndexCorruptError when it is missing or
    does not hold a manifest."""
    path = build / MANIFEST
    try:
        return IndexManifest.model_validate_json(path.read_bytes())
    except FileNotFoundError as exc:
        raise IndexCorruptError(f"{path} is missing; run `reportqa index --rebuild`") from exc
    except (OSError, ValidationError) as exc:
        raise IndexCorruptError(f"{path} is damaged; run `reportqa index --rebuild`") from exc


def current_manifest(index_dir: Path) -> IndexManifest | None:
    """The live build's manifest, or None when there is no usable one (no errors raised)."""
    try:
        build = live_build(index_dir)
        return read_manifest(build) if build else None
    except IndexStoreError:
        return None
