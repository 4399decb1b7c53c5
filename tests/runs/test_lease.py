"""The cell lease on its own: atomic creation, heartbeat, takeover, a lost lease, release."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.runs.lease import CellLease, LeaseHolder, stale_reason
from tests.conftest import REPO


def holder(path: Path) -> LeaseHolder:
    return LeaseHolder.model_validate_json(path.read_bytes())


def test_one_holder_at_a_time_and_release_frees_it(tmp_path: Path) -> None:
    path = tmp_path / "leases" / "cell.lease"
    first, second = CellLease(path), CellLease(path)
    assert first.acquire() is None
    assert holder(path).token == first.me.token
    assert second.acquire() == f"held by pid {os.getpid()} on {socket.gethostname()}"
    first.release()
    assert not path.exists()
    assert second.acquire() is None
    first.release()  # not its lease any more: left alone
    assert holder(path).token == second.me.token


def test_the_heartbeat_is_refreshed_while_the_cell_runs(tmp_path: Path) -> None:
    lease = CellLease(tmp_path / "cell.lease", timeout=60)
    assert lease.acquire() is None
    started = holder(lease.path).heartbeat
    with lease.heartbeat(interval=0.05):
        deadline = time.monotonic() + 30
        while holder(lease.path).heartbeat == started and time.monotonic() < deadline:
            time.sleep(0.02)
    assert holder(lease.path).heartbeat > started
    assert holder(lease.path).started == lease.me.started


def test_a_lease_taken_over_meanwhile_is_reported_and_not_removed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "cell.lease"
    mine = CellLease(path, timeout=60)
    assert mine.acquire() is None
    other = LeaseHolder(host="node-b", pid=42, started=1.0, heartbeat=time.time(), token="b")
    path.write_text(other.model_dump_json(), encoding="utf-8")  # as a takeover would
    with caplog.at_level(logging.WARNING), mine.heartbeat(interval=0.05):
        deadline = time.monotonic() + 30
        while mine.lost is None and time.monotonic() < deadline:
            time.sleep(0.02)
    assert mine.lost == "pid 42 on node-b"
    assert f"{path}: lease taken over by pid 42 on node-b" in caplog.text
    mine.release()
    assert holder(path).token == "b"


def test_stale_rules(tmp_path: Path) -> None:
    now, host = time.time(), socket.gethostname()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    gone = LeaseHolder(host=host, pid=int(dead.stdout), started=now, heartbeat=now, token="x")
    assert stale_reason(gone, now, 300) == f"pid {gone.pid} on {host} is gone"
    alive = gone.model_copy(update={"pid": os.getpid()})
    assert stale_reason(alive, now, 300) is None
    far = alive.model_copy(update={"host": "node-b", "heartbeat": now - 301})
    assert stale_reason(far, now, 300) == f"no heartbeat from pid {os.getpid()} on node-b for 301 s"
    assert stale_reason(far.model_copy(update={"heartbeat": now - 10}), now, 300) is None
    assert stale_reason(None, now - 400, 300) == "unreadable lease written 400 s ago"
    assert stale_reason(None, now - 5, 300) is None  # maybe being written: wait for it


def test_an_unreadable_old_lease_is_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "cell.lease"
    path.write_text("{not json", encoding="utf-8")
    os.utime(path, (time.time() - 1000, time.time() - 1000))
    lease = CellLease(path, timeout=300)
    assert lease.acquire() is None
    assert json.loads(path.read_text())["token"] == lease.me.token


RACER = """
import sys, time
from pathlib import Path
from harness.runs.lease import CellLease
path, gate = Path(sys.argv[1]), Path(sys.argv[2])
lease = CellLease(path)
print("ready", flush=True)
while not (gate / "go").exists():  # start together
    time.sleep(0.001)
print("won" if lease.acquire() is None else "held", flush=True)
while not (gate / "stop").exists():  # hold it until every racer has tried
    time.sleep(0.01)
"""


@pytest.mark.parametrize("stale", [False, True])
def test_of_eight_processes_racing_for_one_lease_exactly_one_wins(
    tmp_path: Path, stale: bool
) -> None:
    path = tmp_path / "leases" / "cell.lease"
    if stale:  # a dead process's lease: the racers all try to take it over
        dead = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"],
            capture_output=True,
            text=True,
            check=True,
        )
        now = time.time()
        gone = LeaseHolder(
            host=socket.gethostname(),
            pid=int(dead.stdout),
            started=now,
            heartbeat=now,
            token="dead",
        )
        path.parent.mkdir()
        path.write_text(gone.model_dump_json(), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(path), str(tmp_path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    outs = []
    try:
        for racer in racers:
            assert racer.stdout is not None
            assert racer.stdout.readline().strip() == "ready"
        (tmp_path / "go").touch()
        outs = [racer.stdout.readline().strip() for racer in racers if racer.stdout]
    finally:
        (tmp_path / "stop").touch()
        errors = [racer.communicate(timeout=120)[1] for racer in racers]
    assert sorted(outs) == ["held"] * 7 + ["won"], (outs, errors)
    assert sum("taken over" in err for err in errors) == (1 if stale else 0), errors
