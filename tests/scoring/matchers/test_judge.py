"""The judge matcher over real HTTP against the scripted server (harness.fakes.judge)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from harness.endpoints.cache import ResponseCache
from harness.endpoints.client import ChatClient
from harness.endpoints.settings import Endpoint, OutputMode, SamplingParams
from harness.errors import EndpointError
from harness.fakes import ChatRequest, Reply, ScriptedServer
from harness.fakes.judge import JudgeScript
from harness.scoring.grounding import Grounding, GroundingKind, NormalisedDocument
from harness.scoring.matchers import get_matcher
from harness.scoring.matchers.judge import JudgeMatcher, parse_verdict
from harness.scoring.matching import ClaimView

NOT_FOUND = Grounding(GroundingKind.NOT_FOUND, -1, -1, 0.0)
DOC = NormalisedDocument("")
PREDICTED = [
    ClaimView.of(NOT_FOUND, s) for s in ("Five people died in the fire", "The bank raised rates")
]
GOLD = [ClaimView.of(NOT_FOUND, s) for s in ("five people died in the fire.", "Rates rose")]
# Lexical shortlist (token F1 >= 0.3): (0,0) = 1.0 and (1,1) = 2*1/(4+2) = 0.33 are sent;
# (0,1) and (1,0) share no word and are never asked.


def judge(server: ScriptedServer, cache_dir: Path | None = None) -> JudgeMatcher:
    endpoint = Endpoint(base_url=server.base_url, model="scripted", max_attempts=2, backoff_max_s=0)

    def client() -> ChatClient:
        cache = ResponseCache(cache_dir) if cache_dir else None
        return ChatClient(
            endpoint, None, SamplingParams(max_tokens=32), mode=OutputMode.PROMPT, cache=cache
        )

    return JudgeMatcher(client, shortlist=get_matcher("lexical"), shortlist_from=0.3)


@pytest.fixture
def closing() -> Iterator[list[JudgeMatcher]]:
    made: list[JudgeMatcher] = []
    yield made
    for matcher in made:
        matcher.close()


def test_both_orders_of_shortlisted_pairs_only(closing: list[JudgeMatcher]) -> None:
    with ScriptedServer(JudgeScript()) as server:
        matcher = judge(server)
        closing.append(matcher)
        scores = matcher.similarity(PREDICTED, GOLD, DOC)
        asked = [json.loads(r.user_text) for r in server.requests]
    np.testing.assert_array_equal(scores, [[1.0, 0.0], [0.0, 0.0]])
    assert len(asked) == 4  # 2 shortlisted pairs x 2 orders
    firsts = sorted(a["A"]["statement"] for a in asked)
    assert firsts == sorted(v.statement for v in (*PREDICTED, *GOLD))  # each claim once first
    stats = matcher.stats
    assert (stats.pairs, stats.requests, stats.cached) == (2, 4, 0)
    assert (stats.prompt_tokens, stats.completion_tokens) == (4 * 80, 4 * 6)
    assert stats.position_bias == 0.0
    assert all(r.body.get("response_format") is None for r in server.requests)


def test_cached_verdicts_make_no_request(tmp_path: Path, closing: list[JudgeMatcher]) -> None:
    with ScriptedServer(JudgeScript()) as server:
        first = judge(server, tmp_path)
        closing.append(first)
        first.similarity(PREDICTED, GOLD, DOC)
        second = judge(server, tmp_path)
        closing.append(second)
        scores = second.similarity(PREDICTED, GOLD, DOC)
        assert len(server.requests) == 4  # the second matcher sent nothing
    assert second.stats.cached == 4
    assert scores[0, 0] == 1.0


def test_position_bias_is_measured(closing: list[JudgeMatcher]) -> None:
    # The biased judge says yes whenever the first claim is the longer one: the pair
    # (long predicted, short gold) gets yes in one order and no in the other.
    predicted = [ClaimView.of(NOT_FOUND, "The bank raised its rates sharply")]
    gold = [ClaimView.of(NOT_FOUND, "The bank raised rates")]
    with ScriptedServer(JudgeScript(decide=lambda a, b: False, biased=True)) as server:
        matcher = judge(server)
        closing.append(matcher)
        scores = matcher.similarity(predicted, gold, DOC)
    assert scores[0, 0] == 0.5
    assert matcher.stats.position_bias == 1.0
    assert (matcher.stats.yes_predicted_first, matcher.stats.yes_gold_first) == (1, 0)


def test_bad_verdicts_and_server_errors_are_recorded(closing: list[JudgeMatcher]) -> None:
    def reply(request: ChatRequest) -> Reply | None:
        first = json.loads(request.user_text)["A"]["statement"]
        if first.startswith("Five"):
            return Reply(content="Yes, they are the same.")  # not JSON
        if first.startswith("five"):
            return Reply(content='{"same": true}')  # JSON, wrong shape
        return Reply(status=500)  # the (1,1) pair: retried, then a server_error

    with ScriptedServer(JudgeScript(reply=reply)) as server:
        matcher = judge(server)
        closing.append(matcher)
        scores = matcher.similarity(PREDICTED, GOLD, DOC)
        sent = len(server.requests)
    np.testing.assert_array_equal(scores, np.zeros((2, 2)))  # no verdict: not a match
    assert dict(matcher.stats.failures) == {"parse": 1, "schema": 1, "server_error": 2}
    assert sent == 2 + 2 * 2  # two answered + two orders x two attempts on the 500s
    assert matcher.stats.both_orders == 0


def test_a_rejected_key_stops_the_judge(closing: list[JudgeMatcher]) -> None:
    with ScriptedServer(JudgeScript(reply=lambda r: Reply(status=401))) as server:
        matcher = judge(server)
        closing.append(matcher)
        with pytest.raises(EndpointError, match="judge endpoint rejected"):
            matcher.similarity(PREDICTED, GOLD, DOC)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"same_claim": true}', True),
        (' {"same_claim": false}\n', False),
        ('{"same_claim": "yes"}', "schema"),
        ("[true]", "schema"),
        ('```json\n{"same_claim": true}\n```', "parse"),
        (None, "refusal"),
    ],
)
def test_verdicts_are_strict_json(content: str | None, expected: object) -> None:
    assert parse_verdict(content) == expected
