"""Fakes shipped with the package: a scripted OpenAI-compatible server and its scripts."""

from harness.fakes.scripts import TRANSFORMS, GoldAnswerer, gold_extraction_json
from harness.fakes.server import ChatRequest, Reply, Script, ScriptedServer

__all__ = [
    "TRANSFORMS",
    "ChatRequest",
    "GoldAnswerer",
    "Reply",
    "Script",
    "ScriptedServer",
    "gold_extraction_json",
]
