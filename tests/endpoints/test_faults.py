"""Issue #6 item 5: a 200-document run through deterministic faults, end to end.

Every fault is chosen by document (index modulo 50), so the failure class of each
document and the exact number of HTTP requests the server must see follow from the
retry policy alone: max_attempts for a persistent transient fault, 2 for a fault on the
first attempt only, 1 for a non-transient one, and +1 for each re-ask.

Every test runs once per HTTP transport under the SDK (aiohttp, the default, and httpx):
the failure classes, request counts, Retry-After and exit codes must not depend on it.
"""

from __future__ import annotations

import socket
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from harness.claims import GoldClaim, GoldDocument, QuoteType, SpeakerType
from harness.corpus import load_documents, load_gold
from harness.fakes import TRANSFORMS, ChatRequest, GoldAnswerer, Reply, Script, ScriptedServer
from tests.conftest import Corpus, RunCli, read_json, read_jsonl

N_DOCS = 200
Start = Callable[[Script], ScriptedServer]
MAX_ATTEMPTS = 3
TIMEOUT_S = 0.5
SPEAKERS = (
    ("Ana Ruiz", SpeakerType.PERSON),
    ("the Port Authority", SpeakerType.ORGANIZATION),
    ("the Finance Ministry", SpeakerType.GOVERNMENT),
    ("Tom Okafor", SpeakerType.PERSON),
)

# name -> (expected failure class or None, server requests for the document)
EXPECTED: dict[str, tuple[str | None, int]] = {
    "err500": ("server_error", MAX_ATTEMPTS),
    "err500_once": (None, 2),
    "r429": ("rate_limited", MAX_ATTEMPTS),
    "r429_once": (None, 2),
    "hang": ("timeout", MAX_ATTEMPTS),
    "hang_once": (None, 2),
    "reset": ("transport", MAX_ATTEMPTS),
    "reset_once": (None, 2),
    "truncated": ("truncated", 1),
    "fenced": (None, 1),
    "prose": (None, 1),
    "invalid_once": (None, 2),  # the re-ask fixes it
    "invalid": ("parse", 2),  # the re-ask is invalid too
    "schema": ("schema", 2),
    "err400": ("rejected", 1),
    # 200 answers that are not chat completions: the server's fault, named, not retried
    "html_page": ("server_error", 1),
    "broken_json": ("server_error", 1),
    "not_completion": ("server_error", 1),
    "error_200": ("server_error", 1),
    "ok": (None, 1),
}
FAULTS = [name for name in EXPECTED if name != "ok"]
MALFORMED_MESSAGE = {
    "html_page": "reply is not a JSON object: '<html>upstream down</html>'",
    "broken_json": "reply is not valid JSON",
    "not_completion": "reply is not a chat completion: $.choices: Input should be a valid list",
    "error_200": "reply is an error, not a completion: model overloaded",
}


@pytest.fixture(params=["aiohttp", "httpx"])
def http_client(request: pytest.FixtureRequest) -> list[str]:
    """`--http-client NAME` for `harness run`, once per transport."""
    return ["--http-client", request.param]


def fault_of(index: int) -> str:
    return FAULTS[index % 50] if index % 50 < len(FAULTS) else "ok"


def make_corpus(root: Path, n: int) -> tuple[Path, Path, list[str]]:
    """`n` synthetic documents (one author claim, one or two quoted ones) and their gold."""
    docs, gold = root / "synthetic_docs", root / "synthetic_gold"
    docs.mkdir()
    gold.mkdir()
    ids = []
    for i in range(n):
        doc_id = f"doc_{i:03d}"
        name, kind = SPEAKERS[i % len(SPEAKERS)]
        other, other_kind = SPEAKERS[(i + 1) % len(SPEAKERS)]
        fact = f"The council met on day {i} to discuss the budget of district {i}."
        quote = f'"Spending in district {i} will rise by {i % 7 + 2} percent," {name} said.'
        claims = [
            GoldClaim(
                statement=fact,
                evidence=fact,
                speaker=None,
                speaker_type=SpeakerType.AUTHOR,
                cue=None,
                quote_type=QuoteType.NONE,
            ),
            GoldClaim(
                statement=f"Spending in district {i} will rise by {i % 7 + 2} percent.",
                evidence=quote,
                speaker=name,
                speaker_type=kind,
                cue="said",
                quote_type=QuoteType.DIRECT,
            ),
        ]
        text = f"Budget report {i:03d}\n\n{fact} {quote}"
        if i % 2:
            doubt = f"{other} said the plan for district {i} was unaffordable."
            text += f" {doubt}"
            claims.append(
                GoldClaim(
                    statement=f"The plan for district {i} is unaffordable.",
                    evidence=doubt,
                    speaker=other,
                    speaker_type=other_kind,
                    cue="said",
                    quote_type=QuoteType.INDIRECT,
                )
            )
        (docs / f"{doc_id}.txt").write_text(text + "\n", encoding="utf-8")
        entry = GoldDocument(doc_id=doc_id, annotator="synthetic", claims=claims)
        (gold / f"{doc_id}.json").write_text(entry.model_dump_json(indent=1), encoding="utf-8")
        ids.append(doc_id)
    return docs, gold, ids


