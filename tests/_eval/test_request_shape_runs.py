"""Issue 14: a prompt's request caps and grounding reach the wire, the cache key and the records.

Runs go through the real CLI against the scripted server; assertions read what the
server received and what the run folder holds. The hostile case is an endpoint that
refuses the document's schema (an evidence enum): that request steps down to the full
schema on the same rung, and its record says so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from harness.endpoints.client import ChatClient
from harness.endpoints.settings import Endpoint, OutputMode, SamplingParams
from harness.fakes import ChatRequest, GoldAnswerer, Reply, Script, ScriptedServer
from harness.schemas.request import Grounding, RequestCaps, document_request_schema
from tests.conftest import Corpus, RunCli, read_json, read_jsonl

Start = Callable[[Script], ScriptedServer]


def _schema(request: ChatRequest) -> dict[str, Any] | None:
    fmt = request.body.get("response_format")
    if not isinstance(fmt, dict):
        return None
    schema = fmt["json_schema"]["schema"] if "json_schema" in fmt else fmt.get("schema")
    return schema if isinstance(schema, dict) else None


def _evidence_enum(request: ChatRequest) -> list[str] | None:
    schema = _schema(request)
    if schema is None:
        return None
    evidence = schema["properties"]["claims"]["items"]["properties"]["evidence"]
    enum = evidence.get("enum")
    return list(enum) if enum is not None else None


def test_v3_sends_each_document_its_own_enum_and_caps_and_records_them(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    server = scripted_server(GoldAnswerer(corpus.documents, corpus.gold_docs))
    done = run_cli.run_against(server.base_url, "v3", "--prompt", "extract@v3", model="m")
    assert done.returncode == 0, done.stderr
    asked = [r for r in server.requests if r.user_text.strip() and "ARTICLE" in r.user_text]
    assert len(asked) == len(corpus.documents)
    for request in asked:
        enum = _evidence_enum(request)
        assert enum, "the document's sentences were not sent"
        (doc,) = [d for d in corpus.documents if d.text.strip() in request.user_text]
        assert all(
            value.replace("\u201c", '"').replace("\u201d", '"') in doc.text for value in enum
        )
        schema = _schema(request)
        assert schema is not None and schema["properties"]["claims"]["maxItems"] == 3
    run = corpus.results / "v3"
    manifest = read_json(run / "manifest.json")
    assert manifest["grounding"] == "sentences"
    assert manifest["request_caps"]["max_claims"] == 3
    assert manifest["request_caps"]["source"] == "gold p90 + prompt.yaml"
    assert manifest["request_caps"]["max_length"]["statement"] > 0  # from the run's gold
    for record in read_jsonl(run / "predictions.jsonl"):
        assert record["grounded"] is True and record["grounding_note"] is None


def test_an_endpoint_refusing_the_enum_steps_down_to_the_full_schema_and_says_so(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    gold = GoldAnswerer(corpus.documents, corpus.gold_docs)

    def no_enums(request: ChatRequest) -> Reply:
        if _evidence_enum(request) is not None:
            return Reply(status=400, error_message="response_format: 'enum' is not supported")
        return gold(request)

    server = scripted_server(no_enums)
    done = run_cli.run_against(server.base_url, "refused", "--prompt", "extract@v3", model="m")
    assert done.returncode == 0, done.stderr
    run = corpus.results / "refused"
    records = read_jsonl(run / "predictions.jsonl")
    assert len(records) == len(corpus.documents)
    for record in records:
        assert record["failure"] is None and record["mode"] == "json_schema"  # same rung
        assert record["grounded"] is False
        assert "endpoint refused the document's schema" in record["grounding_note"]
        assert "sent the full schema" in record["grounding_note"]
    assert read_json(run / "metrics.json")["metrics"]["claim_f1"]["value"] == 1.0


def test_v2_requests_are_unchanged_and_records_carry_no_grounding(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    server = scripted_server(GoldAnswerer(corpus.documents, corpus.gold_docs))
    done = run_cli.run_against(server.base_url, "v2", model="m")
    assert done.returncode == 0, done.stderr
    assert all(_evidence_enum(r) is None for r in server.requests)
    manifest = read_json(corpus.results / "v2" / "manifest.json")
    assert manifest["grounding"] is None and manifest["request_caps"] is None
    for record in read_jsonl(corpus.results / "v2" / "predictions.jsonl"):
        assert record["grounded"] is None and record["grounding_note"] is None


def test_the_cache_key_hashes_the_schema_sent() -> None:
    asyncio.run(_cache_keys())


async def _cache_keys() -> None:
    endpoint = Endpoint(base_url="http://127.0.0.1:9/v1", model="m")
    client = ChatClient(endpoint, None, SamplingParams())
    try:
        messages = [{"role": "user", "content": "x"}]
        caps = RequestCaps(max_claims=3)
        one = document_request_schema("One sentence. Two sentences.", caps, Grounding.SENTENCES)
        other = document_request_schema("Another text entirely.", caps, Grounding.SENTENCES)
        keys = {
            client.cache_key(messages, OutputMode.JSON_SCHEMA).digest,
            client.cache_key(messages, OutputMode.JSON_SCHEMA, one.schema).digest,
            client.cache_key(messages, OutputMode.JSON_SCHEMA, other.schema).digest,
        }
        assert len(keys) == 3
        assert client.cache_key(messages, OutputMode.PROMPT, one.schema) == client.cache_key(
            messages, OutputMode.PROMPT
        )  # nothing is sent in prompt mode, so nothing to tell apart
    finally:
        await client.close()
