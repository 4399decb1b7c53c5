"""The prompt text behind each run, and a line diff between every two different prompts.

A run folder records its prompt as `name@version` and a content hash, not the text, so the
text is read back from the prompts folder and checked against that hash: a prompt edited
since the run is shown with a warning rather than passed off as the one that was used.
Diffs are computed here (difflib), once per pair of distinct prompts, never in the page.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.errors import UserInputError
from harness.prompts import load_prompt
from harness.report.data import RunData

__all__ = ["PromptDiff", "PromptText", "prompt_diffs", "prompt_texts"]


@dataclass(frozen=True)
class PromptText:
    ref: str
    hash: str  # the hash the runs recorded
    labels: tuple[str, ...]  # the runs that used it
    files: tuple[tuple[str, str], ...]  # (file name, text); empty when unavailable
    note: str | None = None

    @property
    def key(self) -> str:
        return f"{self.ref} ({self.hash})"

    def lines(self) -> list[str]:
        out = []
        for name, text in self.files:
            out.append(f"=== {name} ===")
            out.extend(text.splitlines())
        return out


@dataclass(frozen=True)
class PromptDiff:
    a: PromptText
    b: PromptText
    lines: tuple[tuple[str, str], ...]  # (css class, line)


def _read(ref: str, recorded: str, root: Path, labels: tuple[str, ...]) -> PromptText:
    try:
        prompt = load_prompt(ref, root)
    except UserInputError as exc:
        return PromptText(ref, recorded, labels, (), f"prompt text unavailable: {exc}")
    files = tuple(
        (p.name, p.read_text(encoding="utf-8", errors="replace"))
        for p in sorted(prompt.folder.iterdir())
        if p.is_file()
    )
    note = None
    if prompt.content_hash != recorded:
        note = (
            f"{prompt.folder} changed since the run (hash now {prompt.content_hash}); "
            "this is the current text, not necessarily the one the run used"
        )
    return PromptText(ref, recorded, labels, files, note)


def prompt_texts(runs: Sequence[RunData], root: Path) -> list[PromptText]:
    """One entry per distinct (prompt, hash) among the runs, in run order."""
    users: dict[tuple[str, str], list[str]] = {}
    for run in runs:
        users.setdefault((run.manifest.prompt, run.manifest.prompt_hash), []).append(run.label)
    return [_read(ref, digest, root, tuple(labels)) for (ref, digest), labels in users.items()]


def _css(line: str) -> str:
    if line.startswith(("+++", "---")):
        return "dh"
    return {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "")


def prompt_diffs(texts: Sequence[PromptText]) -> list[PromptDiff]:
    """A unified diff for every pair of readable prompts (the same text gives an empty one)."""
    readable = [t for t in texts if t.files]
    out = []
    for a, b in itertools.combinations(readable, 2):
        diff = difflib.unified_diff(a.lines(), b.lines(), a.key, b.key, lineterm="", n=2)
        out.append(PromptDiff(a, b, tuple((_css(line), line) for line in diff)))
    return out
