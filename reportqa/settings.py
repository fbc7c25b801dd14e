"""The one settings object for ReportQA: paths, model, chunking, retrieval, calibration and web options.

Every value can be overridden by an environment variable with the prefix ``REPORTQA_``
(for example ``REPORTQA_INDEX_DIR=/srv/index``); command-line flags override both.

The tuned numbers of each stage are declared once, with their bounds, in a config class of
their own (index time: ``ChunkerConfig``, ``PdfLayoutConfig``, ``MeasureConfig``, ``InputLimitsConfig``; query time:
``AnalysisConfig``, ``CandidateConfig``, ``RankingConfig``, ``AnswerConfig``, ``DecisionConfig``).
``Settings`` inherits all of them, so each stays settable by environment variable, and hands each
stage its own typed, frozen config (``settings.candidates``, ``settings.pdf_layout`` …).
"""

from __future__ import annotations

import ipaddress
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_ROOT = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_ROOT.parent  # the source checkout, when running from one
EMBEDDERS = ("onnx", "minilm", "fake")  # checked against the registry in indexer.embedding by its tests
FUSIONS = ("rrf", "convex")  # likewise against retriever.fusion.STRATEGIES


def is_source_checkout(root: Path = PROJECT_ROOT) -> bool:
    """True when the code runs from a source checkout (pyproject.toml beside the packages)."""
    return (root / "pyproject.toml").is_file() and (root / "retriever").is_dir()


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host.lower() in ("localhost", "ip6-localhost")


def default_data_dir() -> Path:
    """Where mutable files go: the checkout itself when running from source (index/ beside the
    code, as before), otherwise ``$XDG_DATA_HOME/reportqa`` (``~/.local/share/reportqa``)."""
    if is_source_checkout():
        return PROJECT_ROOT
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "reportqa"


def bundled_corpus_dir() -> Path:
    """The two bundled reports and their manifest: ``corpus/`` in a checkout, package data
    (``reportqa/bundled_corpus``) in an installed wheel."""
    if is_source_checkout():
        return PROJECT_ROOT / "corpus"
    return PACKAGE_ROOT / "bundled_corpus"


class StageConfig(BaseModel):
    """Base of every stage's config: frozen, so a stage cannot change what it was handed."""

    model_config = ConfigDict(frozen=True)


# Marks a field that changes how a query is served but not what fitted weights describe (a cache size):
# it is left out of the weights' fingerprint (retriever.weights.fingerprint).
NOT_FITTED = {"fitted": False}


def _one_of(value: str, names: tuple[str, ...], what: str) -> str:
    """``value`` when it is a registered name; a clear error otherwise."""
    if value not in names:
        raise ValueError(f"unknown {what} {value!r}; choose from {', '.join(names)}")
    return value


class ChunkerConfig(StageConfig):
    """How passages are cut (recorded in the index manifest: a change asks for a re-index)."""

    chunk_target_tokens: int = Field(150, ge=16, le=1024)
    chunk_overlap_sentences: int = Field(1, ge=0, le=5)
    embed_section_titles: bool = True
    chunk_min_fill: float = Field(0.5, gt=0, le=1, description="a passage below this share of the target "
                                  "takes the next unit even when it overshoots")
    chunk_block_fill: float = Field(0.75, gt=0, le=1, description="a new block starts a new passage once "
                                    "the current one holds this share of the target")
    chunk_max_carry: float = Field(0.35, ge=0, le=1, description="largest overlap carried into the next "
                                   "passage, as a share of the target")
    chunk_tail_merge: float = Field(0.25, ge=0, le=1, description="a section's last passage smaller than this "
                                    "share of the target joins the one before")
    table_line_bare_words: int = Field(8, ge=0, le=100, description="a line of a table passage with fewer words "
                                       "than this ('Northern 41 (32%)') is embedded as its row passage, with its "
                                       "caption and column headers; a longer line says enough on its own (0: none)")


