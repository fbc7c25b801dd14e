"""The evaluator workbench under /evaluator, one job a module: eval runs by date and
configuration, a run's failures and two runs side by side (runs); one question of a run, as
recorded and re-run now (drilldown); starting an eval run in the background and following it
(jobs, with job_runner); judgements with the evaluator's name, undo, review and TREC qrels export
(judgements, through judging, which the JSON API uses too).

Every page works with JavaScript off (GET forms, POST forms; the run page has a reload link where its
script would follow the run).
Reading needs only what every page needs (the access token, when set); writing also needs the
server's evaluator permission (auth). page renders what every workbench page shares; run_store
reads the runs, cached (file_cache) until their files change.
"""

from __future__ import annotations

from fastapi import APIRouter

from web.workbench import drilldown, jobs, judgements, runs

router = APIRouter(include_in_schema=False)
for part in (runs, drilldown, jobs, judgements):
    router.include_router(part.router)