@dataclass
class FaultScript:
    """Answers with gold, except where `fault_of(document index)` says otherwise."""

    answerer: GoldAnswerer
    index: dict[str, int]
    seen: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: ChatRequest) -> Reply:
        doc_id = self.answerer.doc_id_for(request)
        if doc_id is None:  # the output-mode probe
            return Reply(content='{"claims": []}', completion_tokens=1)
        with self.lock:
            self.seen[doc_id] += 1
            first = self.seen[doc_id] == 1
        answer = self.answerer.answers[doc_id]
        fault = fault_of(self.index[doc_id])
        if fault.endswith("_once"):
            fault = fault.removesuffix("_once") if first else "ok"
        replies: dict[str, Callable[[], Reply]] = {
            "err500": lambda: Reply(status=500, error_message="upstream exploded"),
            "r429": lambda: Reply(status=429, headers={"Retry-After": "0"}),
            "hang": lambda: Reply(content=answer, hang_s=2 * TIMEOUT_S),
            "reset": lambda: Reply(reset=True),
            "err400": lambda: Reply(status=400, error_message="unsupported parameter"),
            "schema": lambda: TRANSFORMS["schema_error"](answer),
            "html_page": lambda: Reply(
                raw_body=b"<html>upstream down</html>", headers={"Content-Type": "text/html"}
            ),
            "broken_json": lambda: Reply(raw_body=b'{"choices": [{"mess'),
            "not_completion": lambda: Reply(raw_body=b'{"choices": "none today"}'),
            "error_200": lambda: Reply(raw_body=b'{"error": {"message": "model overloaded"}}'),
            "ok": lambda: Reply(content=answer),
        }
        if fault in replies:
            return replies[fault]()
        return TRANSFORMS[fault](answer)


def test_two_hundred_documents_through_faults(
    tmp_path: Path,
    corpus: Corpus,
    run_cli: RunCli,
    scripted_server: Start,
    http_client: list[str],
) -> None:
    docs, gold, ids = make_corpus(tmp_path, N_DOCS)
    index = {doc_id: i for i, doc_id in enumerate(ids)}
    documents = load_documents(docs)
    script = FaultScript(GoldAnswerer(documents, load_gold(gold, documents)), index)
    server = scripted_server(script)
    done = run_cli.run_against(
        server.base_url,
        "faults",
        *("--docs", str(docs), "--gold", str(gold), "--concurrency", "8"),
        *("--timeout", str(TIMEOUT_S), "--max-attempts", str(MAX_ATTEMPTS)),
        *("--backoff-max", "0.02"),
        *http_client,
    )
    assert done.returncode == 0, done.stderr
    run = corpus.results / "faults"

    records = read_jsonl(run / "predictions.jsonl")
    assert sorted(r["doc_id"] for r in records) == ids  # each document exactly once
    by_id = {r["doc_id"]: r for r in records}
    for doc_id in ids:
        fault = fault_of(index[doc_id])
        kind, requests = EXPECTED[fault]
        record = by_id[doc_id]
        got = record["failure"]["kind"] if record["failure"] else None
        assert (got, script.seen[doc_id]) == (kind, requests), (doc_id, fault)
        assert sum(a["http_attempts"] for a in record["attempts"]) == requests, doc_id
        if fault == "fenced" or fault == "prose":
            assert record["repairs"] == [{"fenced": "fenced", "prose": "prose_wrapped"}[fault]]
        if fault in MALFORMED_MESSAGE:
            assert MALFORMED_MESSAGE[fault] in record["failure"]["message"], record["failure"]
        if fault == "invalid_once":
            assert [a["kind"] for a in record["attempts"]] == ["request", "reask"]
            assert record["valid_first_attempt"] is False and record["claims"]

    probes = [r for r in server.requests if script.answerer.doc_id_for(r) is None]
    assert len(probes) == 1  # json_schema accepted at once
    assert len(server.requests) == 1 + sum(EXPECTED[fault_of(i)][1] for i in range(N_DOCS))

    metrics = read_json(run / "metrics.json")
    expected_failures = Counter(
        kind for i in range(N_DOCS) if (kind := EXPECTED[fault_of(i)][0]) is not None
    )
    assert metrics["n_docs"] == N_DOCS
    assert metrics["failures"] == dict(expected_failures)
    manifest = read_json(run / "manifest.json")
    assert manifest["status"] == "completed"
    assert manifest["tokens"]["http_attempts"] == len(server.requests) - 1
    assert manifest["endpoint"]["backoff_max_s"] == 0.02


