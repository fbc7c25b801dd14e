"""Cleaning and structure on the two real reports (and the cleaning rules on small inputs)."""

from __future__ import annotations

import pytest

from indexer.acronyms import best_long_form, mine_acronyms
from indexer.chunking import Chunker
from indexer.cleaning import Vocabulary, fold_homoglyphs, join_hyphenated, repair_glued_compounds, strip_running_lines
from indexer.embedding import FakeEmbedder
from indexer.sentences import split_sentences
from reportqa.settings import ChunkerConfig
from reportqa.text import match_key


def trail_of(doc, text: str) -> tuple[str, ...]:
    """Section trail of the block containing ``text``."""
    at = doc.text.index(text)
    block = next(b for b in doc.blocks if b.start <= at < b.end)
    return block.section


# --- cleaning rules ------------------------------------------------------------------------------------
def test_line_end_hyphens_real_and_split() -> None:
    vocab = Vocabulary.of("disruption-supportive measures\norganised crime\nmulti-agency work")
    assert join_hyphenated("disruption-", "supportive", vocab) == "disruption-supportive"
    assert join_hyphenated("organ-", "ised", vocab) == "organised"
    assert join_hyphenated("extra-", "familial", Vocabulary()) == "extra-familial"  # known prefix
    assert join_hyphenated("Sharp-", "Jeffs", Vocabulary()) == "Sharp-Jeffs"  # capitalised part


def test_glued_compounds_are_repaired_from_the_documents_own_usage() -> None:
    vocab = Vocabulary.of("disruption-supportive work and disruption-supportive measures")
    assert repair_glued_compounds("Developing disruptionsupportive resources", vocab) == \
        "Developing disruption-supportive resources"
    assert repair_glued_compounds("Disruption- supportive", vocab) == "Disruption-supportive"
    assert repair_glued_compounds("unrelatedword", vocab) == "unrelatedword"


def test_cyrillic_lookalikes_become_latin() -> None:
    assert fold_homoglyphs("Disruption measure\tТуре\tDescription") == "Disruption measure\tType\tDescription"
    assert fold_homoglyphs("Москва") == "Москва"  # a Cyrillic text is left alone


def test_running_headers_footers_and_page_numbers_removed() -> None:
    topics = ["orders", "notices", "markers", "hotels", "taxis"]
    pages = [f"REPORT TITLE\nPage {n} opens on {t}.\nIt goes on about {t}.\nAnd ends on {t}.\n{n}"
             for n, t in enumerate(topics, start=1)]
    cleaned = strip_running_lines(pages)
    assert all("REPORT TITLE" not in p for p in cleaned)
    assert all(not p.rstrip().endswith(str(n)) for n, p in enumerate(cleaned, start=1))
    assert cleaned[2].split("\n") == ["Page 3 opens on markers.", "It goes on about markers.", "And ends on markers."]


def test_sentences_keep_abbreviations_and_source_tags() -> None:
    text = ('Measures (e.g. CAWNs) work. "They help a lot." (FL) Others agreed, as Smith et al. noted. '
            "Fig. 2 shows it.")
    sentences = [text[s:e] for s, e in split_sentences(text)]
    assert sentences == ["Measures (e.g. CAWNs) work.", '"They help a lot." (FL)',
                         "Others agreed, as Smith et al. noted.", "Fig. 2 shows it."]


# --- the real reports ------------------------------------------------------------------------------------
def test_unicode_cleaning_on_survey(real_documents) -> None:
    survey = real_documents["survey-report"].text
    assert "Туре" not in survey and "\tType\t" in survey
    assert "disruptionsupportive" not in survey


def test_scoping_review_rejoins_lines_and_keeps_real_hyphens(real_documents) -> None:
    text = real_documents["scoping-review"].text
    assert "disruption-supportive measures which disable" in text
    assert "suspected of extra-familial child sexual exploitation" in text
    assert "POLICE DISRUPTION OF CHILD SEXUAL ABUSE: A SCOPING REVIEW" not in text


