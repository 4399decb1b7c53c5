"""Versioned prompt templates: load, identify, render.

A prompt lives in `prompts/<name>/<version>/` as `prompt.yaml` (description, output
schema), `system.j2` and `user.j2`. Its identity is `name@version` plus a hash of every
file's content, so two runs that claim the same prompt provably used the same text.
Templates render in Jinja2's sandbox with StrictUndefined: a template cannot reach into
Python, and a misspelt variable is an error naming the file, not an empty string.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jinja2
import yaml
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, ValidationError

from harness.claims import Document
from harness.errors import UserInputError
from harness.schemas import extraction_schema
from harness.schemas.request import Grounding, RequestCapsSpec

__all__ = [
    "PACKAGED_PROMPTS",
    "Prompt",
    "PromptMeta",
    "RenderedPrompt",
    "default_prompts_dir",
    "list_prompts",
    "load_prompt",
]

# The default prompts ship inside the package; the repository's `prompts/` is a link to
# this folder, so there is one copy of each prompt.
PACKAGED_PROMPTS = Path(__file__).parent / "prompts_data"

_VERSION = re.compile(r"^v(\d+)$")
_FILES = ("prompt.yaml", "system.j2", "user.j2")


def default_prompts_dir() -> Path:
    """`./prompts` when the working directory has one (a project of one's own, the
    repository), else the prompts installed with the package, so `harness run --docs X
    --gold Y` works anywhere."""
    local = Path("prompts")
    return local if local.is_dir() else PACKAGED_PROMPTS


class PromptMeta(BaseModel):
    """prompt.yaml. `request_caps` and `grounding` shape the request schema sent with the
    prompt (see `harness.schemas.request`); answers are validated by the full schema."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    description: str
    output_schema: str = "extraction"
    request_caps: RequestCapsSpec | None = None
    grounding: Grounding = Grounding.NONE


@dataclass(frozen=True, slots=True)
class RenderedPrompt:
    system: str
    user: str

    def messages(self) -> list[dict[str, str]]:
        return [{"role": "system", "content": self.system}, {"role": "user", "content": self.user}]


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    meta: PromptMeta
    folder: Path
    content_hash: str
    system_template: jinja2.Template
    user_template: jinja2.Template

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    def render(self, document: Document) -> RenderedPrompt:
        """Fill both templates for one document; a template error names its file."""
        variables = {
            "document": document.model_dump(),
            "schema_json": _schema_json(),
        }
        parts = []
        for file_name, template in (
            ("system.j2", self.system_template),
            ("user.j2", self.user_template),
        ):
            try:
                parts.append(template.render(**variables))
            except jinja2.TemplateError as exc:
                raise UserInputError(f"{self.folder / file_name}: {exc}") from exc
            except (ArithmeticError, LookupError, TypeError, ValueError) as exc:
                # Runtime errors of the template's own expressions ({{ 1/0 }}, the sandbox's
                # range limit) are the template's fault too.
                raise UserInputError(
                    f"{self.folder / file_name}: {type(exc).__name__}: {exc}"
                ) from exc
        return RenderedPrompt(system=parts[0].strip(), user=parts[1].strip())


@cache
def _schema_json() -> str:
    """The schema as templates see it; encoded once (per document it cost more than rendering)."""
    return json.dumps(extraction_schema(), indent=1)


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        undefined=jinja2.StrictUndefined, keep_trailing_newline=False, autoescape=False
    )


def list_prompts(root: Path) -> list[str]:
    """Every `name@version` under `root`, sorted."""
    refs = [
        f"{p.parent.name}@{p.name}"
        for p in sorted(root.glob("*/v*"))
        if (p / "prompt.yaml").is_file()
    ]
    return sorted(refs)


def _resolve_version(root: Path, name: str, version: str | None) -> str:
    folder = root / name
    if not folder.is_dir():
        known = ", ".join(list_prompts(root)) or "none"
        raise UserInputError(f"{folder}: no prompt named {name!r} (known: {known})")
    if version is not None:
        return version
    versions = [p.name for p in folder.iterdir() if _VERSION.match(p.name)]
    if not versions:
        raise UserInputError(f"{folder}: no version folders (v1, v2, ...)")
    return max(versions, key=lambda v: int(v[1:]))


def load_prompt(ref: str, root: Path) -> Prompt:
    """Load `name@version` (or `name` for its latest version) from `root`."""
    name, _, version = ref.partition("@")
    version_ = _resolve_version(root, name, version or None)
    folder = root / name / version_
    missing = [f for f in _FILES if not (folder / f).is_file()]
    if missing:
        raise UserInputError(f"{folder}: missing {', '.join(missing)}")
    raw = {f: (folder / f).read_text(encoding="utf-8") for f in _FILES}
    try:
        meta = PromptMeta.model_validate(yaml.safe_load(raw["prompt.yaml"]) or {})
    except (yaml.YAMLError, ValidationError) as exc:
        raise UserInputError(f"{folder / 'prompt.yaml'}: {_one_line(exc)}") from exc
    if meta.output_schema != "extraction":
        raise UserInputError(
            f"{folder / 'prompt.yaml'}: output_schema: only 'extraction' is supported"
        )
    digest = hashlib.sha256()
    for f in _FILES:
        digest.update(f.encode() + b"\0" + raw[f].encode() + b"\0")
    env = _environment()
    templates = []
    for f in ("system.j2", "user.j2"):
        try:
            templates.append(env.from_string(raw[f]))
        except jinja2.TemplateSyntaxError as exc:
            raise UserInputError(f"{folder / f}: line {exc.lineno}: {exc.message}") from exc
    return Prompt(name, version_, meta, folder, digest.hexdigest()[:16], templates[0], templates[1])


def _one_line(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc']) or '$'}: {first['msg']}"
    return " ".join(str(exc).split())
