"""Whether a run folder may be continued by this invocation: the same prompt, documents,
model, sampling and repeat, and (unless `--allow-endpoint-change`) the same endpoint and
server model, so one run never mixes the answers of two setups."""

from __future__ import annotations

from harness._eval.config import RunConfig
from harness.claims import Document
from harness.corpus import documents_hash
from harness.errors import UserInputError
from harness.prompts import Prompt
from harness.runs import Manifest

__all__ = ["EndpointChanged", "check_resumable", "check_same_endpoint", "check_same_server_model"]


class EndpointChanged(UserInputError):
    """A resume would mix answers of two endpoints or server models in one run."""


def check_resumable(
    manifest: Manifest, prompt: Prompt, documents: list[Document], config: RunConfig
) -> Manifest:
    problems = []
    if manifest.prompt_hash != prompt.content_hash:
        problems.append(f"prompt {prompt.ref} changed since the run started")
    if manifest.documents_hash != documents_hash(documents):
        problems.append("the documents differ from the run's")
    if manifest.model != config.endpoint.model:
        problems.append(f"model {config.endpoint.model!r} is not the run's {manifest.model!r}")
    if manifest.params != config.params:
        problems.append("sampling parameters differ from the run's (see its manifest.json)")
    if manifest.reask != config.reask or manifest.repeat != config.repeat:
        problems.append("--reask or the repeat index differs from the run's")
    if manifest.answer_limits != config.answer_limits:
        problems.append(
            f"answer limits {config.answer_limits.describe()} are not the run's "
            f"{manifest.answer_limits.describe()}"
        )
    if problems:
        raise UserInputError(f"--resume {manifest.run_id}: " + "; ".join(problems))
    return manifest


def check_same_endpoint(manifest: Manifest, config: RunConfig) -> None:
    """The endpoint's identity (a local model's GGUF hash, else its URL) must be the run's."""
    before = manifest.endpoint.identity or manifest.base_url
    now = config.endpoint.identity or config.endpoint.base_url
    if before != now:
        raise EndpointChanged(
            f"--resume {manifest.run_id}: the endpoint {now!r} is not the run's {before!r} "
            "(--allow-endpoint-change to mix them in one run)"
        )


def check_same_server_model(manifest: Manifest, server_model: str | None) -> None:
    """The model the server reports serving (probed) must be the one the run recorded."""
    before = manifest.server_model
    if before is not None and server_model is not None and before != server_model:
        raise EndpointChanged(
            f"--resume {manifest.run_id}: the server now serves {server_model!r}, the run "
            f"was answered by {before!r} (--allow-endpoint-change to mix them in one run)"
        )