@pytest.mark.parametrize(
    ("doc_id", "text", "trail"),
    [
        ("survey-report", "I find that CAWNs are generally adhered to",
         ("6. Perceived effectiveness of measures to disrupt child sexual abuse", "6.1 Direct disruption measures",
          "6.1.1 Child abduction warning notices")),
        ("survey-report", "Issues around confidentiality of sharing intelligence",
         ("8. Supporting the disruption of child sexual abuse: strategic actions",
          "8.6 Multi-agency working and information-sharing",
          "8.6.1 Support and information-sharing from other agencies")),
        ("survey-report", "Stratified sampling was not used",
         ("2. Method", "2.1 Data collection", "2.1.2 The surveys")),
        ("survey-report", "Several strategic leads identified that their forces had specialist teams",
         ("Executive summary", "Key findings", "Establishing dedicated teams or individuals")),
        ("scoping-review", "A CAWN is an official notice served by police",
         ("3. Direct measures used to disrupt child sexual exploitation",
          "3.2 Child abduction warning notices (CAWNs)")),
        ("scoping-review", "CAWNs appear to be one of the most used",
         ("3. Direct measures used to disrupt child sexual exploitation",
          "3.2 Child abduction warning notices (CAWNs)", "Use and effectiveness")),
        ("scoping-review", "A recovery order requires the return",
         ("3. Direct measures used to disrupt child sexual exploitation", "3.7 Other direct disruption measures",
          "Recovery orders")),
        ("scoping-review", "By 2018, Operation Sanctuary had identified",
         ("7. Multi-agency working", "7.3 Effectiveness of multi-agency working", "Operation Sanctuary")),
    ],
)
def test_section_trails(real_documents, doc_id: str, text: str, trail: tuple[str, ...]) -> None:
    assert trail_of(real_documents[doc_id], text) == trail


def test_quote_headings_are_not_sections(real_documents) -> None:
    doc = real_documents["survey-report"]
    titles = {t for b in doc.blocks for t in b.section}
    assert not any(t.startswith(('"', "“")) for t in titles)
    assert not any(t.startswith(("Table ", "Figure ")) for t in titles)
    assert "Markers on vehicles are brilliant" in doc.text


def test_table_keeps_its_caption_even_when_it_comes_after(real_documents) -> None:
    doc = real_documents["survey-report"]
    table6 = next(b for b in doc.tables if b.block.caption.startswith("Table 6."))
    text = doc.text[table6.start:table6.end]
    assert text.startswith("Table 6. Disruption measures used by frontline police")
    assert "Child abduction warning notices\t39\t3\t7\t35" in text
    # the wrapped group label 'Disruption-' / 'supportive measures' is joined on every row
    assert any(row[0] == "Disruption-supportive measures" for row in table6.body)


def test_appendix_a_rows_are_separate_passages(real_documents) -> None:
    embedder = FakeEmbedder(max_tokens=254)
    chunker = Chunker(ChunkerConfig(chunk_target_tokens=150), 254, embedder.count_tokens, 1000)
    passages = chunker.chunk(real_documents["survey-report"])
    rows = [p.passage for p in passages if p.passage.kind == "table_row"
            and p.passage.section[0].startswith("Appendix A")]
    assert len(rows) >= 40
    licence = [r for r in rows if "Reviews of licenced premises" in r.text]
    assert len(licence) == 1
    assert "Disruption measure: Reviews of licenced premises" in licence[0].text
    assert "Description: If there is a belief that a licenced premise" in licence[0].text
    assert "28-day review period" in licence[0].text
    assert not any("Absolute grounds for possession" in r.text for r in licence)


def test_no_passage_repeats_a_pull_quote(real_documents) -> None:
    scoping = real_documents["scoping-review"]
    survey = real_documents["survey-report"]
    assert scoping.callouts_removed >= 15 and survey.callouts_removed >= 15
    # call-out wording that only the pull-quote box has
    assert "Measures to disrupt child sexual abuse are used mostly" not in scoping.text
    assert "covers efforts to interfere with suspects" not in scoping.text
    # ... while the body text it repeats is kept
    assert "efforts to disrupt their circumstances" in scoping.text
    assert survey.text.count("Most strategic leads for safeguarding said they would like to see changes") == 0