class PdfLayoutConfig(StageConfig):
    """How a PDF's layout is read (indexer.pdf_structure), and how a report's contents list gives its
    sections' start pages (indexer.section_pages): thresholds relative to the page or to the body-text
    size. They change what an index holds, so they are recorded in its build spec, apart from the chunker
    settings that the fitted weights' fingerprint includes (indexer.spec.structure_settings)."""

    pdf_heading_ratio: float = Field(1.12, ge=1, le=3, description="a line this much larger than the body "
                                     "text is a heading candidate")
    pdf_edge_share: float = Field(0.12, gt=0, le=0.5, description="top/bottom share of the page where running "
                                  "headers and footers sit")
    pdf_edge_lines: int = Field(2, ge=1, le=10, description="lines at each page edge examined for running "
                                "headers/footers")
    pdf_running_share: float = Field(0.3, gt=0, le=1, description="a line recurring at page edges on this share "
                                     "of pages is a running header or footer")
    pdf_running_tolerance: float = Field(4.0, gt=0, le=50, description="points: a running line sits at the same "
                                         "height on every page")
    pdf_paragraph_gap: float = Field(0.55, ge=0, le=5, description="a vertical gap over this many body sizes "
                                     "starts a new block")
    pdf_max_heading_words: int = Field(25, ge=1, le=200, description="longer large-type 'headings' are "
                                       "emphasised paragraphs")
    pdf_max_bold_heading_words: int = Field(15, ge=1, le=200, description="likewise for bold body-size lines")
    pdf_indent: float = Field(6.0, ge=0, le=200, description="points of left indent that make a contents entry "
                              "one level deeper")
    pdf_column_gap: float = Field(1.8, gt=0, le=20, description="a horizontal gap this many font sizes wide "
                                  "separates two columns")
    pdf_column_rows: float = Field(0.3, ge=0, le=1, description="each column of a two-column page holds at least "
                                   "this share of its rows")
    pdf_column_spanning: float = Field(0.25, ge=0, le=1, description="at most this share of a two-column page's "
                                       "rows span the gutter")
    pdf_superscript: float = Field(0.9, gt=0, le=1, description="a raised number this much smaller than its line "
                                   "is a footnote mark")
    pdf_outline_agreement: float = Field(0.9, ge=0, le=1, description="share of numbered outline steps whose "
                                         "depth change must fit the numbers for the outline's levels to be used")
    pdf_numbered_share: float = Field(0.3, ge=0, le=1, description="with this share of numbered headings, "
                                      "numbering decides levels (else font size ranks)")
    pdf_line_tolerance: float = Field(0.3, ge=0, le=2, description="words whose tops differ by at most this many "
                                      "font sizes sit on one line")
    pdf_line_tolerance_points: float = Field(2.0, ge=0, le=50, description="... or by at most this many points")
    pdf_gutter_band: float = Field(0.3, gt=0, le=0.5, description="a column gutter is looked for between this share "
                                   "and one minus this share of the page width")
    pdf_column_gap_points: float = Field(12.0, ge=0, le=200, description="a column gap is at least this many points "
                                         "wide, whatever the font size")
    pdf_column_min_rows: int = Field(6, ge=1, le=1000, description="a page with fewer lines is read as one column")
    pdf_column_words: int = Field(4, ge=1, le=100, description="each column of a two-column page holds at least "
                                  "this many words a line on average")
    pdf_bold_heading_ratio: float = Field(0.95, gt=0, le=3, description="a bold line at least this share of the body "
                                          "size is a heading candidate")
    pdf_contents_title_chars: int = Field(25, ge=1, le=500, description="a 'Contents' line in body type shorter "
                                          "than this (characters) starts the contents list")
    pdf_contents_wrap_words: int = Field(15, ge=1, le=200, description="a contents line without a page number and "
                                         "at most this many words is the first part of a wrapped entry")
    pdf_outline_prefix_share: float = Field(0.6, ge=0, le=1, description="a line that begins an outline entry's "
                                            "title prints it when it holds at least this share of the title")
    pdf_contents_title_similarity: float = Field(0.9, ge=0, le=1, description="an unnumbered heading takes the page "
                                                 "of the contents entry this similar to it (any report with a "
                                                 "contents list, Markdown too: section start pages)")
    pdf_contents_title_min_chars: int = Field(8, ge=1, le=200, description="a shorter unnumbered heading must equal "
                                              "its contents entry to take its page")


