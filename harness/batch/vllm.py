"""`vllm run-batch` files: the same JSONL as the OpenAI Batch API, run offline.

`harness batch submit BATCHDIR --no-upload ...` writes the parts without uploading them;
`export` joins each endpoint's uncollected parts into one input file (vLLM has no line or
size limit), and `import` reads `vllm run-batch`'s output file(s), whose lines have the
Batch API's result shape, into the response cache by the same rule as `collect`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from harness.batch.collect import part_keys, take_results
from harness.batch.state import BatchFolder
from harness.endpoints.cache import ResponseCache
from harness.errors import UserInputError
from harness.runs.folder import write_atomic

__all__ = ["Exported", "Imported", "export_vllm_batch", "import_batch_results"]


@dataclass(frozen=True)
class Exported:
    path: Path
    model: str
    lines: int


@dataclass(frozen=True)
class Imported:
    parts: int  # parts completed by these files
    succeeded: int
    failed: int
    pending: int  # parts none of whose requests were in the files


def export_vllm_batch(batch_dir: Path, out: Path) -> list[Exported]:
    """One `vllm run-batch` input file per endpoint: `out/<endpoint>.jsonl`."""
    folder = BatchFolder(batch_dir)
    state = folder.read_state()
    out.mkdir(parents=True, exist_ok=True)
    exported = []
    for name, remote in state.endpoints.items():
        parts = [p for p in state.uncollected() if p.endpoint == name]
        if not parts:
            continue
        text = "".join((folder.path / p.file).read_text(encoding="utf-8") for p in parts)
        path = out / f"{name}.jsonl"
        write_atomic(path, text)
        exported.append(Exported(path, remote.model, sum(p.lines for p in parts)))
    return exported


def _read(paths: list[Path]) -> list[str]:
    lines = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UserInputError(f"{path}: cannot read the results: {exc.strerror}") from exc
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                json.loads(line)
            except ValueError as exc:
                raise UserInputError(f"{path}:{number}: not a JSON result line: {exc}") from exc
            lines.append(line)
    return lines


def import_batch_results(
    batch_dir: Path, results: list[Path], cache_dir: Path | None = None
) -> Imported:
    """Put the answers of `vllm run-batch` output files into the response cache; a part
    is complete once any of its requests is in the files (the others are recorded as
    failed, and the ordinary run asks them)."""
    folder = BatchFolder(batch_dir)
    state = folder.read_state()
    lines = _read(results)
    ids = {str(json.loads(line).get("custom_id")) for line in lines}
    cache = ResponseCache(cache_dir or Path(state.cache_dir))
    done = []
    try:
        for part in state.uncollected():
            keys = part_keys(folder, part)
            if not ids & keys.keys():
                continue
            part.succeeded, part.invalid, part.failed = 0, 0, {}
            seen = take_results(part, lines, keys, cache)
            for custom_id in keys.keys() - seen:
                part.failed[custom_id] = "no result (import)"
            part.status, part.collected = "imported", True
            done.append(part)
            folder.write_state(state)
    finally:
        cache.close()
    failed = sum(len(p.failed) for p in done)
    return Imported(len(done), sum(p.succeeded for p in done), failed, len(state.uncollected()))
