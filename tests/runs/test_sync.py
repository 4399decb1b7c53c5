"""predictions.jsonl is fsynced off the event loop (runs.sync), and an fsync error is not lost."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from harness.runs import RunFolder
from harness.runs import folder as folder_module
from harness.runs.records import PredictionRecord
from harness.runs.sync import BackgroundSync


def test_an_fsync_error_in_the_thread_is_raised_by_finish() -> None:
    read, write = os.pipe()  # a real descriptor fsync refuses (EINVAL)
    try:
        sync = BackgroundSync(write)
        sync.start()
        with pytest.raises(OSError):
            sync.finish()
        sync.finish()  # raised once, then cleared
    finally:
        os.close(read)
        os.close(write)


def test_an_fsync_error_is_raised_by_the_next_start() -> None:
    read, write = os.pipe()
    try:
        sync = BackgroundSync(write)
        sync.start()
        assert sync._running is not None
        assert isinstance(sync._running.exception(timeout=10), OSError)  # failed in the thread
        with pytest.raises(OSError):
            sync.start()
        sync.finish()  # raised once, then cleared
    finally:
        os.close(read)
        os.close(write)


def test_appending_fsyncs_on_another_thread_and_close_syncs_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced_on: list[str] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        synced_on.append(threading.current_thread().name)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    monkeypatch.setattr(folder_module, "_SYNC_EVERY_S", 0.0)  # every append asks for one
    folder = RunFolder.create(tmp_path, "run")
    for i in range(20):
        folder.append_prediction(
            PredictionRecord(doc_id=f"d{i}", mode=None, claims=[], failure=None)
        )
    folder.close()
    assert synced_on[-1] == threading.current_thread().name  # close: on the caller's thread
    assert synced_on[0].startswith("harness-fsync")  # the rest: off the caller's (loop) thread
    assert threading.current_thread().name not in synced_on[:-1]
    assert sorted(folder.read_predictions()) == sorted(f"d{i}" for i in range(20))
