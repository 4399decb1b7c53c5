"""`harness run` on an imported PolNeAR corpus reports exactly the metrics its gold supports.

PolNeAR annotates source, cue and content but no speaker types, quote types or reporting
chains: those accuracies must come out undefined (null), not as a misleading 0 or 1.
Research-only data: read from ../shared at run time, written only under tmp_path.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from harness import Endpoint, RunConfig, evaluate, load_documents, load_gold
from harness.fakes import GoldAnswerer, ScriptedServer
from harness.importers.polnear import read_polnear, write_polnear

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("CLAIM_HARNESS_SHARED", REPO.parent / "shared"))
POLNEAR = SHARED / "corpora" / "polnear_dev"

pytestmark = pytest.mark.skipif(not POLNEAR.is_dir(), reason=f"{POLNEAR} is not present")


def test_run_on_imported_polnear_reports_supported_metrics(tmp_path: Path) -> None:
    out = tmp_path / "polnear"
    write_polnear(read_polnear(POLNEAR), out)
    documents = load_documents(out / "docs")[:6]
    gold = load_gold(out / "gold", documents)
    assert len(gold) == 6
    with ScriptedServer(GoldAnswerer(documents, gold)) as server:
        outcome = evaluate(
            RunConfig(
                endpoint=Endpoint(base_url=server.base_url, model="m"),
                docs=out / "docs",
                gold=out / "gold",
                prompts_dir=REPO / "prompts",
                limit=6,
                results_dir=tmp_path / "results",
            )
        )
    metrics = json.loads((outcome.folder.path / "metrics.json").read_text())["metrics"]
    supported_metrics = ("claim_f1", "attributed_f1", "speaker_accuracy", "cue_accuracy")
    for supported in (*supported_metrics, "grounding_rate"):
        assert metrics[supported]["value"] == 1.0, supported
    for unsupported in ("speaker_type_accuracy", "quote_type_accuracy", "via_accuracy"):
        assert metrics[unsupported] == {"value": None, "ci_low": None, "ci_high": None}


def test_other_annotators_feed_gold_agree(tmp_path: Path) -> None:
    from harness.annotation import agree

    out = tmp_path / "polnear"
    summary = write_polnear(read_polnear(POLNEAR), out)
    others = sorted((out / "annotators").iterdir())
    assert others and summary.n_documents == 84
    result = agree(out / "gold", others[0], out / "docs")
    assert result.documents == 2  # the two articles every annotator labelled
    assert 0.7 <= result.claim_f1 <= 1.0
    # PolNeAR has no speaker or quote types: kappa on placeholders would be meaningless.
    assert result.speaker_type_kappa is None and result.quote_type_kappa is None
    # ... but it has Cue spans: every matched pair is compared on them.
    assert result.cue_pairs == result.matched > 0
    assert result.cue_agreement is not None and 0.5 <= result.cue_agreement <= 1.0
