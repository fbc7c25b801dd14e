"""What an index must match to be served: the build spec (model, dimension, index format and
chunker), read from the settings, and the differences between a corpus and the sources an index
was built from. Query-time code checks an index with these and never imports the build pipeline."""

from __future__ import annotations

from indexer.chunking import CHUNKER_VERSION
from indexer.corpus import GLOSSARY_NAME, SourceFile, sha256_file
from indexer.embedding import embedder_spec
from indexer.measure_aliases import MEASURE_ALIASES_NAME
from indexer.store.manifest import IndexManifest
from indexer.store.verify import BuildSpec
from reportqa.settings import Settings
from reportqa.text import ANALYZER_VERSION


def chunker_settings(settings: Settings, max_tokens: int) -> dict:
    """The chunker settings recorded in (and checked against) the index manifest."""
    c = settings.chunker
    return {
        "version": CHUNKER_VERSION,
        "target_tokens": c.chunk_target_tokens,
        "overlap_sentences": c.chunk_overlap_sentences,
        "section_titles": c.embed_section_titles,
        "max_tokens": max_tokens,
        "analyzer": ANALYZER_VERSION,
        "packing": {"min_fill": c.chunk_min_fill, "block_fill": c.chunk_block_fill,
                    "max_carry": c.chunk_max_carry, "tail_merge": c.chunk_tail_merge},
        "table_line_bare_words": c.table_line_bare_words,
    }


def structure_settings(settings: Settings) -> dict:
    """How the index read the reports' structure (PDF layout, measure cards), recorded in the index
    manifest: changing them makes the index stale. Kept apart from the chunker settings, which the
    fitted weights' fingerprint includes: these change what the reader and the cards show, not
    what the reranker was fitted on. The corpus's curated measure aliases and glossary
    (corpus/glossary.toml) are recorded by their hashes."""
    aliases = settings.corpus_dir / MEASURE_ALIASES_NAME
    glossary = settings.corpus_dir / GLOSSARY_NAME
    return {"pdf_layout": settings.pdf_layout.model_dump(), "measures": settings.measures.model_dump(),
            "measure_aliases": sha256_file(aliases) if aliases.is_file() else "",
            "glossary_sha256": sha256_file(glossary) if glossary.is_file() else ""}


def build_spec(settings: Settings) -> BuildSpec:
    """The model, chunker and structure settings an index must match to be served with ``settings``."""
    spec = embedder_spec(settings.embedder)
    return BuildSpec(model_name=spec.model_name, dim=spec.dim, chunker=chunker_settings(settings, spec.max_tokens),
                     structure=structure_settings(settings))


def corpus_changes(manifest: IndexManifest, files: list[SourceFile]) -> list[str]:
    """Human-readable differences between the corpus and what an index was built from."""
    built = {name: info.sha256 for name, info in manifest.sources.items()}
    indexed = manifest.indexed()
    now = {f.name: f.sha256 for f in files}
    changes = [f"new file {n}" for n in sorted(now.keys() - built.keys())]
    changes += [f"removed file {n}" for n in sorted(built.keys() - now.keys())]
    changes += [f"changed file {n}" for n in sorted(now.keys() & built.keys()) if now[n] != built[n]]
    changes += [f"changed passage questions of {f.name}" for f in files
                if f.name in indexed and indexed[f.name].questions_sha256 != f.questions_sha256]
    changes += [f"changed manifest entry of {f.name}" for f in files
                if f.name in indexed and indexed[f.name].meta_sha256 != f.meta_sha256]
    changes += [f"new id {f.doc_id!r} of {f.name}" for f in files
                if f.name in indexed and indexed[f.name].doc_id != f.doc_id]
    return changes
