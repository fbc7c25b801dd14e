"""The corpus's curated glossary, ``corpus/glossary.toml``: long forms for acronyms the reports use but
never spell out ('CCTV', 'NSPCC'), and acronym-looking tokens that are not acronyms ('IG6', a postcode).
The indexer stores the long forms with the mined acronyms (``curated_acronyms``); the audit test checks
that together they explain every acronym the reports use."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from indexer.acronyms import Acronym, acronym_uses
from indexer.corpus import GLOSSARY_NAME, CorpusError


class GlossaryFile(BaseModel):
    """The two tables of glossary.toml, each acronym → text."""

    model_config = ConfigDict(extra="forbid")
    long_forms: dict[str, str] = Field(default_factory=dict)
    not_acronyms: dict[str, str] = Field(default_factory=dict, description="token → why it is not one")


@dataclass(frozen=True)
class CuratedGlossary:
    """Long forms by acronym, and the tokens that are not acronyms with the reason."""

    long_forms: dict[str, str] = field(default_factory=dict)
    not_acronyms: dict[str, str] = field(default_factory=dict)


def read_glossary_file(corpus_dir: Path) -> CuratedGlossary:
    """``corpus_dir/glossary.toml``, or an empty glossary when there is none. Raises CorpusError, saying
    what to fix, for a file that is not valid TOML or has other tables or non-text values."""
    path = corpus_dir / GLOSSARY_NAME
    if not path.is_file():
        return CuratedGlossary()
    try:
        parsed = GlossaryFile.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path}: not valid TOML ({exc}); fix or remove it") from exc
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"])
        raise CorpusError(f"{path}: {where}: {problem['msg']} (expected [long_forms] and [not_acronyms] "
                          "tables of ACRONYM = \"text\")") from exc
    return CuratedGlossary(dict(parsed.long_forms), dict(parsed.not_acronyms))


def curated_acronyms(glossary: CuratedGlossary, texts: list[str], mined: list[Acronym]) -> list[Acronym]:
    """The curated long forms of acronyms that ``texts`` use and that no mined pair defines, each with a
    count of 0 (never defined in the reports), sorted by acronym."""
    used = {token.lower() for token in acronym_uses(texts)}
    defined = {a.short.lower() for a in mined}
    return [Acronym(short, " ".join(long.split()), 0) for short, long in sorted(glossary.long_forms.items())
            if short.lower() in used and short.lower() not in defined and long.strip()]
