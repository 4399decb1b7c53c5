"""Runs for the report tests, made for real: `evaluate` against the scripted server.

`hostile_corpus` writes a few seed articles plus documents whose text, title and gold
carry `</script>`, `<!--`, an `<img onerror>`, U+2028, right-to-left text and emoji, so the
report's escaping is tested on runs the harness actually produced.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from harness import Endpoint, RunConfig, evaluate, load_documents, load_gold
from harness.fakes import GoldAnswerer, Reply, Script, ScriptedServer

REPO = Path(__file__).resolve().parents[2]
SEEDS = ("000_10ba7ebf5372380a", "001_a9b8bfead3ee556a", "002_53453bb4e1fc4371")
PWNED = "window.__pwned = 1"
# (doc id, title, sentences: (speaker, speaker_type, what the speaker says))
HOSTILE: tuple[tuple[str, str, tuple[tuple[str, str, str], ...]], ...] = (
    (
        "h1_script",
        "Breaking </script><script>window.__pwned = 1</script> news",
        (
            (
                "Mallory",
                "person",
                "the tag </script><script>window.__pwned = 1</script> is harmless",
            ),
            ("The council", "organization", "the <!-- comment --> budget would rise"),
        ),
    ),
    (
        "h2_img",
        'Images <img src=x onerror="window.__pwned = 1"> everywhere',
        (
            ("Eve", "person", 'pictures like <img src=x onerror="window.__pwned = 1"> were fine'),
            ("The ministry", "government", "line\u2028separators\u2029are text"),
        ),
    ),
    (
        "h3_rtl",
        "مرحبا שלום report",
        (
            ("أحمد", "person", "الميزانية سترتفع next year"),
            ("דנה", "person", "התקציב יעלה soon"),
        ),
    ),
    (
        "h4_emoji",
        "Emoji \U0001f600\U0001f468\u200d\U0001f469\u200d\U0001f467 day",
        (
            ("Zoe", "person", "the \U0001f680 launch moved to \U0001f4c5 Friday"),
            ("The agency", "organization", "flags \U0001f1eb\U0001f1f7 fly over the \U0001f3db"),
        ),
    ),
)


def _claim(speaker: str, kind: str, what: str, evidence: str) -> dict[str, Any]:
    return {
        "statement": what[0].upper() + what[1:] + ".",
        "evidence": evidence,
        "speaker": speaker,
        "speaker_type": kind,
        "cue": "said",
        "quote_type": "indirect",
        "via": [],
        "speaker_aliases": [],
        "required": True,
    }


def hostile_corpus(folder: Path) -> tuple[Path, Path]:
    """Seed articles and the hostile documents: a docs folder and a gold folder."""
    docs, gold = folder / "docs", folder / "gold"
    docs.mkdir(parents=True)
    gold.mkdir(parents=True)
    for doc_id in SEEDS:
        for path in (REPO / "seeds").glob(f"{doc_id}.*"):
            shutil.copy(path, docs / path.name)
        shutil.copy(REPO / "gold" / f"{doc_id}.json", gold / f"{doc_id}.json")
    for doc_id, title, sentences in HOSTILE:
        lines = [f"{who} said that {what}." for who, _, what in sentences]
        text = "\U0001f4f0 " + "\n\n".join(lines) + "\n"
        (docs / f"{doc_id}.txt").write_text(text, encoding="utf-8")
        meta = {"title": title}
        (docs / f"{doc_id}.meta.json").write_text(json.dumps(meta), encoding="utf-8")
        claims = [
            _claim(who, kind, what, line)
            for (who, kind, what), line in zip(sentences, lines, strict=True)
        ]
        record = {"schema_version": 1, "doc_id": doc_id, "claims": claims}
        (gold / f"{doc_id}.json").write_text(json.dumps(record), encoding="utf-8")
    return docs, gold


def behaviours(mapping: dict[str, str]) -> Callable[[str], str]:
    """A GoldAnswerer behaviour: `mapping[doc_id]`, else answer with the gold."""
    return lambda doc_id: mapping.get(doc_id, "gold")


def make_run(
    results: Path,
    run_id: str,
    docs: Path,
    gold: Path,
    script: Script | Callable[[Any], Reply],
    prompt: str = "extract@v2",
) -> Path:
    """`evaluate` in its own thread: Playwright's sync API keeps an event loop running in
    the main thread, and `evaluate` starts its own."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(_run, results, run_id, docs, gold, script, prompt).result()


def _run(
    results: Path,
    run_id: str,
    docs: Path,
    gold: Path,
    script: Script | Callable[[Any], Reply],
    prompt: str,
) -> Path:
    with ScriptedServer(script) as server:
        config = RunConfig(
            endpoint=Endpoint(base_url=server.base_url, model=f"model-{run_id}"),
            prompt=prompt,
            docs=docs,
            gold=gold,
            prompts_dir=REPO / "prompts",
            results_dir=results,
            run_id=run_id,
        )
        return evaluate(config).folder.path


def answerer(docs: Path, gold: Path, mapping: dict[str, str]) -> GoldAnswerer:
    documents = load_documents(docs)
    return GoldAnswerer(documents, load_gold(gold, documents), behaviours(mapping))
