"""Which cells of a sweep one process takes: `--cells i/N`.

A cell belongs to part `i` of `N` when a stable hash of its id (sha256, not Python's
salted `hash`, and not its position) is `i` modulo `N`: adding a prompt or a model to the
sweep file moves no existing cell to another part, and every process of a job array
computes the same split without talking to the others. Parts are uneven for a handful of
cells (a hash is not a round robin); the per-cell lease makes any split safe, so
`--cells 0/1` in several processes at once is fine too.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from harness.runs.lease import DEFAULT_LEASE_TIMEOUT

__all__ = ["Shard", "cell_hash"]


def cell_hash(cell_id: str) -> int:
    """A cell id's stable 64-bit hash, the same in every process and Python version."""
    return int(hashlib.sha256(cell_id.encode()).hexdigest()[:16], 16)


@dataclass(frozen=True)
class Shard:
    """Part `index` of `count`, and how long another host's silent lease is honoured."""

    index: int = 0
    count: int = 1
    lease_timeout: float = DEFAULT_LEASE_TIMEOUT

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ValueError(f"{self.index}/{self.count}: I must be 0 to N-1 (N >= 1)")

    @classmethod
    def parse(cls, text: str, lease_timeout: float = DEFAULT_LEASE_TIMEOUT) -> Shard:
        """`i/N` (e.g. `$SLURM_ARRAY_TASK_ID/4`); ValueError says what was expected."""
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if match is None:
            raise ValueError(f"{text!r} is not I/N, e.g. 0/4 (this process's part I of N)")
        return cls(int(match[1]), int(match[2]), lease_timeout)

    def takes(self, cell_id: str) -> bool:
        return cell_hash(cell_id) % self.count == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"
