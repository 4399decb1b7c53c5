"""Issue 15 (part A): hostile answers and servers are classified data, never a crash, a
hang or a wrong number.

Each test starts the scripted server with one behaviour of `harness.fakes.hostile` (a
re-ask is answered with gold), runs the real CLI against it and checks what a user relies
on: the failure class of every document in predictions.jsonl, the exit code, the validity
rates in metrics.json, how many requests were paid for, and a complete run folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.fakes import GoldAnswerer, Script, ScriptedServer
from tests.conftest import Corpus, RunCli, cli_env, read_json, read_jsonl

Start = Callable[[Script], ScriptedServer]
GUARD_S = 90  # where a hang ends the test (a trickled reply would take ~10 minutes)


@dataclass(frozen=True)
class Outcome:
    done: subprocess.CompletedProcess[str]
    run: Path
    server: ScriptedServer
    answerer: GoldAnswerer

    @property
    def records(self) -> dict[str, dict[str, Any]]:
        return {r["doc_id"]: r for r in read_jsonl(self.run / "predictions.jsonl")}

    @property
    def kinds(self) -> set[str | None]:
        return {r["failure"]["kind"] if r["failure"] else None for r in self.records.values()}

    @property
    def requests(self) -> Counter[str]:
        """Requests per document (the output-mode probe names none)."""
        ids = (self.answerer.doc_id_for(r) for r in self.server.requests)
        return Counter(doc_id for doc_id in ids if doc_id)

    def rate(self, name: str) -> float:
        return float(read_json(self.run / "metrics.json")["metrics"][name]["value"])

    def assert_intact(self, n_docs: int) -> None:
        """Exit 0 (4 when every document failed: a CI must not pass it), the manifest
        completed, one record and one score per document."""
        all_failed = all(r["failure"] for r in self.records.values())
        assert self.done.returncode == (4 if all_failed else 0), self.done.stderr
        assert read_json(self.run / "manifest.json")["status"] == "completed"
        assert len(read_jsonl(self.run / "predictions.jsonl")) == n_docs
        assert len(read_jsonl(self.run / "scores.jsonl")) == n_docs
        assert read_json(self.run / "metrics.json")["n_docs"] == n_docs


def hostile_run(
    corpus: Corpus, run_cli: RunCli, start: Start, behaviour: str, *extra: str
) -> Outcome:
    answerer = GoldAnswerer(corpus.documents, corpus.gold_docs, behaviour=behaviour)
    server = start(answerer)
    argv = ("--base-url", server.base_url, "--model", "m", "--run-id", behaviour)
    done = run_cli("run", *argv, "--concurrency", "3", *extra, timeout=GUARD_S)
    return Outcome(done, corpus.results / behaviour, server, answerer)


def test_fifty_thousand_deep_answer_is_oversize_not_a_recursion_error(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    out = hostile_run(corpus, run_cli, scripted_server, "nested")
    out.assert_intact(3)
    assert out.kinds == {"oversize"}
    for record in out.records.values():
        assert record["failure"]["message"] == "JSON nested deeper than max_depth=64"
    assert set(out.requests.values()) == {1}  # never re-asked: that would send it back
    assert (out.rate("schema_valid_rate"), out.rate("first_attempt_valid_rate")) == (0, 0)


def test_twenty_megabytes_of_braces_are_rejected_by_size(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    out = hostile_run(corpus, run_cli, scripted_server, "huge", "--limit", "1")
    out.assert_intact(1)
    (record,) = out.records.values()
    assert record["failure"]["kind"] == "oversize"
    assert record["failure"]["message"] == ("answer is 20000000 characters, over max_chars=1000000")
    assert list(out.requests.values()) == [1]


@pytest.mark.parametrize("behaviour", ["single_quoted", "python_none", "html_answer"])
def test_answer_that_is_not_json_is_parse_and_reasked(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start, behaviour: str
) -> None:
    # Single quotes and None hold a valid `[]` (an empty `via`), once taken as the answer:
    # 0 claims, scored valid at the first attempt and never re-asked.
    out = hostile_run(corpus, run_cli, scripted_server, behaviour)
    out.assert_intact(3)
    for record in out.records.values():
        first, reask = record["attempts"]
        assert first["failure"]["kind"] == "parse", first["failure"]
        assert reask["kind"] == "reask" and reask["failure"] is None
        assert record["failure"] is None and record["valid_first_attempt"] is False
    assert set(out.requests.values()) == {2}
    assert out.rate("schema_valid_rate") == 1.0
    assert out.rate("first_attempt_valid_rate") == 0.0
    assert out.rate("claim_recall") == 1.0  # the re-ask's (gold) claims were scored


@pytest.mark.parametrize("behaviour", ["unterminated", "truncated"])
def test_cut_off_answer_is_truncated_and_not_reasked(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start, behaviour: str
) -> None:
    # `unterminated` stops mid-JSON with finish_reason "stop", `truncated` says "length".
    out = hostile_run(corpus, run_cli, scripted_server, behaviour)
    out.assert_intact(3)
    assert out.kinds == {"truncated"}
    assert set(out.requests.values()) == {1}
    assert (out.rate("schema_valid_rate"), out.rate("first_attempt_valid_rate")) == (0, 0)


def test_valid_completion_labelled_text_plain_is_used(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    out = hostile_run(corpus, run_cli, scripted_server, "text_plain")
    out.assert_intact(3)
    assert out.kinds == {None}
    assert set(out.requests.values()) == {1}
    assert out.rate("first_attempt_valid_rate") == 1.0


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        ("html_page", "reply is not a JSON object: '<!DOCTYPE html>"),
        ("nested_body", "reply is not valid JSON: maximum recursion depth exceeded"),
    ],
)
def test_reply_that_is_not_a_completion_is_server_error(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start, behaviour: str, message: str
) -> None:
    out = hostile_run(corpus, run_cli, scripted_server, behaviour)
    out.assert_intact(3)
    assert out.kinds == {"server_error"}
    for record in out.records.values():
        assert record["failure"]["message"].startswith(message), record["failure"]
    assert set(out.requests.values()) == {1}  # the server's fault, not retried


def test_half_an_emoji_is_replaced_not_a_crash(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    out = hostile_run(corpus, run_cli, scripted_server, "lone_surrogate")
    out.assert_intact(3)
    assert out.kinds == {None}
    (out.run / "predictions.jsonl").read_bytes().decode("utf-8")  # valid UTF-8 throughout
    for record in out.records.values():
        assert all(c["statement"].endswith(" \ufffd") for c in record["claims"])


@pytest.mark.parametrize("behaviour", ["trickle", "hang"])
def test_timeout_is_a_deadline_for_the_whole_attempt(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start, behaviour: str
) -> None:
    # A byte every 0.5 s never trips a per-read timeout: the reply would take ~10 minutes.
    out = hostile_run(
        corpus,
        run_cli,
        scripted_server,
        behaviour,
        *("--timeout", "1", "--max-attempts", "2", "--backoff-max", "0"),
    )
    out.assert_intact(3)
    assert out.kinds == {"timeout"}
    assert set(out.requests.values()) == {2}  # transient: retried, then recorded
    for record in out.records.values():
        assert record["attempts"][0]["http_attempts"] == 2


def _gold_run(run_cli: RunCli, server: ScriptedServer, run_id: str, cache: Path) -> Any:
    return run_cli.run_against(server.base_url, run_id, "--cache-dir", str(cache))


def test_corrupt_cache_is_set_aside_and_rebuilt(
    tmp_path: Path, corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    garbage = b"this is not an SQLite database\n" * 100
    (cache / "responses.sqlite").write_bytes(garbage)
    server = scripted_server(GoldAnswerer(corpus.documents, corpus.gold_docs))
    done = _gold_run(run_cli, server, "first", cache)
    assert done.returncode == 0, done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith("warning: response cache ") and "is corrupt" in line, line
    (aside,) = cache.glob("responses.sqlite.corrupt-*")
    assert aside.read_bytes() == garbage  # kept for a post-mortem, untouched
    assert read_json(corpus.results / "first" / "manifest.json")["status"] == "completed"
    before = len(server.requests)
    again = _gold_run(run_cli, server, "second", cache)
    assert again.returncode == 0 and again.stderr == "", again.stderr
    assert len(server.requests) == before  # the rebuilt cache answered everything


@contextmanager
def _read_only(folder: Path) -> Iterator[None]:
    """A folder no one may write to, root included (chattr +i), restored afterwards."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    if shutil.which("chattr") is None:
        pytest.skip("running as root without chattr: cannot make a folder read-only")
    if subprocess.run(["chattr", "+i", str(folder)], check=False).returncode:
        pytest.skip("chattr +i is not supported here")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