class MeasureConfig(StageConfig):
    """How measure cards group and rank passages (indexer.measures). Built at index time and part of
    the build spec's structure settings, like ``PdfLayoutConfig``: changing one makes the index stale."""

    measure_section_cue_weight: int = Field(2, ge=0, le=20, description="a cue word in the section titles "
                                            "counts this many times a cue in the text")
    measure_heading_weight: float = Field(3.0, ge=0, le=100, description="centrality added when the passage's "
                                          "own section title names the measure")
    measure_trail_weight: float = Field(1.0, ge=0, le=100, description="... when a section above it does")
    measure_mention_cap: int = Field(5, ge=1, le=100, description="mentions counted towards centrality")
    measure_text_bonus: float = Field(0.5, ge=0, le=10, description="prose over table rows and figures, at "
                                      "equal mentions")
    measure_snippet_chars: int = Field(320, ge=40, le=5000, description="longest snippet shown for a passage")
    measure_heading_overlap: float = Field(0.6, ge=0.0, le=1.0, description="share of a section heading's "
                                           "words a card's name must have for the heading to become its alias")


class InputLimitsConfig(StageConfig):
    """What reading one report file may cost (indexer.ingest, indexer.loaders with indexer.bounded and
    indexer.pdf_budget, indexer.chunking): a file that needs more is skipped with the reason, so that no
    file under the size cap can take the indexer (or ``serve`` at start-up) down. Not part of the build
    spec: they decide whether a hostile file is read (and where a run of characters without a space is
    cut), not how a report is read; no bundled report comes near them."""

    max_file_mb: float = Field(25.0, gt=0, le=10_000, description="larger report files are skipped, with the reason")
    max_word_chars: int = Field(1000, ge=50, le=1_000_000, description="a run of characters without a space "
                                "longer than this is cut into pieces this long when passages are made (a 1 MB "
                                "'word' is otherwise one passage that no query can match)")
    pdf_memory_mb: int = Field(1024, ge=256, le=65_536, description="address space of the child process that "
                               "reads one PDF; a PDF that needs more is skipped")
    pdf_seconds: float = Field(50.0, gt=0, le=3600, description="wall-clock seconds to read one PDF (its own "
                               "child process); a PDF that takes longer is skipped")
    pdf_max_pages: int = Field(2000, ge=1, le=1_000_000, description="a PDF with more pages is skipped")
    pdf_page_stream_mb: float = Field(16.0, gt=0, le=1000, description="decompressed drawing instructions of "
                                      "one page (a page of a report holds well under 1 MB)")
    pdf_page_tokens: int = Field(400_000, ge=1000, le=100_000_000, description="operators and operands in the "
                                 "drawing instructions of one page (a page of the survey printed by Chromium holds "
                                 "up to 22,000)")
    pdf_file_tokens: int = Field(20_000_000, ge=1000, le=1_000_000_000, description="... of the whole PDF (the "
                                 "62-page survey holds 0.87 million; pdfplumber reads about 130,000 a second)")


