"""The `reportqa` command: index, search, ask, eval and serve.

Machine-readable output (``--json``, ``--batch``) goes to stdout and nothing else does;
progress, notices and errors go to stderr. Query text is never logged.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

from reportqa.settings import Settings

log = logging.getLogger("reportqa")


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {}
    for name in ("corpus", "index"):
        value = getattr(args, name, None)
        if value:
            overrides[f"{name}_dir"] = Path(value)
    return Settings(**overrides)


def _add_paths(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--corpus", metavar="DIR", help="corpus folder (default: REPORTQA_CORPUS_DIR, else "
                        "corpus/ in a checkout, the bundled reports when installed)")
    parser.add_argument("--index", metavar="DIR", help="index folder (default: REPORTQA_INDEX_DIR, else index/ "
                        "in the data folder, REPORTQA_DATA_DIR)")


# --- index ----------------------------------------------------------------------------------------
def summary_line(report) -> str:
    skipped = "; ".join(f"{name} ({reason})" for name, reason in report.skipped) or "none"
    state = "Index is up to date" if report.up_to_date else "Indexed"
    c = report.counts
    return (
        f"{state}: {c.documents} documents, {c.passages} passages "
        f"({c.tables} tables, {c.table_rows} table rows, {c.figures} figures), "
        f"{c.acronyms} acronyms, {c.callouts_removed} pull-quotes removed; "
        f"{c.questions} passage questions on {c.passages_with_questions} passages; "
        f"embedded {report.embedded}, reused {report.reused}; skipped: {skipped}; {report.seconds:.1f} s"
    )


def check_index(settings: Settings) -> list[str]:
    """Problems with the live index: integrity, counts, and differences from the corpus."""
    from indexer.corpus import CorpusError, discover
    from indexer.spec import build_spec, corpus_changes
    from indexer.store import IndexStoreError, open_index

    try:
        reader = open_index(settings.index_dir, build_spec(settings), verify_hashes=True)
    except IndexStoreError as exc:
        return [str(exc)]
    problems = []
    result = reader.connection().execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        problems.append(f"SQLite integrity check failed: {result}")
    recorded = reader.manifest.counts.passages
    if recorded != len(reader.passages):
        problems.append(f"manifest says {recorded} passages, index has {len(reader.passages)}")
    try:
        problems += [f"out of date: {c}" for c in corpus_changes(reader.manifest, discover(settings.corpus_dir))]
    except CorpusError as exc:
        problems.append(str(exc))
    return problems + embedder_problems(settings)


def embedder_problems(settings: Settings) -> list[str]:
    """What is wrong with the model files the settings' embedder serves from (the ONNX export)."""
    if settings.embedder != "onnx":
        return []
    from indexer.onnx_export import check_onnx_model, onnx_model_path

    check = check_onnx_model(onnx_model_path(settings.data_dir, settings.onnx_quantize))
    return [] if check.ok else [f"the ONNX model is {check.state}: {check.detail}; run `reportqa index` to export it"]


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cmd_index(args: argparse.Namespace) -> int:
    from indexer.build import build_index

    settings = _settings(args)
    if args.check:
        problems = check_index(settings)
        for problem in problems:
            print(f"index check: {problem}", file=sys.stderr)
        if not problems:
            print(f"index check: OK ({settings.index_dir})")
        return 1 if problems else 0
    from indexer.embedding import prepare_embedder

    prepare_embedder(settings, _say)  # the ONNX export, made (or made again when damaged) here, once
    report = build_index(settings, rebuild=args.rebuild, progress=sys.stderr.isatty() or args.progress)
    for name, reason in report.skipped:
        print(f"skipped {name}: {reason}", file=sys.stderr)
    for warning in report.question_warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(summary_line(report))
    return 0


def cmd_questions(args: argparse.Namespace) -> int:
    """Curate passage questions: list passages without any, or drop weak ones."""
    settings = _settings(args)
    retriever = _open_retriever(settings)
    if args.filter:
        from eval.question_filter import drop, weak_questions

        weak = list(weak_questions(retriever, settings.corpus_dir, args.rank))
        for w in weak:
            print(f"{w.file.name}:{w.line}: rank {w.rank or '>50'}: {w.text}")
        total = len(retriever.reader.questions)
        if args.write and weak:
            print(f"dropped {drop(weak)} of {total} questions; run `reportqa index` to use the rest",
                  file=sys.stderr)
        else:
            print(f"{len(weak)} of {total} questions rank their passage below {args.rank} in a plain search"
                  + ("" if args.write else " (--write drops them)"), file=sys.stderr)
        return 0
    owners = set(retriever.reader.questions.passage_idx.tolist())
    missing = [p for i, p in enumerate(retriever.passages) if i not in owners]
    for p in missing:
        print(f"{p.doc_id}\t{p.passage_id}\t{p.section_label}\t{' '.join(p.text.split())[:80]}")
    print(f"{len(missing)} of {len(retriever.passages)} passages have no questions", file=sys.stderr)
    return 0


