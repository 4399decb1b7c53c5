"""The heap is frozen while a run's documents are asked, and only then (harness/_eval/heap.py).

The scripted server runs in a thread of this process, so it sees the process's garbage
collector as the run left it when each request arrived.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path

import pytest

from harness._eval.heap import frozen_heap
from harness.errors import EndpointError
from harness.fakes import ChatRequest, Reply, Script, ScriptedServer
from tests.endpoints.test_pool import ANSWER, pool_run

Start = Callable[[Script], ScriptedServer]


def test_nested_blocks_share_one_freeze() -> None:
    assert gc.get_freeze_count() == 0
    kept = [object() for _ in range(10)]
    with frozen_heap():
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with frozen_heap():  # a second cell of a sweep
            assert gc.get_freeze_count() == frozen
        assert gc.get_freeze_count() == frozen  # the outer block still holds it
    assert gc.get_freeze_count() == 0 and len(kept) == 10


def test_an_error_in_the_block_still_thaws_the_heap() -> None:
    with pytest.raises(RuntimeError), frozen_heap():
        raise RuntimeError("the run failed")
    assert gc.get_freeze_count() == 0


def test_documents_are_asked_on_a_frozen_heap_and_the_run_leaves_it_thawed(
    tmp_path: Path, scripted_server: Start
) -> None:
    frozen_at_document: list[int] = []

    def answer(request: ChatRequest) -> Reply:
        if "Report " in request.user_text:  # a document, not the output-mode probe
            frozen_at_document.append(gc.get_freeze_count())
        return Reply(content=ANSWER)

    server = scripted_server(answer)
    outcome = pool_run(tmp_path, [server.base_url], "frozen", n=12)
    records = list(outcome.folder.read_predictions().values())
    assert len(records) == 12 and all(r.failure is None for r in records)
    assert len(frozen_at_document) == 12 and min(frozen_at_document) > 0
    assert gc.get_freeze_count() == 0


def test_a_run_the_endpoint_stops_leaves_the_heap_thawed(
    tmp_path: Path, scripted_server: Start
) -> None:
    def refuse_documents(request: ChatRequest) -> Reply:
        if "Report " in request.user_text:
            return Reply(status=401, error_message="key revoked mid-run")
        return Reply(content=ANSWER)

    server = scripted_server(refuse_documents)
    with pytest.raises(EndpointError):
        pool_run(tmp_path, [server.base_url], "refused", n=12)
    assert gc.get_freeze_count() == 0
