"""The collector is quiet while a run's documents are asked and while they are scored,
and only then (harness/_gc.py).

The scripted server runs in a thread of this process, so it sees the process's garbage
collector as the run left it when each request arrived.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from harness import Claim, Endpoint, GoldDocument, RunConfig, run_evaluation
from harness._gc import THRESHOLDS, quiet_collector
from harness.errors import EndpointError
from harness.fakes import ChatRequest, Reply, Script, ScriptedServer
from harness.scoring.batch import BatchScorer, ScoringTask
from harness.scoring.document import ScoringConfig
from harness.scoring.matchers.base import Similarity
from harness.scoring.matchers.lexical import LexicalMatcher
from harness.scoring.matching import ClaimView
from tests.conftest import REPO, read_json
from tests.endpoints.test_pool import ANSWER, pool_run, synthetic_corpus

Start = Callable[[Script], ScriptedServer]
DEFAULT = gc.get_threshold()
# frozen before any run: 0 on 3.11; CPython 3.12 starts with a few hundred tuples frozen,
# and then the harness must leave the freeze alone (it could only thaw all of it)
ALREADY = gc.get_freeze_count()


def quiet() -> tuple[int, tuple[int, int, int]]:
    return gc.get_freeze_count(), gc.get_threshold()


def frozen_by_us(count: int) -> bool:
    return count > ALREADY if ALREADY == 0 else count == ALREADY


def test_nested_blocks_share_one_setting_and_the_last_one_out_restores_it() -> None:
    assert quiet() == (ALREADY, DEFAULT)
    kept = [object() for _ in range(10)]
    with quiet_collector():
        frozen = gc.get_freeze_count()
        assert frozen_by_us(frozen) and gc.get_threshold() == THRESHOLDS
        with quiet_collector():  # a second cell of a sweep
            assert quiet() == (frozen, THRESHOLDS)
        assert quiet() == (frozen, THRESHOLDS)  # the outer block still holds it
    assert quiet() == (ALREADY, DEFAULT) and len(kept) == 10


@pytest.mark.skipif(ALREADY > 0, reason="CPython froze objects at start: every test checks that")
def test_a_freeze_made_by_someone_else_is_left_alone() -> None:
    kept = [[object()] for _ in range(10)]
    gc.freeze()  # an application that froze its own start-up state
    theirs = gc.get_freeze_count()
    try:
        with quiet_collector():  # (a frozen object may die meanwhile: the count is close)
            assert gc.get_freeze_count() > theirs - 10 and gc.get_threshold() == THRESHOLDS
        assert gc.get_freeze_count() > theirs - 10  # not thawed by the harness
        assert gc.get_threshold() == DEFAULT
    finally:
        gc.unfreeze()
    assert len(kept) == 10


def test_an_error_in_the_block_still_restores_the_collector() -> None:
    with pytest.raises(RuntimeError), quiet_collector():
        raise RuntimeError("the run failed")
    assert quiet() == (ALREADY, DEFAULT)


def test_documents_are_asked_with_a_quiet_collector_and_the_run_restores_it(
    tmp_path: Path, scripted_server: Start
) -> None:
    seen: list[tuple[int, tuple[int, int, int]]] = []

    def answer(request: ChatRequest) -> Reply:
        if "Report " in request.user_text:  # a document, not the output-mode probe
            seen.append(quiet())
        return Reply(content=ANSWER)

    server = scripted_server(answer)
    outcome = pool_run(tmp_path, [server.base_url], "quiet", n=12)
    records = list(outcome.folder.read_predictions().values())
    assert len(records) == 12 and all(r.failure is None for r in records)
    assert len(seen) == 12 and all(frozen_by_us(f) and t == THRESHOLDS for f, t in seen)
    assert quiet() == (ALREADY, DEFAULT)


def test_a_run_the_endpoint_stops_restores_the_collector(
    tmp_path: Path, scripted_server: Start
) -> None:
    def refuse_documents(request: ChatRequest) -> Reply:
        if "Report " in request.user_text:
            return Reply(status=401, error_message="key revoked mid-run")
        return Reply(content=ANSWER)

    server = scripted_server(refuse_documents)
    with pytest.raises(EndpointError):
        pool_run(tmp_path, [server.base_url], "refused", n=12)
    assert quiet() == (ALREADY, DEFAULT)


def test_a_run_cancelled_mid_flight_restores_the_collector(
    tmp_path: Path, scripted_server: Start
) -> None:
    """A stop (SIGINT cancels the run's task) while every worker waits on a hanging server."""
    hanging = threading.Event()

    def hang(request: ChatRequest) -> Reply:
        if "Report " not in request.user_text:
            return Reply(content=ANSWER)
        hanging.set()
        return Reply(content=ANSWER, hang_s=30)

    server = scripted_server(hang)
    docs, gold = synthetic_corpus(tmp_path / "corpus", 6)
    config = RunConfig(
        endpoint=Endpoint(base_url=server.base_url, model="m", concurrency=3),
        prompt="extract@v2",
        docs=docs,
        gold=gold,
        prompts_dir=REPO / "prompts",
        results_dir=tmp_path / "results",
        run_id="cancelled",
    )
    seen: list[tuple[int, tuple[int, int, int]]] = []

    async def stop_mid_flight() -> None:
        run = asyncio.create_task(run_evaluation(config, None))
        while not hanging.is_set():
            await asyncio.sleep(0.01)
        seen.append(quiet())
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run

    asyncio.run(stop_mid_flight())
    assert frozen_by_us(seen[0][0]) and seen[0][1] == THRESHOLDS
    assert quiet() == (ALREADY, DEFAULT)
    manifest = read_json(tmp_path / "results" / "cancelled" / "manifest.json")
    assert manifest["status"] == "interrupted"


def _tasks(n: int) -> list[ScoringTask]:
    text = "The mayor said the bridge will open in May."
    claim = {
        "statement": "The bridge will open in May.",
        "evidence": text,
        "speaker": "The mayor",
        "speaker_type": "government",
        "cue": "said",
        "quote_type": "indirect",
        "via": [],
    }
    gold = GoldDocument.model_validate(
        {"doc_id": "x", "claims": [claim | {"speaker_aliases": [], "required": True}]}
    )
    predicted = [Claim.model_validate(claim)]
    return [ScoringTask(f"d{i}", text, gold, predicted, None, True) for i in range(n)]


class Watching(LexicalMatcher):
    """The lexical matcher, noting the collector's state each time scoring calls it."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, tuple[int, int, int]]] = []

    def similarity(
        self, predicted: Sequence[ClaimView], gold: Sequence[ClaimView], document: Any
    ) -> Similarity:
        self.seen.append(quiet())
        return super().similarity(predicted, gold, document)


def test_a_batch_scored_at_once_is_scored_with_a_quiet_collector() -> None:
    matcher = Watching()
    with BatchScorer(ScoringConfig(), workers=1, matcher=matcher) as scorer:
        assert len(scorer.score(_tasks(5))) == 5
    assert len(matcher.seen) == 5
    assert all(frozen_by_us(f) and t == THRESHOLDS for f, t in matcher.seen)
    assert quiet() == (ALREADY, DEFAULT)


def test_scoring_lines_are_read_with_a_quiet_collector_even_when_abandoned() -> None:
    with BatchScorer(ScoringConfig(), workers=1) as scorer:
        seen = [(quiet(), line.counts) for line in scorer.lines(_tasks(5))]
        assert quiet() == (ALREADY, DEFAULT)
        assert len(seen) == 5 and all(frozen_by_us(q[0]) and q[1] == THRESHOLDS for q, _ in seen)
        lines = scorer.lines(_tasks(5))
        next(lines)
        assert gc.get_threshold() == THRESHOLDS
        lines.close()  # the caller stopped reading: the collector is restored all the same
        assert quiet() == (ALREADY, DEFAULT)
