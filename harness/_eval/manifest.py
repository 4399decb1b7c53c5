"""The manifest of one run, built from typed parts at its two known points.

`start_manifest` is written when a run folder is created (status `running`);
`finish_manifest` when the run stops, whatever the reason. In between, what the workers
learn (tokens, the server's model name, the modes used) is added up in a `Tally` owned by
the run, never written into the manifest piecemeal.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from harness import __version__
from harness._eval.config import RunConfig
from harness.claims import Document
from harness.corpus import GoldSet, documents_hash
from harness.endpoints.cache import ResponseCache
from harness.endpoints.settings import LADDER, OutputMode
from harness.prompts import Prompt
from harness.runs import Manifest, PredictionRecord, TokenTotals
from harness.runs.manifest import CacheStats, EndpointSettings, ProbeRecord
from harness.scoring.document import ScoringConfig

__all__ = ["Tally", "finish_manifest", "rescored_manifest", "start_manifest"]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def start_manifest(
    config: RunConfig, prompt: Prompt, run_id: str, documents: list[Document], gold: GoldSet
) -> Manifest:
    return Manifest(
        run_id=run_id,
        status="running",
        harness_version=__version__,
        git_commit=_git_commit(),
        prompt=prompt.ref,
        prompt_hash=prompt.content_hash,
        prompt_description=prompt.meta.description,
        base_url=config.endpoint.base_url,
        model=config.endpoint.model,
        local_model=config.local_model,
        endpoint=EndpointSettings.of(config.endpoint),
        params=config.params,
        forced_output_mode=_str(config.output_mode),
        reask=config.reask,
        answer_limits=config.answer_limits,
        repeat=config.repeat,
        scoring=config.scoring,
        prompts_dir=str(config.prompts_dir.resolve()),
        documents_source=str(config.docs.resolve()),
        documents_hash=documents_hash(documents),
        n_documents=len(documents),
        gold_source=str(config.gold.resolve()),
        gold_hash=gold.digest,
        n_gold_documents=len(gold.doc_ids),
        started_at=_now(),
    )


@dataclass
class Tally:
    """What one run's workers add up as documents finish (one event loop, no locks)."""

    tokens: TokenTotals
    server_model: str | None = None
    modes: set[str] = field(default_factory=set)
    started: float = field(default_factory=time.perf_counter)
    from_cache: int = 0  # documents of this invocation whose every turn the cache answered

    def add(self, record: PredictionRecord) -> None:
        self.tokens.prompt_tokens += record.prompt_tokens
        self.tokens.completion_tokens += record.completion_tokens
        self.tokens.requests += len(record.attempts)
        self.tokens.http_attempts += sum(a.http_attempts for a in record.attempts)
        self.tokens.cached += sum(a.cached for a in record.attempts)
        self.from_cache += bool(record.attempts) and all(a.cached for a in record.attempts)
        self.server_model = self.server_model or record.server_model
        if record.mode is not None:
            self.modes.add(record.mode)

    def settled_mode(self) -> str | None:
        """The lowest rung any document of this invocation was answered on (requests
        step down on their own, so this is what the endpoint turned out to accept)."""
        used = [mode for mode in LADDER if str(mode) in self.modes]
        if not used and self.modes:  # a baseline: one mode, no ladder
            return min(self.modes)
        return str(used[-1]) if used else None


def finish_manifest(
    manifest: Manifest,
    tally: Tally,
    *,
    status: str,
    error: str | None,
    client_mode: OutputMode | None,
    probe: list[ProbeRecord] | None,
    probed_model: str | None,
    cache: ResponseCache | None,
) -> Manifest:
    """The manifest as the run stopped: status, totals, the mode settled on (the lowest
    rung a document needed, else the probe's or the forced one), cache use."""
    elapsed = (manifest.duration_s or 0) + time.perf_counter() - tally.started
    update: dict[str, object] = {
        "status": status,
        "error": error,
        "tokens": tally.tokens,
        "server_model": probed_model or manifest.server_model or tally.server_model,
        "output_mode": tally.settled_mode() or _str(client_mode) or manifest.output_mode,
        "finished_at": _now(),
        "duration_s": round(elapsed, 3),
    }
    if probe is not None:
        update["output_mode_probe"] = probe
    if cache is not None:
        update["cache"] = CacheStats(path=str(cache.path), hits=cache.hits, misses=cache.misses)
    return manifest.model_copy(update=update)


def _str(mode: OutputMode | None) -> str | None:
    return None if mode is None else str(mode)


def rescored_manifest(
    manifest: Manifest, scoring: ScoringConfig, gold: Path | None, gold_set: GoldSet
) -> Manifest:
    """The manifest of a rescored run: its scoring, and its gold if other gold was used."""
    update: dict[str, object] = {"scoring": scoring}
    if gold is not None:  # the run is now scored against other gold: say so
        update |= {
            "gold_source": str(gold.resolve()),
            "gold_hash": gold_set.digest,
            "n_gold_documents": len(gold_set.doc_ids),
        }
    return manifest.model_copy(update=update)