@pytest.mark.parametrize("how", ["read_only_folder", "file_is_a_folder", "folder_in_a_file"])
def test_unusable_cache_means_a_run_without_cache(
    tmp_path: Path, corpus: Corpus, run_cli: RunCli, scripted_server: Start, how: str
) -> None:
    cache = tmp_path / "cache"
    if how == "folder_in_a_file":
        (tmp_path / "file").write_text("not a folder")
        cache = tmp_path / "file" / "cache"
    else:
        cache.mkdir()
    if how == "file_is_a_folder":
        (cache / "responses.sqlite").mkdir()
    server = scripted_server(GoldAnswerer(corpus.documents, corpus.gold_docs))
    if how == "read_only_folder":
        with _read_only(cache):
            done = _gold_run(run_cli, server, "ro", cache)
    else:
        done = _gold_run(run_cli, server, "ro", cache)
    assert done.returncode == 0, done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"warning: {cache / 'responses.sqlite'}: cannot use the response")
    assert line.endswith("; running without it"), line
    manifest = read_json(corpus.results / "ro" / "manifest.json")
    assert manifest["status"] == "completed" and manifest["cache"] is None
    assert read_json(corpus.results / "ro" / "metrics.json")["failures"] == {}


def test_cache_commands_on_an_unusable_cache_say_so_in_one_line(
    tmp_path: Path, run_cli: RunCli
) -> None:
    (tmp_path / "file").write_text("not a folder")
    cache = tmp_path / "file" / "cache"
    done = run_cli("cache", "stats", "--cache-dir", str(cache), env=cli_env())
    assert done.returncode == 1
    assert done.stderr.startswith("error: ") and len(done.stderr.splitlines()) == 1
    assert json.dumps(str(cache))[1:-1] in done.stderr
