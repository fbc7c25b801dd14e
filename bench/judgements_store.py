"""The judgements store at scale (issue 22, D11): with 100,000 judgements, how long the migration
from the old JSON lines file takes, how large and slow the review page is, how long an undo, the
qrels export and the drill-down's read take, and whether the server still answers while they run
(an /api/health probe every 50 ms against a real uvicorn server in this process).

    python -m bench.judgements_store [--records 100000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from bench.common import free_port
from reportqa.judgements import JudgementStore
from reportqa.settings import Settings
from web.app import create_app
from web.holder import RetrieverHolder

QUERY = "bulk question number {n} about warning notices and disruption"


def legacy_file(path: Path, records: int) -> Path:
    """A judgements.jsonl as the old server wrote it: ``records`` judgements by 20 evaluators, every
    tenth one undone by a retraction line."""
    with path.open("w", encoding="utf-8") as out:
        for n in range(records):
            line = {"query": QUERY.format(n=n % 5000), "passage_id": f"survey-report-{n % 997:010x}",
                    "relevant": n % 3 != 0, "who": f"evaluator {n % 20}", "when": "2026-11-29T10:00:00+00:00"}
            out.write(json.dumps(line) + "\n")
            if n % 10 == 9:
                out.write(json.dumps({**line, "retract": True}) + "\n")
    return path


class Probe:
    """/api/health every 50 ms in a thread: the longest answer while something else runs."""

    def __init__(self, base: str) -> None:
        self.base, self.latencies, self.stop = base, [], False
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        with httpx.Client(timeout=60) as client:
            while not self.stop:
                started = time.perf_counter()
                client.get(self.base + "/api/health")
                self.latencies.append((time.perf_counter() - started) * 1000)
                time.sleep(0.05)

    def during(self, label: str, call) -> None:
        self.latencies.clear()
        time.sleep(0.2)
        started = time.perf_counter()
        response = call()
        seconds = time.perf_counter() - started
        time.sleep(0.1)
        print(f"{label:<44} {response.status_code}  {len(response.content):>10,} bytes  {seconds * 1000:8.0f} ms"
              f"   /api/health max {max(self.latencies or [0]):5.0f} ms over {len(self.latencies)} probes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="bench-judgements-"))
    old = legacy_file(root / "judgements.jsonl", args.records)
    print(f"{old.stat().st_size / 1e6:.1f} MB of JSON lines ({args.records:,} judgements, "
          f"{args.records // 10:,} undone)")
    store = JudgementStore(old)
    started = time.perf_counter()
    count = store.count()
    print(f"migration on first use: {time.perf_counter() - started:.1f} s, {count:,} records, "
          f"store {store.path.stat().st_size / 1e6:.1f} MB")
    started = time.perf_counter()
    standing = store.for_query(QUERY.format(n=7))
    print(f"drill-down read (one question's standing judgements): {(time.perf_counter() - started) * 1000:.1f} ms, "
          f"{len(standing)} judgements")
    settings = Settings(judgements_path=old, evaluator_mode=True, data_dir=root, reports_dir=root / "reports",
                        eval_dir=root / "eval", index_dir=root / "index")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, RetrieverHolder(settings), load_on_startup=False),
                                           host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    while not server.started:
        time.sleep(0.05)
    probe = Probe(base)
    probe.thread.start()
    with httpx.Client(base_url=base, timeout=300) as client:
        probe.during("GET /evaluator/judgements (page 1)", lambda: client.get("/evaluator/judgements"))
        probe.during("GET /evaluator/judgements?page=900", lambda: client.get("/evaluator/judgements?page=900"))
        probe.during("GET /evaluator/judgements.qrels?unmatched=true",
                     lambda: client.get("/evaluator/judgements.qrels", params={"unmatched": "true"}))
        probe.during("GET /evaluator/judgements.jsonl", lambda: client.get("/evaluator/judgements.jsonl"))
        probe.during("POST /api/judgements/undo", lambda: client.post("/api/judgements/undo", json={
            "query": QUERY.format(n=47), "passage_id": f"survey-report-{47:010x}", "who": "evaluator 7"}))
        page = client.get("/evaluator").text
        token = page.split('name="form_token" value="', 1)[1].split('"', 1)[0]
        probe.during("POST /evaluator/judgements/undo (form)", lambda: client.post(
            "/evaluator/judgements/undo", data={"form_token": token, "query": QUERY.format(n=7),
                                                "passage_id": f"survey-report-{7:010x}", "who": "evaluator 7"}))
    probe.stop = True
    server.should_exit = True
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
