"""`harness sweep FILE --cells i/N`: processes started at once share a sweep through
per-cell leases; every cell is run exactly once and the summary equals a one-process sweep's."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.fakes import ChatRequest, GoldAnswerer, Reply, ScriptedServer
from harness.shard import Shard
from tests.conftest import HARNESS, REPO, Corpus, cli_env, read_json

N_CELLS = 8  # 2 prompts x 2 endpoints x 2 temperatures
Start = Callable[..., ScriptedServer]


def write_sweep(corpus: Corpus, path: Path, servers: dict[str, ScriptedServer]) -> Path:
    data: dict[str, Any] = {
        "name": "grid",
        "docs": str(corpus.docs),
        "gold": str(corpus.gold),
        "prompts_dir": str(REPO / "prompts"),
        "results": str(path.parent / "results"),
        "endpoints": {
            n: {"base_url": s.base_url, "model": f"model-{n}"} for n, s in servers.items()
        },
        "prompts": ["extract@v1", "extract@v2"],
        "models": list(servers),
        "params": {"temperature": [0.0, 0.5], "max_tokens": 256},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def sweep_argv(sweep: Path, *args: str) -> list[str]:
    return [*HARNESS, "sweep", str(sweep), *args]


def start(sweep: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        sweep_argv(sweep, *args),
        cwd=sweep.parent,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def sweep_cli(sweep: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        sweep_argv(sweep, *args),
        cwd=sweep.parent,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def finish(procs: list[subprocess.Popen[str]]) -> list[tuple[int, str, str]]:
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        done.append((proc.returncode, out, err))
    return done


@pytest.fixture
def servers(corpus: Corpus, scripted_server: Start) -> dict[str, ScriptedServer]:
    return {n: scripted_server(GoldAnswerer(corpus.documents, corpus.gold_docs)) for n in "ab"}


def doc_requests(servers: dict[str, ScriptedServer], corpus: Corpus) -> int:
    """Requests that carried a document (probes carry none)."""
    answerer = GoldAnswerer(corpus.documents, corpus.gold_docs)
    return sum(answerer.doc_id_for(r) is not None for s in servers.values() for r in s.requests)


def check_every_cell_once(folder: Path, corpus: Corpus) -> None:
    cells = sorted((folder / "cells").iterdir())
    assert len(cells) == N_CELLS
    for cell in cells:
        assert read_json(cell / "manifest.json")["status"] == "completed", cell
        lines = (cell / "predictions.jsonl").read_text(encoding="utf-8").splitlines()
        ids = Counter(json.loads(line)["doc_id"] for line in lines)
        assert ids == Counter(d.id for d in corpus.documents), cell  # no duplicate line
    assert not list((folder / "leases").glob("*.lease"))  # every lease released


def one_process_summary(corpus: Corpus, tmp_path: Path, servers: dict[str, ScriptedServer]) -> Path:
    alone = write_sweep(corpus, tmp_path / "alone" / "sweep.yaml", servers)
    result = sweep_cli(alone, "--quiet", "--no-cache")
    assert result.returncode == 0, result.stderr
    return tmp_path / "alone" / "results" / "sweeps" / "grid"


@pytest.mark.parametrize("parts", [["0/4", "1/4", "2/4", "3/4"], ["0/1"] * 4])
def test_four_processes_run_every_cell_exactly_once(
    parts: list[str], corpus: Corpus, tmp_path: Path, servers: dict[str, ScriptedServer]
) -> None:
    sweep = write_sweep(corpus, tmp_path / "shared" / "sweep.yaml", servers)
    # --no-cache: a cell run twice would request its documents twice, and be counted.
    done = finish([start(sweep, "--cells", part, "--quiet", "--no-cache") for part in parts])
    for code, _, err in done:
        assert code == 0, err
    ran = [
        int(out.split("part ")[1].split(": ")[1].split(" cells run here")[0]) for _, out, _ in done
    ]
    assert sum(ran) == N_CELLS, [out for _, out, _ in done]
    assert doc_requests(servers, corpus) == N_CELLS * len(corpus.documents)
    folder = tmp_path / "shared" / "results" / "sweeps" / "grid"
    check_every_cell_once(folder, corpus)
    assert any("sweep folder:" in out for _, out, _ in done)  # the last one wrote the summary

    alone = one_process_summary(corpus, tmp_path, servers)
    for name in ("summary.json", "summary.md"):
        assert (folder / name).read_bytes() == (alone / name).read_bytes(), name
    # The sweep is finished: another process runs nothing and rewrites the same summary.
    again = sweep_cli(sweep, "--cells", "0/1", "--quiet", "--no-cache")
    assert again.returncode == 0, again.stderr
    assert f"part 0/1: 0 cells run here, {N_CELLS} finished before, 0 running" in again.stdout
    assert (folder / "summary.json").read_bytes() == (alone / "summary.json").read_bytes()


def slow_answers(corpus: Corpus, seconds: float) -> Callable[[ChatRequest], Reply]:
    answerer = GoldAnswerer(corpus.documents, corpus.gold_docs)
    return lambda request: dataclasses.replace(answerer(request), hang_s=seconds)


def test_a_stale_lease_of_a_killed_process_is_taken_over(
    corpus: Corpus, tmp_path: Path, scripted_server: Start
) -> None:
    servers = {n: scripted_server(slow_answers(corpus, 0.3)) for n in "ab"}
    sweep = write_sweep(corpus, tmp_path / "shared" / "sweep.yaml", servers)
    folder = tmp_path / "shared" / "results" / "sweeps" / "grid"
    victim = start(sweep, "--cells", "0/1", "--quiet", "--no-cache")
    deadline = time.monotonic() + 120
    while not list((folder / "leases").glob("*.lease")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.4)  # mid-cell: some documents answered, some in flight
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=60)
    leases = list((folder / "leases").glob("*.lease"))
    assert len(leases) == 1 and read_json(leases[0])["pid"] == victim.pid

    result = sweep_cli(sweep, "--cells", "0/1", "--quiet", "--no-cache")
    assert result.returncode == 0, result.stderr
    warning = f"stale lease (pid {victim.pid} on {socket.gethostname()} is gone); taken over"
    assert f"{leases[0]}: {warning}" in result.stderr
    check_every_cell_once(folder, corpus)
    assert (folder / "summary.json").is_file()


def write_lease(path: Path, host: str, age_s: float) -> None:
    now = time.time()
    path.parent.mkdir(parents=True, exist_ok=True)
    lease = {"host": host, "pid": 1, "started": now - age_s, "heartbeat": now - age_s}
    path.write_text(json.dumps({**lease, "token": "elsewhere"}), encoding="utf-8")


def test_another_hosts_lease_is_honoured_until_its_heartbeat_is_old(
    corpus: Corpus, tmp_path: Path, servers: dict[str, ScriptedServer]
) -> None:
    sweep = write_sweep(corpus, tmp_path / "shared" / "sweep.yaml", servers)
    listed = json.loads(sweep_cli(sweep, "--list-cells", "--json").stdout)
    held = listed[3]["id"]
    folder = tmp_path / "shared" / "results" / "sweeps" / "grid"
    lease = folder / "leases" / f"{held}.lease"
    write_lease(lease, "node-elsewhere", age_s=10)

    first = sweep_cli(sweep, "--cells", "0/1", "--quiet", "--no-cache")
    assert first.returncode == 0, first.stderr
    assert f"cell {held}: left alone (held by pid 1 on node-elsewhere)" in first.stderr
    assert f"part 0/1: {N_CELLS - 1} cells run here, 0 finished before, 1 running" in first.stdout
    assert "summary: not written yet, 1 cells still running or not run" in first.stdout
    assert not (folder / "summary.json").exists()
    assert not (folder / "cells" / held).exists()

    # Ten seconds without a heartbeat is stale under --lease-timeout 5s (default: 5 minutes).
    second = sweep_cli(sweep, "--cells", "0/1", "--quiet", "--no-cache", "--lease-timeout", "5s")
    assert second.returncode == 0, second.stderr
    stale = r"stale lease \(no heartbeat from pid 1 on node-elsewhere for \d+ s\); taken over"
    assert re.search(stale, second.stderr), second.stderr
    assert f"part 0/1: 1 cells run here, {N_CELLS - 1} finished before" in second.stdout
    check_every_cell_once(folder, corpus)
    assert (folder / "summary.json").is_file()


def test_list_cells_and_parts(
    corpus: Corpus, tmp_path: Path, servers: dict[str, ScriptedServer]
) -> None:
    sweep = write_sweep(corpus, tmp_path / "shared" / "sweep.yaml", servers)
    listed = json.loads(sweep_cli(sweep, "--list-cells", "--json").stdout)
    assert [c["index"] for c in listed] == list(range(N_CELLS))
    assert len({c["id"] for c in listed}) == N_CELLS
    assert {c["label"] for c in listed} >= {"extract@v1 / a / temperature=0.0"}
    parts = [
        json.loads(sweep_cli(sweep, "--list-cells", "--json", "--cells", f"{i}/4").stdout)
        for i in range(4)
    ]
    taken = [c["id"] for part in parts for c in part]
    assert sorted(taken) == sorted(c["id"] for c in listed)  # each cell in exactly one part
    for i, part in enumerate(parts):
        assert all(Shard(i, 4).takes(c["id"]) for c in part)
    text = sweep_cli(sweep, "--list-cells")
    assert text.returncode == 0 and listed[0]["id"] in text.stdout.splitlines()[1]
    assert not (tmp_path / "shared" / "results").exists()  # listing writes nothing


def test_summarize_writes_what_is_on_disk(
    corpus: Corpus, tmp_path: Path, servers: dict[str, ScriptedServer]
) -> None:
    sweep = write_sweep(corpus, tmp_path / "shared" / "sweep.yaml", servers)
    held = json.loads(sweep_cli(sweep, "--list-cells", "--json").stdout)[0]["id"]
    folder = tmp_path / "shared" / "results" / "sweeps" / "grid"
    write_lease(folder / "leases" / f"{held}.lease", "node-elsewhere", age_s=0)  # never ends
    part = sweep_cli(sweep, "--cells", "0/1", "--quiet")
    assert part.returncode == 0, part.stderr
    assert not (folder / "summary.json").exists()
    before = sum(len(s.requests) for s in servers.values())
    result = sweep_cli(sweep, "--summarize")
    assert result.returncode == 0, result.stderr
    assert sum(len(s.requests) for s in servers.values()) == before  # sends nothing
    cells = read_json(folder / "summary.json")["cells"]
    assert Counter(c["status"] for c in cells) == Counter({"completed": N_CELLS - 1, "not run": 1})
    assert next(c for c in cells if c["status"] == "not run")["id"] == held


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cells", "5/4"], "Invalid value for '--cells': 5/4: I must be 0 to N-1 (N >= 1)"),
        (["--cells", "x"], "Invalid value for '--cells': 'x' is not I/N, e.g. 0/4"),
        (["--cells", "0/0"], "Invalid value for '--cells': 0/0: I must be 0 to N-1"),
        (["--json"], "--json: only with --list-cells"),
        (["--lease-timeout", "1m"], "--lease-timeout: only with --cells I/N"),
        (["--summarize", "--cells", "0/2"], "--summarize: not with --cells"),
    ],
)
def test_bad_fanout_options_are_one_line_usage_errors(
    args: list[str],
    message: str,
    corpus: Corpus,
    tmp_path: Path,
    servers: dict[str, ScriptedServer],
) -> None:
    sweep = write_sweep(corpus, tmp_path / "shared" / "sweep.yaml", servers)
    result = sweep_cli(sweep, *args)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert message in result.stderr
    assert result.stderr.startswith("error: harness sweep: ")
    assert not (tmp_path / "shared" / "results").exists()
    assert sum(len(s.requests) for s in servers.values()) == 0


def test_shard_hash_is_stable_and_not_positional() -> None:
    # sha256 of the id: the same in every process (Python's hash() is salted per process).
    assert Shard(0, 1).takes("anything")
    ids = [f"extract-v1-a-{n:08x}-r0" for n in range(400)]
    counts = Counter(next(i for i in range(4) if Shard(i, 4).takes(c)) for c in ids)
    assert sorted(counts) == [0, 1, 2, 3] and min(counts.values()) > 60
    code = "from harness.shard import cell_hash; print(cell_hash('extract-v1-a-0badf00d-r0'))"
    seen = {
        subprocess.run(
            [HARNESS[0], "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(seen) == 1
