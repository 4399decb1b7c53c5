"""`harness serve-scripted`: the shipped scripted OpenAI-compatible server, for demos and checks.

It answers each document with its gold claims (optionally fenced, prose-wrapped,
truncated...), so anyone can see the harness score a perfect model 1.0, or watch how it
classifies each kind of bad answer, without a model or an API key.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from harness.fakes import TRANSFORMS, GoldAnswerer, ScriptedServer

__all__ = ["serve_scripted_command"]


@click.command("serve-scripted")
@click.option("--docs", type=click.Path(path_type=Path), default=Path("seeds"), show_default=True)
@click.option("--gold", type=click.Path(path_type=Path), default=Path("gold"), show_default=True)
@click.option(
    "--behaviour",
    type=click.Choice(sorted(TRANSFORMS)),
    default="gold",
    show_default=True,
    help="How to mangle the gold answer.",
)
@click.option(
    "--reject-json-schema",
    is_flag=True,
    help="Answer response_format json_schema with HTTP 500, as llama.cpp does.",
)
def serve_scripted_command(
    docs: Path, gold: Path, behaviour: str, reject_json_schema: bool
) -> None:
    """Serve gold answers on 127.0.0.1 and print the base URL (Ctrl-C stops it)."""
    from harness.corpus import load_documents, load_gold  # loads the scoring (numpy)

    documents = load_documents(docs)
    answerer = GoldAnswerer(
        documents,
        load_gold(gold, documents),
        behaviour=behaviour,
        reject_json_schema=reject_json_schema,
    )
    with ScriptedServer(answerer) as server:
        click.echo(
            f"base URL: {server.base_url}  ({behaviour} answers for {len(documents)} documents)",
            err=True,
        )
        click.echo(f"try: harness run --base-url {server.base_url} --model scripted", err=True)
        click.echo(server.base_url, nl=True)
        while True:
            time.sleep(3600)