def test_401_mid_run_stops_with_exit_3_and_keeps_predictions(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start, http_client: list[str]
) -> None:
    answerer = GoldAnswerer(corpus.documents, corpus.gold_docs)
    revoked_after = 2  # the key is revoked after two documents were answered

    def script(request: ChatRequest) -> Reply:
        served = sum(1 for r in server.requests[: request.index] if answerer.doc_id_for(r))
        if answerer.doc_id_for(request) and served >= revoked_after:
            return Reply(status=401, error_message="Incorrect API key provided")
        return answerer(request)

    server = scripted_server(script)
    done = run_cli.run_against(server.base_url, "r401", "--concurrency", "1", *http_client)
    assert done.returncode == 3, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "401" in lines[0] and "rejected" in lines[0], done.stderr
    run = corpus.results / "r401"
    manifest = read_json(run / "manifest.json")
    assert manifest["status"] == "failed" and "401" in manifest["error"]
    records = read_jsonl(run / "predictions.jsonl")
    assert [r["failure"] for r in records[:revoked_after]] == [None] * revoked_after
    assert [r["failure"]["kind"] for r in records[revoked_after:]] == ["rejected"]
    assert len(server.requests) == 1 + revoked_after + 1  # probe, answers, one 401


def test_401_on_the_probe_is_one_line_and_exit_3(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start, http_client: list[str]
) -> None:
    server = scripted_server(lambda request: Reply(status=401, error_message="bad key"))
    done = run_cli.run_against(server.base_url, "p401", *http_client)
    assert done.returncode == 3, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "probe" in done.stderr
    manifest = read_json(corpus.results / "p401" / "manifest.json")
    assert manifest["status"] == "failed" and "bad key" in manifest["error"]
    assert len(server.requests) == 1  # 401 is never retried


def test_retry_after_overrides_backoff_max(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start, http_client: list[str]
) -> None:
    answerer = GoldAnswerer(corpus.documents, corpus.gold_docs)
    slow_down = corpus.documents[0].id
    seen: Counter[str] = Counter()

    def script(request: ChatRequest) -> Reply:
        doc_id = answerer.doc_id_for(request)
        if doc_id == slow_down and not seen[doc_id]:
            seen[doc_id] += 1
            return Reply(status=429, headers={"Retry-After": "1"})
        return answerer(request)

    server = scripted_server(script)
    done = run_cli.run_against(server.base_url, "ra", "--backoff-max", "0", *http_client)
    assert done.returncode == 0, done.stderr
    record = {r["doc_id"]: r for r in read_jsonl(corpus.results / "ra" / "predictions.jsonl")}
    assert record[slow_down]["failure"] is None
    assert record[slow_down]["attempts"][0]["http_attempts"] == 2
    assert record[slow_down]["latency_s"] >= 1.0  # waited as told, despite --backoff-max 0
    assert len(server.requests) == 1 + 3 + 1


def test_unreachable_endpoint_is_a_transport_failure(
    corpus: Corpus, run_cli: RunCli, http_client: list[str]
) -> None:
    """A refused connection is `transport`, not `timeout` (the aiohttp transport maps it to
    a connect timeout; the client looks at the socket error underneath)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: nothing listens there
    done = run_cli.run_against(
        f"http://127.0.0.1:{port}/v1",
        "down",
        "--max-attempts",
        "2",
        "--backoff-max",
        "0",
        *http_client,
    )
    assert done.returncode == 3, done.stderr  # EndpointError: the endpoint cannot serve
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "probe failed (transport)" in lines[0], done.stderr
    manifest = read_json(corpus.results / "down" / "manifest.json")
    assert manifest["status"] == "failed" and "transport" in manifest["error"]
    assert manifest["endpoint"]["http_client"] == http_client[1]