def test_figure_labels_become_one_figure(real_documents) -> None:
    doc = real_documents["scoping-review"]
    figure = next(b for b in doc.blocks if b.kind == "figure" and b.block.caption.startswith("Figure 1."))
    text = doc.text[figure.start:figure.end]
    assert "Child is sexually abused" in text and "Jury verdict" in text
    headings = [doc.text[b.start:b.end] for b in doc.blocks if b.kind == "heading"]
    assert "Child is sexually abused" not in headings


@pytest.mark.model
def test_no_passage_exceeds_the_model_window(real_retriever) -> None:
    embedder = real_retriever.embedder
    reader = real_retriever.reader
    texts = [p.text for p in reader.passages]
    assert max(embedder.count_tokens(texts)) <= embedder.max_tokens
    for p in reader.passages:
        if p.kind == "text":  # prose passages are exact slices of the cleaned text
            assert reader.documents[p.doc_id].text[p.start:p.end] == p.text


def test_acronyms_mined_from_the_reports(real_documents) -> None:
    pairs = {(a.short, a.long.lower()) for a in mine_acronyms([d.text for d in real_documents.values()])}
    assert ("CAWN", "child abduction warning notice") in pairs
    assert ("SHPO", "sexual harm prevention order") in pairs
    assert ("SRO", "sexual risk order") in pairs
    assert ("ANPR", "automatic number plate recognition") in pairs
    assert ("PPU", "police protection unit") in pairs  # from 'PPU [Police Protection Unit]'
    assert not any(short in ("FL", "SL", "DG") for short, _ in pairs)


def test_schwartz_hearst_long_form() -> None:
    assert best_long_form("NRM", "a referral to the National Referral Mechanism") == "National Referral Mechanism"
    assert best_long_form("XYZ", "no such words here") is None


def test_long_form_takes_a_leading_word_the_acronym_covers() -> None:
    # a leading word with the acronym's repeated first letter (the shortest match stops one word short)
    assert best_long_form("NNWA", "set up by the National Northern Water Authority") == \
        "National Northern Water Authority"
    assert best_long_form("CCR", "kept on the county council register") == "county council register"
    assert best_long_form("IIRP", "the Independent Inquiry into Rural Policing") == \
        "Independent Inquiry into Rural Policing"
    # a leading word whose initial is another letter of the acronym, linking words inside
    assert best_long_form("PPO", "officers used police powers of protection") == "police powers of protection"
    assert best_long_form("PTO", "under the police transport protocol") == "police transport protocol"
    # never more content words than letters, and never over a word the acronym does not cover
    assert best_long_form("CSE", "the common child sexual exploitation") == "child sexual exploitation"
    assert best_long_form("SHPO", "several sexual harm prevention orders") == "sexual harm prevention orders"
    assert best_long_form("NRM", "a new National Referral Mechanism") == "National Referral Mechanism"
    # a long form in quotation marks
    assert best_long_form("FCSE", "a project called ‘Families and Communities against Sexual Exploitation’") == \
        "Families and Communities against Sexual Exploitation"


def test_long_forms_of_the_reports_are_not_cut_short(real_documents) -> None:
    pairs = {(a.short, a.long.lower()) for a in mine_acronyms([d.text for d in real_documents.values()])}
    assert ("IICSA", "independent inquiry into child sexual abuse") in pairs
    assert ("PPO", "police powers of protection") in pairs
    assert not {("IICSA", "inquiry into child sexual abuse"), ("PPO", "powers of protection")} & pairs


def test_evidence_matching_key_ignores_layout() -> None:
    assert match_key("extra-\nfamilial  Child") == match_key("extrafamilial child")


def test_every_passage_fits_a_small_window(real_documents) -> None:
    """Even with a tiny window, over-long rows and figures are split rather than truncated."""
    embedder = FakeEmbedder(max_tokens=40)
    for doc in real_documents.values():
        passages = Chunker(ChunkerConfig(chunk_target_tokens=30), 40, embedder.count_tokens, 1000).chunk(doc)
        assert max(embedder.count_tokens([p.embed_text for p in passages])) <= 40
        for p in passages:
            if p.passage.kind == "text":
                assert doc.text[p.passage.start:p.passage.end] == p.passage.text
        if doc.meta.doc_id == "survey-report":
            rows = " ".join(p.passage.text for p in passages if p.passage.kind == "table_row")
            assert "28-day review period may be called" in rows
