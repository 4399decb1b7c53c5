"""Fakes shipped with the package: a scripted OpenAI-compatible server and its scripts."""

from harness.fakes.scripts import TRANSFORMS, GoldAnswerer, gold_extraction_json
from harness.fakes.server import BatchBehaviour, ChatRequest, Reply, Script, ScriptedServer

__all__ = [
    "TRANSFORMS",
    "BatchBehaviour",
    "ChatRequest",
    "GoldAnswerer",
    "Reply",
    "Script",
    "ScriptedServer",
    "gold_extraction_json",
]