class AnalysisConfig(StageConfig):
    """Reading the query: spelling, acronyms, unknown words, constraints."""

    spelling: bool = Field(True, description="correct query words the reports never use, one edit away")
    max_query_words: int = Field(64, ge=4, le=1000, description="words of a query that are read: bounds the "
                                 "work per query (a 1,000-character query of nonsense took up to 1.4 s)")
    acronym_expansion: bool = True
    spelling_min_length: int = Field(5, ge=3, le=20, description="shorter words are never corrected")
    spelling_min_count: int = Field(2, ge=1, le=100, description="a correction must occur this often")
    similar_dice: float = Field(0.5, gt=0, le=1, description="trigram overlap that makes an unknown word a typo")
    similar_letters: float = Field(0.85, gt=0, le=1, description="shared letters that make it a typo")
    min_unknown_length: int = Field(4, ge=2, le=20, description="shortest word taken for an unknown name")
    max_acronym_length: int = Field(6, ge=3, le=12, description="longest unknown acronym guessed ('pspos')")
    max_acronym_guesses: int = Field(3, ge=0, le=20, description="unknown acronyms guessed per query")
    guess_cache_size: int = Field(10_000, ge=0, le=1_000_000, json_schema_extra=NOT_FITTED)
    count_focus_words: int = Field(2, ge=1, le=5, description="words naming what a counting question counts")


class CandidateConfig(StageConfig):
    """First-stage candidates: lexical + dense, fused."""

    lexical_candidates: int = Field(50, ge=1, le=10_000)
    dense_candidates: int = Field(50, ge=1, le=10_000)
    dense_sentences: bool = Field(True, description="dense score: the better of the passage and its best sentence")
    dense_rescore_depth: int = Field(200, ge=1, le=100_000,
                                     description="nearest passage vectors rescored by their sentence vectors")
    hnsw_ef_search: int = Field(96, ge=1, le=10_000)
    fusion: str = Field("rrf", description="fusion strategy, by name (see retriever.fusion.STRATEGIES)")
    rrf_k: int = Field(60, ge=1, le=10_000)
    convex_alpha: float = Field(0.5, ge=0, le=1, description="weight of the dense score in the convex blend")
    lexical_min_idf: float = Field(0.8, ge=0, le=20, description="query words rarer than this (IDF) go to bm25; "
                                   "0 keeps all")
    acronym_weight: float = Field(0.5, ge=0, le=10, description="bm25 weight of acronym expansions vs the query")
    colloquial_weight: float = Field(0.3, ge=0, le=10, description="bm25 weight of everyday-word equivalents")
    rerank_depth: int = Field(40, ge=1, le=1000, description="fused candidates passed to ranking")
    passage_questions: bool = Field(True, description="match queries against the passage questions too")
    question_lexical_weight: float = Field(1.0, ge=0, le=10, description="bm25 weight of the question field")
    question_depth: int = Field(100, ge=1, le=100_000, description="nearest passage questions searched densely")

    _known_fusion = field_validator("fusion")(lambda value: _one_of(value, FUSIONS, "fusion strategy"))


class RankingConfig(StageConfig):
    """Second stage: features, the fitted reranker, collapsing, highlights."""

    rerank: bool = True
    min_ranked_hits: int = Field(5, ge=1, le=50, description="hits ranked and highlighted whatever k is: the "
                                 "answer decision and composer look at this many")
    dedup_overlap: float = Field(0.5, ge=0, le=1, description="overlap share above which two hits collapse")
    dedup_similarity: float = Field(0.92, ge=0, le=1, description="cosine above which two hits collapse")
    sentence_lexical_weight: float = Field(0.3, ge=0, le=10, description="sentence score: cosine + this × coverage")
    second_sentence_ratio: float = Field(0.9, ge=0, le=1, description="a second highlight needs this share "
                                         "of the best sentence's score")
    unit_words: int = Field(90, ge=1, le=1000, description="how far a lead-in is continued into its list")
    length_scale: float = Field(7.0, gt=0, le=100, description="length feature: log(characters) / this")