def ensure_index(settings: Settings, progress: bool = True, rebuild_damaged: bool = True) -> None:
    """Build the index when it is missing, out of date or built differently. A damaged one (every
    file is checked against its manifest checksum) is rebuilt from scratch, saying so, or with
    ``rebuild_damaged`` off (search, ask), refused with what to run. The same goes for the
    embedder's files (the ONNX export)."""
    from indexer.build import build_index, is_up_to_date
    from indexer.embedding import prepare_embedder
    from indexer.store import IndexStoreError, live_build, read_manifest, verify_files

    prepare_embedder(settings, _say, rebuild_damaged)

    fresh, reasons = is_up_to_date(settings)
    damaged = ""
    if fresh:
        try:
            build = live_build(settings.index_dir)
            verify_files(build, read_manifest(build))
        except IndexStoreError as exc:
            damaged = str(exc)
    if fresh and not damaged:
        return
    if damaged:
        if not rebuild_damaged:
            raise IndexStoreError(damaged)
        print(f"The index is damaged ({damaged.split('; run')[0]}): rebuilding it from scratch …", file=sys.stderr)
    else:
        print(f"Building the index ({'; '.join(reasons)}) …", file=sys.stderr)
    report = build_index(settings, rebuild=bool(damaged), progress=progress)
    print(summary_line(report), file=sys.stderr)


# --- search and ask ----------------------------------------------------------------------------------
def _open_retriever(settings: Settings, strict_weights: bool = True):
    from retriever.retriever import Retriever

    ensure_index(settings, progress=sys.stderr.isatty(), rebuild_damaged=False)
    return Retriever.open(settings, strict_weights=strict_weights)


def _filters(args: argparse.Namespace):
    from retriever.retriever import SearchFilters

    docs = frozenset(args.doc) if getattr(args, "doc", None) else None
    return SearchFilters(doc_ids=docs, section_prefix=getattr(args, "section", None))


def _queries(args: argparse.Namespace) -> list[str]:
    if args.batch:
        path = Path(args.batch)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise SystemExit(f"reportqa: cannot read {path}: {exc.strerror}") from exc
        return [line.strip() for line in lines if line.strip()]
    if not args.query or not args.query.strip():
        raise SystemExit("reportqa: give a query, or --batch FILE")
    return [args.query]


def _answer_each(args: argparse.Namespace, respond: Callable, as_json: Callable, as_text: Callable) -> int:
    """`search` and `ask`: open the index once, then for each query ``respond(retriever, query)``
    and print it as JSON (``--json``, ``--batch``: one object per line) or as text."""
    queries = _queries(args)
    settings = _settings(args)
    retriever = _open_retriever(settings)
    json_out = args.json or bool(args.batch)
    citer = _citer(retriever, settings)
    for query in queries:
        result = respond(retriever, query)
        if json_out:
            print(as_json(query, result, citer).model_dump_json(), flush=True)
        else:
            as_text(retriever, result)
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from retriever.contract import search_response

    return _answer_each(args, lambda retriever, query: retriever.search(query, k=args.k, filters=_filters(args)),
                        search_response, _print_hits)


def _print_hits(retriever, hits) -> None:
    if not hits:
        print("No passages found.")
    for hit in hits:
        p = hit.passage
        page = f", p. {p.page}" if p.page else ""
        print(f"{hit.rank}. [{retriever.documents[p.doc_id].meta.short_title}{page}] {p.section_label}")
        print("   " + _marked(p.text, hit.highlights).replace("\n", "\n   "))
        print(f"   id {p.passage_id}  score {hit.score:.3f}\n")


def _citer(retriever, settings):
    """Citations for --json output, linking under the public base URL (REPORTQA_PUBLIC_BASE_URL)."""
    from reportqa.citation import Citer

    return Citer({doc_id: d.meta for doc_id, d in retriever.documents.items()}, settings.base_url)


