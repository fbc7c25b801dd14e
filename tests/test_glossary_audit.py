"""The glossary audit: every acronym the bundled reports use has a long form in the glossary (mined
from the reports, spelled out in them, a speaker code, or curated in corpus/glossary.toml) or is listed
in corpus/glossary.toml as not an acronym, with why. Runs on the reports' text; no model needed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import REAL_CORPUS

from indexer.acronyms import acronym_uses, build_glossary, mine_acronyms
from indexer.corpus import CorpusError
from indexer.glossary_file import curated_acronyms, read_glossary_file
from reportqa.speaker_codes import SPEAKER_CODES

# Roman numerals ('Part II') look like acronyms but are a class of their own, not a list.
ROMAN = re.compile(r"^(?=[MDCLXVI]+$)M*(?:C[MD]|D?C{0,3})(?:X[CL]|L?X{0,3})(?:I[XV]|V?I{0,3})$")


def _glossary(texts: list[str], corpus: Path = REAL_CORPUS):
    mined = mine_acronyms(texts)
    curated = curated_acronyms(read_glossary_file(corpus), texts, mined)
    pairs = [(a.short, a.long, a.count) for a in mined + curated]
    return {e.short.lower(): e for e in build_glossary(texts, pairs, 3, SPEAKER_CODES)}


def test_every_acronym_the_reports_use_has_a_long_form_or_is_listed_as_not_one(real_documents) -> None:
    texts = [d.text for d in real_documents.values()]
    entries = _glossary(texts)
    not_acronyms = {k.lower() for k in read_glossary_file(REAL_CORPUS).not_acronyms}
    unexplained = []
    for token in sorted(acronym_uses(texts)):
        keys = [token.lower()] + ([token[:-1].lower()] if token.endswith("S") else [])  # 'CAWNS'
        explained = any(k in entries and entries[k].longs for k in keys) or token.lower() in not_acronyms
        if not (explained or ROMAN.match(token)):
            unexplained.append(token)
    assert not unexplained, f"acronyms with no long form; add them to corpus/glossary.toml: {unexplained}"


def test_the_curated_glossary_lists_only_what_the_reports_need(real_documents) -> None:
    texts = [d.text for d in real_documents.values()]
    curated = read_glossary_file(REAL_CORPUS)
    used = {t.lower() for t in acronym_uses(texts)}
    mined = {a.short.lower() for a in mine_acronyms(texts)}
    assert not set(curated.long_forms) & set(curated.not_acronyms)
    assert all(k.lower() in used for k in [*curated.long_forms, *curated.not_acronyms]), "unused entries"
    assert not {k.lower() for k in curated.long_forms} & mined, "the reports define these themselves"
    entries = _glossary(texts)
    assert entries["cctv"].longs == ("closed-circuit television",) and entries["cctv"].source == "curated"
    assert entries["cawn"].source == "defined"  # a mined definition keeps its source


def test_a_curated_long_form_is_used_only_for_an_acronym_the_reports_use(tmp_path: Path) -> None:
    (tmp_path / "glossary.toml").write_text('[long_forms]\nCCTV = "closed-circuit television"\n'
                                            'XYZ = "not used anywhere"\n', encoding="utf-8")
    texts = ["Officers checked the CCTV footage, and the CCTV operators were briefed by the CCTV team."]
    entries = _glossary(texts, tmp_path)
    assert entries["cctv"].longs == ("closed-circuit television",) and "xyz" not in entries


@pytest.mark.parametrize("content", ['[long_forms]\nCCTV = 3\n', '[long_form]\nCCTV = "x"\n', 'CCTV = "x\n'])
def test_a_bad_glossary_file_is_refused_with_its_name(tmp_path: Path, content: str) -> None:
    (tmp_path / "glossary.toml").write_text(content, encoding="utf-8")
    with pytest.raises(CorpusError, match="glossary.toml"):
        read_glossary_file(tmp_path)


def test_editing_the_glossary_file_makes_the_index_stale(tmp_path: Path) -> None:
    from indexer.spec import structure_settings
    from reportqa.settings import Settings

    settings = Settings(corpus_dir=tmp_path, index_dir=tmp_path / "index")
    before = structure_settings(settings)
    (tmp_path / "glossary.toml").write_text('[long_forms]\nCCTV = "closed-circuit television"\n', encoding="utf-8")
    assert structure_settings(settings) != before
