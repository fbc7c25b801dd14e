"""Find the reports in a corpus folder and read their metadata from ``manifest.toml``."""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reportqa.records import DocumentMeta

MANIFEST_NAME = "manifest.toml"
GLOSSARY_NAME = "glossary.toml"  # curated long forms of acronyms (indexer.glossary_file)
IGNORED_NAMES = {"README.md", "readme.md", "README.txt", "QUESTIONS.md"}  # notes about the corpus, not reports


SAFE_ID = r"^[a-z0-9][a-z0-9_-]{0,79}$"  # used in URLs and file names: no '/', spaces, '?' or '#'
SHORT_TITLE_MAX = 80


class ManifestEntry(BaseModel):
    """One [[report]] table of manifest.toml. Other keys (notes such as ``cited_as``) are ignored."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    file: str = Field(min_length=1, max_length=255, pattern=r"^[^/\\]+$")
    id: str | None = Field(None, pattern=SAFE_ID)
    title: str | None = Field(None, min_length=1, max_length=500)
    short_title: str | None = Field(None, min_length=1, max_length=SHORT_TITLE_MAX)
    authors: str | list[str] = Field("", description="a display string, or a list of names ('Wager, Nadia')")
    author_names: list[str] | None = Field(None, description="names for citations, each 'Family, Given'")
    publisher: str = Field("", max_length=500)
    place: str = Field("", max_length=200, description="place of publication")
    url: str = Field("", max_length=1000, pattern=r"^(https?://\S+)?$", description="the publisher's page")
    date: str | int = Field("", description="a year or a date as written")
    attribution: str = Field("", max_length=2000)
    source: str = Field("", max_length=500)

    @field_validator("authors")
    @classmethod
    def _authors_not_too_long(cls, value: str | list[str]) -> str | list[str]:
        joined = value if isinstance(value, str) else ", ".join(value)
        if len(joined) > 2000:
            raise ValueError("at most 2000 characters of authors")
        return value


class ManifestFile(BaseModel):
    model_config = ConfigDict(extra="ignore")

    report: list[ManifestEntry] = Field(default_factory=list)


def _where(loc: tuple) -> str:
    """'[[report]] entry 2, field "authors"' from a pydantic error location."""
    if len(loc) >= 3 and loc[0] == "report" and isinstance(loc[1], int):
        return f'[[report]] entry {loc[1] + 1}, field "{loc[2]}"'
    if len(loc) >= 2 and loc[0] == "report":
        return f'[[report]] entry {loc[1] + 1}'
    return '"report" (a list of [[report]] tables)'


class CorpusError(Exception):
    """The corpus folder or its manifest cannot be used as it is."""


@dataclass(frozen=True)
class SourceFile:
    """One report file in the corpus, with its hash and any manifest metadata."""

    path: Path
    sha256: str
    meta: DocumentMeta | None
    questions_sha256: str | None = None  # of its passage questions file, when it has one
    assigned_id: str | None = None  # set by discovery when the id its name gives belongs to another report
    id_note: str = ""  # why, for the build's warnings

    @property
    def doc_id(self) -> str:
        """The manifest entry's id; else the id the file name gives, unless that belongs to another report."""
        if self.meta is not None:
            return self.meta.doc_id
        return self.assigned_id or slugify(self.path.stem)

    @property
    def meta_sha256(self) -> str:
        """A hash of this report's manifest entry (empty entry when it has none): editing the
        manifest changes titles and citations, so the index must be rebuilt."""
        return hashlib.sha256(repr(self.meta).encode("utf-8")).hexdigest()

    @property
    def questions_path(self) -> Path:
        """Where this report's passage questions are (see indexer.passage_questions)."""
        return self.path.with_name(f"{self.doc_id}.questions.jsonl")

    @property
    def name(self) -> str:
        return self.path.name


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def slugify(name: str) -> str:
    """A lowercase id made of letters, digits and hyphens, from a file stem."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "report"


def read_manifest(corpus_dir: Path) -> dict[str, DocumentMeta]:
    """Metadata by file name from ``corpus_dir/manifest.toml``; empty when there is none.

    Raises CorpusError when the manifest is not valid TOML or an entry lacks a file name.
    """
    path = corpus_dir / MANIFEST_NAME
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path}: not valid TOML ({exc}); fix or remove it") from exc
    try:
        entries = ManifestFile.model_validate(data).report
    except ValidationError as exc:
        error = exc.errors()[0]
        where = _where(error["loc"])
        raise CorpusError(f"{path}: {where}: {error['msg']}; fix it or remove the entry") from exc
    metas: dict[str, DocumentMeta] = {}
    owners: dict[str, int] = {}
    for n, entry in enumerate(entries, start=1):
        if entry.file in metas:
            raise CorpusError(f"{path}: [[report]] entry {n} repeats the file {entry.file!r}; keep one entry a file")
        doc_id = entry.id or slugify(Path(entry.file).stem)
        if doc_id in owners:
            raise CorpusError(f"{path}: [[report]] entries {owners[doc_id]} and {n} both have the id {doc_id!r}; "
                              "give each report its own id")
        owners[doc_id] = n
        title = entry.title or Path(entry.file).stem
        metas[entry.file] = DocumentMeta(
            doc_id=doc_id,
            file=entry.file,
            title=title,
            short_title=entry.short_title or title[:SHORT_TITLE_MAX],
            authors=_display_authors(entry.authors),
            author_names=_author_names(entry),
            place=entry.place,
            url=entry.url,
            publisher=entry.publisher,
            date=str(entry.date),
            attribution=entry.attribution,
            source=entry.source,
        )
    return metas


def _display_authors(authors: str | list[str]) -> str:
    """The byline: a string as written, or a list of 'Family, Given' names as 'Given Family, …'."""
    if isinstance(authors, str):
        return authors
    names = [" ".join(reversed([p.strip() for p in a.split(",", 1)])) if "," in a else a.strip() for a in authors]
    return ", ".join(n for n in names if n)


def _author_names(entry: ManifestEntry) -> tuple[str, ...]:
    """Authors for citations: ``author_names``, else ``authors`` when it is a list (else none: the
    citation formatter then parses the display string)."""
    if entry.author_names:
        return tuple(a.strip() for a in entry.author_names if a.strip())
    if isinstance(entry.authors, list):
        return tuple(a.strip() for a in entry.authors if a.strip())
    return ()


def supported_suffixes() -> tuple[str, ...]:
    """The file suffixes a loader is registered for (see ``indexer.loaders.LOADERS``)."""
    from indexer.loaders import LOADERS  # the loaders import SourceFile from here

    return tuple(LOADERS)


def discover(corpus_dir: Path) -> list[SourceFile]:
    """Every supported report file in ``corpus_dir`` (not recursive), sorted by name.

    Raises CorpusError when the folder does not exist.
    """
    return discover_with_skips(corpus_dir)[0]


def discover_with_skips(corpus_dir: Path) -> tuple[list[SourceFile], list[tuple[str, str]]]:
    """The report files of ``corpus_dir``, and (name, reason) for each entry with a report's
    suffix that is not used: a link that is broken, loops, or leads outside the corpus folder (a
    link to /etc/passwd must not be indexed and shown), or something that is not a regular file.

    Raises CorpusError when the folder does not exist.
    """
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist")
    metas = read_manifest(corpus_dir)
    suffixes = supported_suffixes()
    root = corpus_dir.resolve()
    paths, skipped = [], []
    for path in sorted(corpus_dir.iterdir()):
        if path.name in IGNORED_NAMES or path.name.startswith(".") or path.suffix.lower() not in suffixes:
            continue
        reason = _unusable(path, root)
        if reason:
            skipped.append((path.name, reason))
            continue
        paths.append(path)
    ids = distinct_ids([p.name for p in paths], metas)
    files = []
    for path in paths:
        assigned, note = ids.get(path.name, (None, ""))
        source = SourceFile(path=path, sha256=sha256_file(path), meta=metas.get(path.name), assigned_id=assigned,
                            id_note=note)
        if source.questions_path.is_file():
            source = replace(source, questions_sha256=sha256_file(source.questions_path))
        files.append(source)
    return files, skipped


def distinct_ids(names: list[str], metas: dict[str, DocumentMeta]) -> dict[str, tuple[str, str]]:
    """A distinct id, and why, for each file without a manifest entry whose name gives an id that is
    taken (file name → (id, note)). Every id of the manifest belongs to its entry's file, whether or
    not that file is there, so a stray 'Survey-Report.md' never takes over 'survey-report' (nor its
    questions). Among files without an entry, one whose name is already its id ('notes.md') keeps it
    first, then the others in name order. A file that loses its id gets the id of its whole name
    ('survey-report-md'), numbered if that is taken too."""
    owner = {meta.doc_id: f"{file} (manifest.toml)" for file, meta in metas.items()}
    unlisted = sorted((n for n in names if n not in metas), key=lambda n: (slugify(Path(n).stem) != Path(n).stem, n))
    out: dict[str, tuple[str, str]] = {}
    for name in unlisted:
        wanted = slugify(Path(name).stem)
        if wanted not in owner:
            owner[wanted] = name
            continue
        doc_id, n = slugify(name), 2
        while doc_id in owner:
            doc_id, n = f"{slugify(name)}-{n}", n + 1
        owner[doc_id] = name
        out[name] = (doc_id, f"its id {wanted!r} belongs to {owner[wanted]}; indexed as {doc_id!r}")
    return out


def _unusable(path: Path, root: Path) -> str | None:
    """Why a corpus entry cannot be read as a report, or None."""
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return "it is a broken or looping link"
        if not target.is_relative_to(root):
            return "it is a link to a file outside the corpus folder"
    if not path.is_file():
        return "it is a folder or a special file, not a regular file"
    return None