class AnswerConfig(StageConfig):
    """Which sentences of the top hits make the answer."""

    answer_max_sentences: int = Field(3, ge=1, le=10)
    answer_sentence_ratio: float = Field(0.85, ge=0, le=1, description="sentences scoring this share of the best")
    answer_same_words: float = Field(0.8, ge=0, le=1, description="two sentences sharing more than this share of "
                                     "the shorter one's words say the same thing: quoted once, cited twice")
    answer_bare_row_words: int = Field(6, ge=1, le=50, description="a table line whose every cell is shorter "
                                       "(and has no figure) is a bare label, used only when nothing else is")
    answer_min_words: int = Field(4, ge=1, le=50)
    answer_source_hits: int = Field(3, ge=1, le=20, description="top hits the answer and its checks draw on")


class DecisionConfig(StageConfig):
    """Answer or not: the rules around the fitted model (the model and its threshold are fitted, in
    weights.json, which records these values too) and the signals' own constants."""

    max_oov: float = Field(0.5, ge=0, le=1, description="not covered: more than this share of the query's content "
                           "words never occur in the reports (nor translate)")
    veto_unmet: bool = Field(True, description="closest, never answer, when the top passages miss a name, year or "
                             "count the question asks about")
    count_number_window: int = Field(6, ge=1, le=50, description="words between a count and what it counts")
    signal_sentences: int = Field(2, ge=1, le=20, description="best sentences of each top hit that the sentence "
                                  "signals read")

    specific_idf: float = Field(3.0, ge=0, le=20, description="a term in fewer than about one passage in twenty")
    off_topic_similarity: float = Field(0.33, ge=0, le=1, description="off-topic: the best passage, sentence and "
                                        "passage question are all less similar than this (off-topic probes ≤ 0.30; "
                                        "dev answerable with an unknown word: one at 0.28, the rest ≥ 0.38)")
    off_topic_unknown_share: float = Field(0.35, ge=0, le=1, description="off-topic: the words the reports never "
                                           "use carry at least this share of the query's IDF weight (off-topic probes "
                                           "≥ 0.37; the dev answerable one below the similarity bar: 0.23)")


C = TypeVar("C", bound=BaseModel)


class FitConfig(StageConfig):
    """How ``python -m eval.fit`` fits the sentence answer model, the reranker and the answer decision
    (the fitted values themselves are in weights.json)."""

    fit_c_grid: tuple[float, ...] = Field((0.03, 0.1, 0.3, 1.0, 3.0), description="regularisation strengths "
                                          "tried for the sentence model and the reranker")
    fit_decision_c: float = Field(1.0, gt=0, description="regularisation of the answer decision's model")
    fit_first_stage: str = Field("fusion", description="the pipeline whose candidates are fitted on")
    fit_folds: int = Field(5, ge=2, le=20, description="cross-validation folds: passage questions grouped by "
                           "passage, dev questions by writer")
    fit_answer_precision: float = Field(0.92, gt=0, le=1, description="the answer precision (answer sentences "
                                        "carry the fact, of questions answered) the decision's threshold is "
                                        "chosen for, on dev questions, cross-validated")
    fit_decision_queries: int = Field(1200, ge=10, description="passage questions asked twice (answer shown, "
                                      "answer hidden) as the decision's synthetic examples")
    fit_sentence_on: Literal["dev", "passage questions", "both"] = Field(
        "dev", description="the questions the sentence answer model is fitted on (dev: leave-writer-out dev "
        "sentence Hit@1 0.72, passage questions 0.62, both 0.62–0.66; eval/NOTES.md)")
    fit_rerank_on: Literal["dev", "passage questions", "both"] = Field(
        "dev", description="the questions the reranker is fitted on (dev: leave-writer-out dev MRR@10 0.865, "
        "passage questions 0.851, both 0.849)")