def _marked(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with evidence sentences wrapped in » … « for terminals."""
    out, pos = [], 0
    for s, e in spans:
        out += [text[pos:s], "»", text[s:e], "«"]
        pos = e
    out.append(text[pos:])
    return "".join(out)


def cmd_ask(args: argparse.Namespace) -> int:
    from retriever.contract import ask_response

    return _answer_each(args, lambda retriever, query: retriever.ask(query, filters=_filters(args)),
                        lambda query, answer, citer: ask_response(answer, citer), _print_answer)


def _cited(sentence) -> str:
    """A sentence with every citation that says it: 'text [1]', or 'text [1, 3]' (quoted once, cited twice)."""
    numbers = [sentence.citation, *(n for n in sentence.also_cited if n != sentence.citation)]
    return f"{sentence.text} [{', '.join(map(str, numbers))}]"


def _print_answer(retriever, answer) -> None:
    if answer.corrections:
        print("(searched with " + ", ".join(f"'{b}' for '{a}'" for a, b in answer.corrections.items()) + ")")
    print(f"[{answer.outcome}]")
    if answer.outcome == "answer":
        print("\n".join(_cited(s) for s in answer.sentences))
    elif answer.outcome == "closest" and answer.lead is not None:  # up front, and not framed as an answer
        print(f"The closest the reports come: {_cited(answer.lead)}")
        print("(not a direct answer: read the passages before relying on it)")
    else:
        print(answer.text)
    for reason in answer.reasons:
        print(reason)
    print()
    if answer.abstained:
        print("Closest passages:")
        for hit in answer.hits[:3]:
            print(f"  - {retriever.documents[hit.passage.doc_id].meta.short_title}, {hit.passage.section_label}")
    for c in answer.citations:
        page = f", p. {c.passage.page}" if c.passage.page else ""
        print(f"[{c.n}] {c.doc_title}, {c.passage.section_label}{page} (passage {c.passage.passage_id})")


# --- eval and serve --------------------------------------------------------------------------------------
def cmd_eval(args: argparse.Namespace) -> int:
    from eval.evaluate import evaluate, summary_text

    settings = _settings(args)
    if args.compare or args.failures:
        return _eval_read_back(args, settings)
    if args.rescore:
        from eval.rescore import report_lines, rescore_split

        print("\n".join(report_lines(*rescore_split(settings, args.split if args.split != "all" else "dev"))))
        return 0
    retriever = _open_retriever(settings, strict_weights=False)  # a mismatch is a warning here
    default = settings.eval_dir / ("sealed" if args.split == "sealed" else "questions.jsonl")
    questions = Path(args.questions) if args.questions else default
    report = ProgressFile(Path(args.progress_file)) if args.progress_file else None
    outcome = evaluate(retriever, questions, args.split, args.config, settings.reports_dir,
                       settings.judgements_path, with_ask=not args.no_ask, progress=report)
    if report:
        report.finish([p.name for p in outcome.written])
    print(summary_text(outcome))
    print("\nReports: " + ", ".join(str(p) for p in outcome.written if p.suffix == ".md"))
    return 0


class ProgressFile:
    """`eval --progress-file`: keeps {"done", "total", "stage", "written"} in a JSON file (replaced
    whole, at most every quarter second) for the web workbench to show."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.last = 0.0
        self.total = 0

    def _write(self, data: dict) -> None:
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps(data), encoding="utf-8")
        temporary.replace(self.path)

    def __call__(self, done: int, total: int, stage: str) -> None:
        self.total = total
        now = time.monotonic()
        if now - self.last >= 0.25 or done == total:
            self.last = now
            self._write({"done": done, "total": total, "stage": stage})

    def finish(self, written: list[str]) -> None:
        self._write({"done": self.total, "total": self.total, "stage": "written", "written": written})


def _eval_read_back(args: argparse.Namespace, settings: Settings) -> int:
    """`eval --compare A B` and `eval --failures RUN`: read runs already written; no index needed."""
    from eval.compare import format_comparison, format_failures
    from reportqa.runs import compare_runs, open_run, question_index

    questions = question_index(settings.eval_dir)
    if args.compare:
        a, b = (open_run(ref, settings.reports_dir, questions) for ref in args.compare)
        print(format_comparison(compare_runs(a, b), show_same=args.all))
    if args.failures:
        print(format_failures(open_run(args.failures, settings.reports_dir, questions), settings.eval_failure_rank))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from web.serve import serve

    settings = _settings(args)
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port), ("workers", args.workers),
                                   ("insecure", args.insecure)) if v}
    settings = settings.model_copy(update=overrides)
    from web.serve import bind_listener, check_exposure

    check_exposure(settings)  # before the index is built: a refusal should not wait for it
    listener = bind_listener(settings.host, settings.port)  # likewise a port in use
    try:
        ensure_index(settings, progress=True)
        return serve(settings, listener)
    finally:
        listener.close()


