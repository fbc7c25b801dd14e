"""The judgements store (reportqa/judgements.py): a SQLite file in WAL mode, one transaction per
judgement or undo, indexed by question and passage; undo by retraction, one undo per judgement under
concurrency (the read under the write lock); the old JSON lines file migrated on first use, a bad
line skipped; JSON lines and TREC qrels as exports; the review a page at a time."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import ir_measures
import pytest

import reportqa.judgements as judgements_module
from reportqa.judgements import (
    Judgement,
    JudgementError,
    JudgementStore,
    JudgementStoreError,
    append_judgement,
    judgement_qrels,
    legacy_path,
    load_judgements,
    normalise_name,
    parse_jsonl,
    parse_line,
    query_id,
    retract_latest,
    review,
    standing,
    store_path,
    to_jsonl,
    trec_qrels,
)

WHEN = "2026-01-01T10:00:00+00:00"


def test_undo_records_a_retraction_of_that_evaluators_latest_judgement(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    append_judgement(path, Judgement("How long is a review?", "p1", True, "alice", "2026-01-01T10:00:00+00:00"))
    append_judgement(path, Judgement("how long is a review", "p1", False, "alice", "2026-01-01T10:01:00+00:00"))
    append_judgement(path, Judgement("How long is a review?", "p1", True, "bob", "2026-01-01T09:00:00+00:00"))
    retraction = retract_latest(path, "How long is a review?", "p1", "alice")
    assert retraction.retract and retraction.relevant is False  # alice's latest was "not relevant"
    records = load_judgements(path)
    assert len(records) == 4 and records[-1].retract and not records[0].retract  # nothing deleted
    assert [r.status for r in review(records)] == ["standing", "undone", "standing", "undo"]
    assert [j.relevant for j in standing(records, "alice")] == [True]
    assert judgement_qrels(records, {"q1": "How long is a review?"}) == {"q1": {"p1": 1}}
    retract_latest(path, "How long is a review?", "p1", "alice")
    with pytest.raises(JudgementError, match="no standing judgement"):
        retract_latest(path, "How long is a review?", "p1", "alice")
    assert [j.who for j in standing(load_judgements(path))] == ["bob"]  # bob's is untouched
    assert [r.judgement.who for r in review(load_judgements(path), "alice")] == ["alice"] * 4


def test_the_latest_judgement_of_a_pair_wins_and_invalid_ones_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    append_judgement(path, Judgement("How long is a review?", "p1", True, "eval-1", "2026-01-01T10:00:00+00:00"))
    append_judgement(path, Judgement("how long is a review", "p1", False, "eval-2", "2026-01-02T10:00:00+00:00"))
    append_judgement(path, Judgement("Unrelated?", "p2", True, "eval-1", WHEN))
    assert judgement_qrels(load_judgements(path), {"q1": "How long is a review?"}) == {"q1": {"p1": 0}}
    for bad in (Judgement("", "p1", True, "me", WHEN), Judgement("q", "p1", True, "me", "yesterday"),
                Judgement("q", "p1", "yes", "me", WHEN), Judgement("q", "", True, "me", WHEN),
                Judgement("q", "p1", True, "a\tb", WHEN), Judgement("q", "p1", True, "me", WHEN, retract=True)):
        with pytest.raises(JudgementError):
            append_judgement(path, bad)
    assert len(load_judgements(path)) == 3
    with pytest.raises(JudgementError):
        append_judgement(tmp_path / "never.sqlite3", Judgement("", "p1", True, "me", WHEN))
    assert not (tmp_path / "never.sqlite3").exists()  # an invalid record makes no store


def test_the_store_is_sqlite_in_wal_mode_indexed_by_question_and_passage(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    assert load_judgements(path) == [] and not path.exists()  # reading makes no store
    append_judgement(path, Judgement.now("what is a CAWN", "p1", True, "Ann"))
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        plan = " ".join(str(row) for row in conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM judgements WHERE query_key = 'whatisacawn' AND passage_id = 'p1' "
            "AND who = 'Ann'"))
        assert "judgements_by_pair" in plan
        assert "judgements_by_passage" in plan_of(conn, "SELECT id FROM judgements WHERE passage_id = 'p1'")


def plan_of(conn: sqlite3.Connection, sql: str) -> str:
    return " ".join(str(row) for row in conn.execute("EXPLAIN QUERY PLAN " + sql))


def test_two_undos_at_once_cancel_one_judgement(tmp_path: Path, monkeypatch) -> None:
    """Deterministic: the first undo is held inside its write transaction, just after reading the
    judgement it will cancel, while the second starts. The second must not read until the first has
    written (read under the lock); an undo that read first would cancel the same judgement twice."""
    path = tmp_path / "j.sqlite3"
    append_judgement(path, Judgement.now("q", "p1", True, "alice"))
    first_read, release_first, second_read = threading.Event(), threading.Event(), threading.Event()
    read = judgements_module._latest_standing
    readers: list[str] = []

    def latest_standing(conn, key, passage_id, who):
        found = read(conn, key, passage_id, who)
        name = threading.current_thread().name
        readers.append(f"{name}:{'found' if found else 'none'}")
        if name == "first":
            first_read.set()
            assert release_first.wait(10)
        else:
            second_read.set()
        return found

    monkeypatch.setattr(judgements_module, "_latest_standing", latest_standing)
    results: dict[str, str] = {}

    def undo() -> None:
        try:
            retract_latest(path, "q", "p1", "alice")
            results[threading.current_thread().name] = "undone"
        except JudgementError:
            results[threading.current_thread().name] = "nothing"

    first = threading.Thread(target=undo, name="first")
    first.start()
    assert first_read.wait(10)
    second = threading.Thread(target=undo, name="second")
    second.start()
    read_while_locked = second_read.wait(1.0)  # the second undo waits for the lock: it must not read yet
    release_first.set()
    first.join(10)
    second.join(10)
    assert not read_while_locked, "the second undo read while the first held the write lock"
    assert results == {"first": "undone", "second": "nothing"} and readers == ["first:found", "second:none"]
    assert sum(1 for j in load_judgements(path) if j.retract) == 1


def test_many_undos_at_once_cancel_one_judgement_each(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    for _ in range(3):
        append_judgement(path, Judgement.now("q", "p1", True, "alice"))
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda _: _try_undo(path), range(12)))
    assert sorted(outcomes) == ["nothing"] * 9 + ["undone"] * 3
    assert [r.status for r in review(load_judgements(path))] == ["undone"] * 3 + ["undo"] * 3


def _try_undo(path: Path) -> str:
    try:
        retract_latest(path, "q", "p1", "alice")
        return "undone"
    except JudgementError:
        return "nothing"


def test_concurrent_judgements_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"

    def worker(n: int) -> None:
        for k in range(25):
            append_judgement(path, Judgement.now(f"query {n} {k} " + "x" * 500, f"p{k}", bool(k % 2), f"w{n}"))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(worker, range(8)))
    records = load_judgements(path)
    assert len(records) == 200 and len({j.query for j in records}) == 200


def test_a_write_waits_for_another_writer(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    append_judgement(path, Judgement.now("q", "p", True, "a"))
    done = threading.Event()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
    writer = threading.Thread(target=lambda: (append_judgement(path, Judgement.now("q2", "p", True, "a")),
                                              done.set()))
    writer.start()
    assert not done.wait(0.5), "the write must wait while another writer holds the lock"
    holder.execute("COMMIT")
    holder.close()
    assert done.wait(10) and len(load_judgements(path)) == 2
    writer.join()


def test_a_store_that_cannot_be_written_or_read_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "judgements.sqlite3"
    folder.mkdir()  # a folder where the store should be: unwritable even as root
    with pytest.raises(JudgementStoreError, match="cannot write judgements"):
        append_judgement(folder, Judgement.now("q", "p", True, "a"))
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"not a database at all" * 100)
    with pytest.raises(JudgementStoreError, match="cannot read judgements"):
        load_judgements(damaged)
    with pytest.raises(JudgementStoreError, match="cannot write judgements"):
        retract_latest(damaged, "q", "p", "a")


# --- the old JSON lines file ------------------------------------------------------------------------------------
def legacy_lines(path: Path, lines: list[str | bytes]) -> Path:
    path.write_bytes(b"".join((line if isinstance(line, bytes) else line.encode("utf-8")) + b"\n" for line in lines))
    return path


def test_the_old_file_is_migrated_on_first_use_skipping_lines_it_cannot_read(tmp_path: Path) -> None:
    old = legacy_lines(tmp_path / "judgements.jsonl", [
        json.dumps({"query": "what is a CAWN", "passage_id": "p1", "relevant": True, "who": "Ann\tLee", "when": WHEN}),
        "[" * 5000 + "]" * 5000,  # nested too deep to read (issue 22, D10)
        '{"query": "caf\xe9", "passage_id": "p1", "relevant": true}'.encode("latin-1"),  # not UTF-8, a field missing
        "{not json",
        json.dumps({"query": "what is a CAWN", "passage_id": "p2", "relevant": "yes", "who": "Bo", "when": WHEN}),
        json.dumps({"query": "What is a CAWN?", "passage_id": "p1", "relevant": True, "who": "Ann Lee",
                    "when": "2026-01-02T00:00:00+00:00", "retract": True}),
        json.dumps({"query": "what is a CAWN", "passage_id": "p3", "relevant": False, "who": "Bo", "when": WHEN}),
    ])
    store = JudgementStore(old)
    assert store.path == tmp_path / "judgements.sqlite3" == store_path(old)
    records = load_judgements(old)  # the first use: migrated
    assert [(j.passage_id, j.who, j.retract) for j in records] == [("p1", "Ann Lee", False), ("p1", "Ann Lee", True),
                                                                   ("p3", "Bo", False)]
    assert [r.status for r in review(records)] == ["undone", "undo", "standing"]
    assert "3 records migrated" in store.migration() and "4 lines that could not be read" in store.migration()
    old.write_text("", encoding="utf-8")  # the old file is left alone, and never read again
    assert len(load_judgements(old)) == 3
    append_judgement(old, Judgement.now("q", "p9", True, "Cy"))
    assert len(load_judgements(tmp_path / "judgements.sqlite3")) == 4


def test_a_migration_interrupted_leaves_no_half_store(tmp_path: Path, monkeypatch) -> None:
    old = legacy_lines(tmp_path / "judgements.jsonl", [
        json.dumps({"query": "q", "passage_id": f"p{n}", "relevant": True, "who": "Ann", "when": WHEN})
        for n in range(5)])
    insert = judgements_module._insert
    calls = {"n": 0}

    def failing(conn, judgement):
        calls["n"] += 1
        if calls["n"] == 3:
            raise sqlite3.OperationalError("disk I/O error")
        return insert(conn, judgement)

    monkeypatch.setattr(judgements_module, "_insert", failing)
    with pytest.raises(JudgementStoreError):
        load_judgements(old)
    assert not store_path(old).exists() and not list(tmp_path.glob("*.new-*"))
    monkeypatch.setattr(judgements_module, "_insert", insert)
    assert len(load_judgements(old)) == 5  # the next start migrates it all


def test_jsonl_and_qrels_are_exports(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    append_judgement(path, Judgement("What is a CAWN?", "p1", True, "alice", WHEN))
    append_judgement(path, Judgement("what is a cawn", "p2", False, "bob", WHEN))
    append_judgement(path, Judgement("something else", "p3", True, "alice", WHEN))
    append_judgement(path, Judgement("What is a CAWN?", "p4", True, "alice", WHEN))
    retract_latest(path, "What is a CAWN?", "p4", "alice")
    records = load_judgements(path)
    lines = trec_qrels(records, {"a5": "What is a CAWN?"})
    assert lines == ["a5 0 p1 1", "a5 0 p2 0"]
    (tmp_path / "x.qrels").write_text("\n".join(lines) + "\n", encoding="utf-8")
    read = {(q.query_id, q.doc_id): q.relevance for q in ir_measures.read_trec_qrels(str(tmp_path / "x.qrels"))}
    assert read == {("a5", "p1"): 1, ("a5", "p2"): 0}
    assert trec_qrels(records, {"a5": "What is a CAWN?"}, who="bob") == ["a5 0 p2 0"]
    everything = trec_qrels(records, {"a5": "What is a CAWN?"}, unmatched=True)
    assert len(everything) == 3 and any(re.fullmatch(r"j-[0-9a-f]{12} 0 p3 1", line) for line in everything)
    exported = "".join(to_jsonl(records)).encode("utf-8")
    assert set(json.loads(exported.splitlines()[0])) == {"query", "passage_id", "relevant", "who", "when"}
    assert json.loads(exported.splitlines()[-1])["retract"] is True
    assert parse_jsonl(exported) == (records, 0)  # the export reads back whole
    assert legacy_lines(tmp_path / "again.jsonl", [line.decode() for line in exported.splitlines()])
    assert load_judgements(tmp_path / "again.jsonl") == records  # and migrates into a store as it was


def test_the_review_is_read_a_page_at_a_time_newest_first(tmp_path: Path) -> None:
    store = JudgementStore(tmp_path / "j.sqlite3")
    for n in range(25):
        store.add(Judgement(f"question {n}", "p1", True, "Ann" if n % 2 else "Bo", WHEN))
    store.undo("question 3", "p1", "Ann")
    assert store.count() == 26 and store.count("Ann") == 13 and store.names() == ["Ann", "Bo"]
    first = store.page(None, 0, 10)
    assert [r.id for r in first] == list(range(26, 16, -1))
    assert first[0].status == "undo" and not first[0].undoable
    last = store.page(None, 20, 10)
    assert [r.id for r in last] == list(range(6, 0, -1))
    undone = next(r for r in last if r.judgement.query == "question 3")
    assert undone.status == "undone" and not undone.undoable
    assert all(r.undoable for r in last if r.status == "standing")
    anns = store.page("Ann", 0, 100)
    assert len(anns) == 13 and {r.judgement.who for r in anns} == {"Ann"}
    store.add(Judgement("Question 5!", "p1", False, "Ann", WHEN))  # the same pair again: only the latest is undoable
    pair = [r for r in store.page("Ann", 0, 100) if r.judgement.pair == ("question5", "p1")]
    assert [r.undoable for r in pair] == [True, False]
    assert [j.relevant for j in store.for_query("QUESTION 5")] == [True, False]


# --- exactly what is stored, read and said (mutation testing, issue 22) -----------------------------------------
def undone_by(path: Path) -> dict[int, int | None]:
    with sqlite3.connect(store_path(path)) as conn:
        return dict(conn.execute("SELECT id, undone_by FROM judgements ORDER BY id"))


def test_each_undo_marks_the_judgement_it_cancelled(tmp_path: Path) -> None:
    old = legacy_lines(tmp_path / "judgements.jsonl", [
        json.dumps({"query": "q", "passage_id": "p1", "relevant": True, "who": "Ann", "when": WHEN}),
        json.dumps({"query": "q", "passage_id": "p2", "relevant": True, "who": "Ann", "when": WHEN}),
        "",  # a blank line is passed over, and what follows is read
        json.dumps({"query": "Q!", "passage_id": "p1", "relevant": True, "who": "Ann", "when": WHEN, "retract": True}),
        json.dumps({"query": "q", "passage_id": "p2", "relevant": True, "who": "Bo", "when": WHEN, "retract": True}),
    ])
    store = JudgementStore(old)
    assert store.count() == 4  # migrated on this first use
    assert undone_by(old) == {1: 3, 2: None, 3: None, 4: None}  # Bo's undo cancels nothing of Ann's
    with sqlite3.connect(store.path) as conn:
        assert dict(conn.execute("SELECT key, value FROM meta"))["migrated_from"] == str(old)
    twice = legacy_lines(tmp_path / "twice.jsonl", [
        json.dumps({"query": "q", "passage_id": "p1", "relevant": relevant, "who": "Ann", "when": WHEN})
        for relevant in (True, False)])
    assert [r.status for r in JudgementStore(twice).page(None, 0, 10)] == ["standing", "standing"]
    assert undone_by(twice) == {1: None, 2: None}  # judging a pair again cancels nothing: the latest wins
    assert [(r.id, r.status, r.undoable) for r in store.page(None, 0, 10)] == [
        (4, "undo", False), (3, "undo", False), (2, "standing", True), (1, "undone", False)]
    done = store.undo("q", "p2", "Ann")
    assert done.cancelled == 2 and undone_by(old)[2] == 5 and done.retraction == store.all()[-1]
    assert store.standing() == [] and store.count() == 5 and store.count("Bo") == 1 and store.count("Cy") == 0
    store.add(Judgement("q", "p3", False, "Cy", WHEN))
    store.add(Judgement("q", "p4", True, "Ann", WHEN))
    assert [j.passage_id for j in store.standing()] == ["p3", "p4"] and store.standing("Ann")[0].passage_id == "p4"
    assert store.migration() == "4 records migrated from judgements.jsonl into judgements.sqlite3"


def test_a_store_made_fresh_or_absent_says_so(tmp_path: Path, caplog) -> None:
    fresh = JudgementStore(tmp_path / "deep" / "er" / "j.sqlite3")  # folders made as needed
    assert fresh.count() == 0 and fresh.names() == [] and fresh.page(None, 0, 10) == [] and fresh.standing() == []
    assert fresh.for_query("q") == [] and fresh.migration() == "" and not fresh.path.exists()
    fresh.add(Judgement.now("q", "p", True, "Ann"))
    assert fresh.migration() == "" and fresh.names() == ["Ann"]
    old = legacy_lines(tmp_path / "judgements.jsonl", [
        json.dumps({"query": "q", "passage_id": "p", "relevant": True, "who": "Ann", "when": WHEN}), "{bad"])
    with caplog.at_level(logging.WARNING, logger="reportqa.judgements"):
        JudgementStore(old).count()
    assert caplog.records[-1].getMessage() == ("judgements: 1 records migrated from judgements.jsonl into "
                                              "judgements.sqlite3; 1 lines that could not be read were skipped")


def test_the_json_lines_format_exactly(tmp_path: Path) -> None:
    first = Judgement("café ✓", "p1", True, "Zoë", WHEN)
    undo = Judgement("café ✓", "p1", True, "Zoë", WHEN, retract=True)
    assert first.to_line() == ('{"query": "café ✓", "passage_id": "p1", "relevant": true, "who": "Zoë", '
                               f'"when": "{WHEN}"}}\n')
    assert undo.to_line().endswith(', "retract": true}\n')
    assert list(to_jsonl([first, undo, first])) == [first.to_line(), undo.to_line(), first.to_line()]
    assert list(to_jsonl([first, undo, first], 2)) == [first.to_line() + undo.to_line(), first.to_line()]
    assert list(to_jsonl([first, undo], 2)) == [first.to_line() + undo.to_line()]
    assert list(to_jsonl([])) == []
    data = (first.to_line() + "\n{not json\n[" + "[" * 3000 + "\n" + undo.to_line()).encode("utf-8")
    assert parse_jsonl(data) == ([first, undo], 2)
    with pytest.raises(JudgementError, match=r"^not a judgement \(JSONDecodeError\)$"):
        parse_line("{not json")
    assert store_path(tmp_path / "j.sqlite3") == tmp_path / "j.sqlite3"
    assert store_path(tmp_path / "judgements") == tmp_path / "judgements"
    assert legacy_path(tmp_path / "judgements") == tmp_path / "judgements.jsonl"


@pytest.mark.parametrize("judgement,message", [
    (Judgement("q" * 1001, "p", True, "a", WHEN), "query must be 1-1000 characters"),
    (Judgement(" ", "p", True, "a", WHEN), "query must be 1-1000 characters"),
    (Judgement("q", "p" * 201, True, "a", WHEN), "passage_id is required"),
    (Judgement("q", "", True, "a", WHEN), "passage_id is required"),
    (Judgement("q", "p", 1, "a", WHEN), "relevant must be true or false"),
    (Judgement("q", "p", True, "a" * 201, WHEN), "who (the evaluator's name) must be 1-200 printable characters"),
    (Judgement("q", "p", True, " ", WHEN), "who (the evaluator's name) must be 1-200 printable characters"),
    (Judgement("q", "p", True, 7, WHEN), "who (the evaluator's name) must be 1-200 printable characters"),
    (Judgement("q", "p", True, "a", WHEN, retract=1), "retract must be true or false"),
    (Judgement("q", "p", True, "a", "soon"), "when must be an ISO-8601 time"),
    (Judgement("q", "p", True, "a", None), "when must be an ISO-8601 time"),
])
def test_an_invalid_judgement_says_which_field(judgement: Judgement, message: str) -> None:
    with pytest.raises(JudgementError) as refused:
        judgement.validate()
    assert str(refused.value) == message


def test_the_longest_fields_are_valid_and_times_are_utc(tmp_path: Path) -> None:
    Judgement("q" * 1000, "p" * 200, False, "a" * 200, WHEN).validate()
    assert Judgement.now("q", "p", True, " Ann\tLee ").when.endswith("+00:00")
    assert Judgement.now("q", "p", True, " Ann\tLee ").who == "Ann Lee"
    assert normalise_name("a\x00b\u200bc\n") == "a b c" and normalise_name(None) == ""
    with pytest.raises(JudgementError) as refused:
        JudgementStore(tmp_path / "j.sqlite3").add(Judgement("q", "p", True, "a", WHEN, retract=True))
    assert str(refused.value) == "record an undo with undo(), which finds the judgement it cancels"
    expected = "j-" + hashlib.sha1(b"whatisacawn").hexdigest()[:12]
    assert query_id("What is a CAWN?") == expected == query_id("what is a cawn")


def test_the_store_says_why_it_cannot_be_used(tmp_path: Path) -> None:
    folder = tmp_path / "judgements.sqlite3"
    folder.mkdir()
    with pytest.raises(JudgementStoreError) as refused:
        append_judgement(folder, Judgement.now("q", "p", True, "a"))
    assert str(refused.value) == f"cannot write judgements to {folder}: unable to open database file"
    blocked = tmp_path / "file"
    blocked.write_text("", encoding="utf-8")
    with pytest.raises(JudgementStoreError) as refused:
        append_judgement(blocked / "j.sqlite3", Judgement.now("q", "p", True, "a"))  # its folder is a file
    assert str(refused.value) == f"cannot write judgements to {blocked / 'j.sqlite3'}: File exists"


def test_a_list_of_records_is_reviewed_as_the_store_would() -> None:
    records = [Judgement("q", "p1", True, "Ann", WHEN), Judgement("q", "p1", False, "Ann", WHEN),
               Judgement("q", "p2", True, "Bo", WHEN), Judgement("q", "p1", False, "Ann", WHEN, retract=True)]
    assert [(r.id, r.status, r.undoable) for r in review(records)] == [
        (1, "standing", True), (2, "undone", False), (3, "standing", True), (4, "undo", False)]
    assert [r.id for r in review(records, "Bo")] == [3]
    standing_only = [records[0], records[2]]  # as the store's own standing() gives them: no retraction
    assert standing(standing_only, "Ann") == [records[0]] and standing(standing_only, " Bo ") == [records[2]]
    assert standing(standing_only) == standing_only and standing(records, "Ann") == [records[0]]
    with pytest.raises(JudgementError) as refused:
        parse_line("[1]")
    assert str(refused.value) == "not a judgement (TypeError)"
