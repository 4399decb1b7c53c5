"""`harness gold agree A B --matcher NAME`: the claims of two annotations pair up with any
matcher of the registry (lexical by default, as before), the judge included."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from harness.annotation import agree
from harness.fakes import Script, ScriptedServer
from harness.fakes.judge import JudgeScript
from harness.scoring.matchers import get_matcher
from tests.conftest import REPO, RunCli

SEED_PREFIX = "001_"  # a shipped seed article with several gold claims
Start = Callable[[Script], ScriptedServer]


def _annotations(tmp_path: Path) -> tuple[Path, Path]:
    """A = the shipped gold of one seed; B = the same claims, the first one negated
    ("It is not true that ..."): same evidence, so the lexical rule still pairs it."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    source = next(p for p in (REPO / "gold").glob("*.json") if p.stem.startswith(SEED_PREFIX))
    shutil.copy(source, a / source.name)
    data = json.loads(source.read_text(encoding="utf-8"))
    first = data["claims"][0]
    statement = first["statement"]
    first["statement"] = "It is not true that " + statement[0].lower() + statement[1:]
    (b / source.name).write_text(json.dumps(data), encoding="utf-8")
    return a, b


def _matched(stdout: str) -> int:
    found = re.search(r"matched: (\d+)", stdout)
    assert found is not None, stdout
    return int(found.group(1))


def _agree(run_cli: RunCli, a: Path, b: Path, *flags: str) -> tuple[int, str, str]:
    done = run_cli("gold", "agree", str(a), str(b), "--docs", str(REPO / "seeds"), *flags)
    return done.returncode, done.stdout, done.stderr


def test_guards_unpair_a_negated_claim_that_lexical_pairs(tmp_path: Path, run_cli: RunCli) -> None:
    a, b = _annotations(tmp_path)
    n_claims = len(json.loads(next(a.glob("*.json")).read_text())["claims"])
    code, lexical, err = _agree(run_cli, a, b)
    assert code == 0, err
    assert "matcher: lexical" in lexical and _matched(lexical) == n_claims
    code, explicit, err = _agree(run_cli, a, b, "--matcher", "lexical")
    assert code == 0 and explicit == lexical, err  # the default is the lexical rule
    code, guarded, err = _agree(run_cli, a, b, "--matcher", "lexical+guards")
    assert code == 0, err
    assert _matched(guarded) == n_claims - 1  # the negation guard rejects the first claim
    # The Python API: lexical by default, any registry matcher when given.
    docs = REPO / "seeds"
    assert agree(a, b, docs).matched == n_claims
    assert agree(a, b, docs, matcher=get_matcher("lexical+guards")).matched == n_claims - 1


def test_the_judge_pairs_the_claims_of_gold_agree(
    tmp_path: Path, run_cli: RunCli, scripted_server: Start
) -> None:
    a, b = _annotations(tmp_path)
    judge = scripted_server(JudgeScript())  # yes only for the same words
    flags = ("--matcher", "judge", "--judge-base-url", judge.base_url, "--judge-model", "jm")
    code, out, err = _agree(run_cli, a, b, *flags)
    assert code == 0, err
    n_claims = len(json.loads(next(a.glob("*.json")).read_text())["claims"])
    assert _matched(out) == n_claims - 1  # the negated statement has other words
    assert judge.requests and "judge jm:" in out and "pairs asked in both orders" in out

    code, out, err = _agree(run_cli, a, b, "--matcher", "judge")
    assert code == 2 and "needs --judge-model" in err