def build_parser() -> argparse.ArgumentParser:
    from retriever.pipeline import DEFAULT_CONFIGS

    parser = argparse.ArgumentParser(prog="reportqa", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="build or refresh the index of the corpus")
    _add_paths(p)
    p.add_argument("--rebuild", action="store_true", help="rebuild everything, re-embedding all text")
    p.add_argument("--check", action="store_true", help="verify the index against its manifest and the corpus")
    p.add_argument("--progress", action="store_true", help="show a progress bar even when not on a terminal")
    p.set_defaults(func=cmd_index)

    for name, func, helptext in (("search", cmd_search, "find passages"), ("ask", cmd_ask, "answer with citations")):
        p = sub.add_parser(name, help=helptext)
        _add_paths(p)
        p.add_argument("query", nargs="?", help='the question; "quoted words" search for an exact phrase')
        p.add_argument("--batch", metavar="FILE", help="one query per line; prints one JSON object per query")
        p.add_argument("--json", action="store_true", help="print JSON")
        p.add_argument("--doc", action="append", metavar="ID", help="only this report (repeatable)")
        p.add_argument("--section", metavar="PREFIX", help="only sections starting with this number or title")
        if name == "search":
            p.add_argument("--k", type=int, default=10, help="number of results (default 10)")
        p.set_defaults(func=func)

    p = sub.add_parser("questions", help="curate passage questions (corpus/<doc-id>.questions.jsonl)")
    _add_paths(p)
    p.add_argument("--missing", action="store_true", help="list passages that have no questions (the default)")
    p.add_argument("--filter", action="store_true",
                   help="list questions a plain search does not answer with their own passage (Doc2Query--)")
    p.add_argument("--rank", type=int, default=20, help="with --filter: the rank a question's passage must reach")
    p.add_argument("--write", action="store_true", help="with --filter: drop those questions from the files")
    p.set_defaults(func=cmd_questions)

    p = sub.add_parser("eval", help="score retrieval and answers on the question set")
    _add_paths(p)
    p.add_argument("--questions", metavar="FILE", help="question set (default eval/questions.jsonl)")
    p.add_argument("--split", choices=("dev", "sealed", "all"), default="dev",
                   help="dev (tune on it) or sealed (eval/sealed/: evaluate once, at the end of an issue)")
    p.add_argument("--config", nargs="+", default=list(DEFAULT_CONFIGS), metavar="NAME",
                   help=f"configurations to compare (default: {' '.join(DEFAULT_CONFIGS)})")
    p.add_argument("--no-ask", action="store_true", help="skip the ask slice")
    p.add_argument("--compare", nargs=2, metavar=("RUN_A", "RUN_B"),
                   help="print the per-question diff of two runs already written (a report stem such as "
                        "2026-11-29-full, sealed/2026-11-29-full, or a path); runs nothing")
    p.add_argument("--failures", metavar="RUN", help="list a run's questions whose evidence is not in the top 5")
    p.add_argument("--all", action="store_true", help="with --compare: list unchanged questions too")
    p.add_argument("--rescore", action="store_true",
                   help="re-score the stored runs of --split with the current evidence matching; searches nothing")
    p.add_argument("--progress-file", metavar="FILE", help="keep the progress in this JSON file (for the web page)")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("serve", help="serve the web app (builds the index first if needed)")
    _add_paths(p)
    p.add_argument("--host", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 8000)")
    p.add_argument("--workers", type=int, help="uvicorn worker processes (default 1)")
    p.add_argument("--insecure", action="store_true",
                   help="serve on a non-loopback address without an API token (only on a trusted network)")
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    from indexer.corpus import CorpusError
    from indexer.embedding import EmbedderError
    from indexer.store import IndexStoreError

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("faiss", "bm25s"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (CorpusError, IndexStoreError, EmbedderError, ValueError) as exc:
        print(f"reportqa: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