class Settings(BaseSettings, FitConfig, ChunkerConfig, PdfLayoutConfig, MeasureConfig, InputLimitsConfig,
               AnalysisConfig, CandidateConfig, RankingConfig, AnswerConfig, DecisionConfig):
    """All tunable values in one place. Build-affecting values are recorded in the index manifest,
    and the values the weights were fitted under in weights.json."""

    # Not frozen, unlike the stage configs it hands out: the derived paths are filled in after validation.
    model_config = SettingsConfigDict(env_prefix="REPORTQA_", extra="ignore", frozen=False)

    # --- paths -------------------------------------------------------------------------
    data_dir: Path = Field(default_factory=default_data_dir,
                           description="mutable files: the index, judgements, eval reports")
    corpus_dir: Path = Field(default_factory=bundled_corpus_dir)
    index_dir: Path | None = Field(None, description="default: DATA_DIR/index")
    eval_dir: Path = Field(PACKAGE_ROOT.parent / "eval", description="the question sets (package data)")
    reports_dir: Path | None = Field(None, description="eval reports; default: eval/reports in a checkout, "
                                     "DATA_DIR/eval-reports otherwise")

    # --- embedding ---------------------------------------------------------------------
    embedder: str = Field("onnx", description="embedder, by name (see indexer.embedding.EMBEDDERS): 'onnx' runs "
                          "the model on onnxruntime (no PyTorch at query time), 'minilm' the same model on PyTorch")
    onnx_quantize: bool = Field(False, description="'onnx': run the dynamic int8 quantization of the model "
                                "(smaller and faster, slightly different vectors; see bench/RESULTS.md)")
    onnx_threads: int = Field(1, ge=0, le=64, description="'onnx': threads per encoding (0: one per core)")
    embed_batch_size: int = Field(16, ge=1, le=1024)

    # --- FAISS --------------------------------------------------------------------------
    hnsw_threshold: int = Field(100_000, ge=1)
    hnsw_m: int = Field(32, ge=4, le=256)
    hnsw_ef_construction: int = Field(80, ge=4, le=10_000)

    # --- data the retriever reads (package data) ----------------------------------------------
    colloquial_path: Path = PACKAGE_ROOT.parent / "retriever" / "colloquial.toml"
    weights_path: Path = PACKAGE_ROOT.parent / "retriever" / "weights.json"

    # --- web ---------------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64)
    api_token: SecretStr | None = Field(None, description="every route needs this token; never empty")
    insecure: bool = Field(False, description="allow serving on a non-loopback address without a token")
    allowed_hosts: list[str] | None = Field(None, description="Host headers served; default: the loopback names "
                                            "when bound to loopback (no DNS rebinding), any when bound to a network")
    public_base_url: str | None = Field(None, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
                                        description="the address users reach the server by, for citation links; "
                                        "default: http://HOST:PORT as served (never the request's Host header)")
    measure_search_depth: int = Field(10, ge=1, le=100, description="hits of the search for each name of a "
                                      "measure that may join its card (retriever.measures)")
    measure_search_coverage: float = Field(0.75, ge=0.0, le=1.0, description="share of a name's words a hit "
                                           "(text and section headings) must have to join the card")
    glossary_min_uses: int = Field(3, ge=1, le=1000, description="the glossary lists every acronym the reports "
                                   "use at least this many times (and every one they define)")
    suggested_questions: int = Field(3, ge=0, le=10, description="passage questions of the top hits suggested "
                                     "under the results")
    home_suggestions: int = Field(4, ge=0, le=20, description="passage questions suggested on the home page, "
                                  "each from a different section")
    more_results_page: int = Field(10, ge=1, le=50, description="passages each 'more passages' page shows")
    log_queries: bool = False
    evaluator_mode: bool = False
    max_query_chars: int = Field(1000, ge=1)
    max_request_bytes: int = Field(16_384, ge=256)
    rate_limit_per_minute: int = Field(0, ge=0, le=1_000_000, description="requests a minute per client; 0 = off")
    judgements_path: Path | None = Field(None, description="the judgements store (SQLite); default: "
                                         "eval/judgements.sqlite3 in a checkout (git-ignored), "
                                         "DATA_DIR/judgements.sqlite3 otherwise. A .jsonl path names the file "
                                         "written before the store: its store is the .sqlite3 file beside it, "
                                         "migrated from it on first use")
    judgements_page_size: int = Field(100, ge=10, le=1000, description="judgements the review page shows at once")
    form_key_path: Path | None = Field(None, description="the key the workbench's form tokens are signed with "
                                       "(made on first use, readable by this user only); default: "
                                       "DATA_DIR/.reportqa-form-key")

    # --- evaluator workbench -------------------------------------------------------------------
    eval_record_depth: int = Field(10, ge=1, le=50, description="hits an eval run records per question")
    eval_failure_rank: int = Field(5, ge=1, le=50, description="a question whose evidence first ranks below "
                                   "this (or not at all) is a failure")
    evaluator_live_depth: int = Field(20, ge=1, le=50, description="candidates a drill-down re-runs live")
    eval_preview_words: int = Field(24, ge=1, le=200, description="the first words of a passage an eval run "
                                    "records for its top hits, and the workbench shows for every passage "
                                    "(runs written before this setting recorded 16)")
    eval_job_timeout_seconds: int = Field(7200, ge=10, le=7 * 24 * 3600, description="an eval run started "
                                          "from the workbench is stopped after this many seconds")

    _known_embedder = field_validator("embedder")(lambda value: _one_of(value, EMBEDDERS, "embedder"))

    @field_validator("api_token")
    @classmethod
    def _token_not_blank(cls, value: SecretStr | None) -> SecretStr | None:
        # An empty REPORTQA_API_TOKEN (say, "$TOKEN" with TOKEN unset) must not switch authentication off.
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("REPORTQA_API_TOKEN is set but empty; set a real token, or unset it")
        return value

    @model_validator(mode="after")
    def _derived_paths(self) -> Settings:
        checkout = is_source_checkout()
        if self.index_dir is None:
            self.index_dir = self.data_dir / "index"
        if self.judgements_path is None:
            self.judgements_path = (PROJECT_ROOT / "eval" if checkout else self.data_dir) / "judgements.sqlite3"
        if self.form_key_path is None:
            self.form_key_path = self.data_dir / ".reportqa-form-key"
        if self.reports_dir is None:
            self.reports_dir = PROJECT_ROOT / "eval" / "reports" if checkout else self.data_dir / "eval-reports"
        return self

    @property
    def base_url(self) -> str:
        """Where passage links point: ``public_base_url``, else the address the server is started on."""
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host and not self.host.startswith("[") else self.host
        return f"http://{host}:{self.port}"

    def served_hosts(self) -> list[str]:
        """The Host header values the server answers (see ``allowed_hosts``)."""
        if self.allowed_hosts is not None:
            return self.allowed_hosts
        loopback_names = {self.host, "127.0.0.1", "localhost", "::1", "[::1]"}
        return sorted(loopback_names) if is_loopback(self.host) else ["*"]

    # --- each stage's config -------------------------------------------------------------------
    def _part(self, cls: type[C]) -> C:
        return cls.model_validate({name: getattr(self, name) for name in cls.model_fields})

    chunker = property(lambda self: self._part(ChunkerConfig), doc="the chunker's config")
    pdf_layout = property(lambda self: self._part(PdfLayoutConfig), doc="the PDF layout reader's config")
    measures = property(lambda self: self._part(MeasureConfig), doc="the measure cards' config")
    input_limits = property(lambda self: self._part(InputLimitsConfig), doc="what reading one report may cost")
    analysis = property(lambda self: self._part(AnalysisConfig), doc="the query analyser's config")
    candidates = property(lambda self: self._part(CandidateConfig), doc="candidate generation's config")
    ranking = property(lambda self: self._part(RankingConfig), doc="the ranking stage's config")
    answering = property(lambda self: self._part(AnswerConfig), doc="the answer composer's config")
    decision = property(lambda self: self._part(DecisionConfig), doc="the answer decision's config")
    fitting = property(lambda self: self._part(FitConfig), doc="the weight fitting's config")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read once from the environment."""
    return Settings()
