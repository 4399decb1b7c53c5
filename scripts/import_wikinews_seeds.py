"""Copy the chosen English Wikinews articles (CC BY 2.5) into seeds/, reformatted.

Reproducible record of where every seed came from. Run from the repository root:

    python scripts/import_wikinews_seeds.py ../shared/corpora/wikinews_en

Reformatting: runs of blank lines are collapsed to one, trailing spaces removed. Each
article keeps its URL, title and date in `<id>.meta.json` beside the text.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import sys
from pathlib import Path

# (csv file, title prefix) in seed order; the first is the named seed article.
CHOSEN: list[tuple[str, str]] = [
    ("wikinews_2019.csv", "Oil facilities in Saudi Arabia hit by drone attacks"),
    ("wikinews_2019.csv", "Kurds announce deal with Assad"),
    ("wikinews_2019.csv", "Iranian cargo plane crashes into Karaj houses"),
    ("wikinews_2019.csv", "Scheduled power outages in Northern California begin"),
    ("wikinews_2019.csv", "President Trump says he 'can' and 'may' put US into state of emergency"),
    ("wikinews_2019.csv", "Arrest made as mayor of Gdańsk, Poland stabbed on stage"),
    ("wikinews_2020.csv", "Iran issues arrest warrants for 36 people"),
    ("wikinews_2020.csv", "Bangladesh reports five new deaths due to COVID-19"),
    ("wikinews_2019.csv", "US Department of Justice investigating Ford"),
    ("wikinews_2020.csv", "Suspect arrested in death of elephant in Kerala"),
    ("wikinews_2019.csv", "Hurricane Dorian leaves trail of destruction in the Bahamas"),
    ("wikinews_2020.csv", "National Basketball Association suspends season"),
    ("wikinews_2020.csv", "11-month old baby finds illegal drugs in playground"),
    ("wikinews_2020.csv", "Burundi President Pierre Nkurunziza dies aged 55"),
    ("wikinews_2019.csv", "Puerto Rico governor announces resignation following protests"),
    ("wikinews_2019.csv", "Benin, Nigeria join African Union continental free trade bloc"),
    ("wikinews_2020.csv", "Stores in Australia lower toilet paper limits"),
    ("wikinews_2019.csv", "New Zealand mosque murder suspect appears in court"),
    ("wikinews_2019.csv", "Turkey's President Erdogan proposes converting Hagia Sophia"),
    ("wikinews_2019.csv", "New South Wales decriminalizes abortion"),
    ("wikinews_2019.csv", "Paris court jails two police in high-profile rape case"),
    ("wikinews_2019.csv", "Iran's President Rouhani tells foreign powers to leave Persian Gulf"),
    ("wikinews_2019.csv", "Tunisian Prime Minister signs decree to ban face veils"),
    ("wikinews_2019.csv", "Hong Kong leader announces withdrawal of extradition bill"),
    ("wikinews_2019.csv", "Hotel fire kills at least seventeen in Karol Bagh"),
    ("wikinews_2020.csv", "Seoul city Mayor Park Won-soon found dead"),
    ("wikinews_2020.csv", "Conservative groups hold rally in Washington D.C."),
    ("wikinews_2020.csv", "British supermarket chain Tesco to sell its Polish branch"),
]

# The issue fixed the first seed's file name before this script existed; keep it.
FIXED_IDS = {0: "000_10ba7ebf5372380a"}
LICENCE = "CC BY 2.5 (English Wikinews); reformatted"


def reformat(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def main(corpus_dir: Path, out_dir: Path) -> None:
    rows_by_file = {
        name: list(csv.DictReader((corpus_dir / name).open(encoding="utf-8")))
        for name in {f for f, _ in CHOSEN}
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    for index, (file_name, title_prefix) in enumerate(CHOSEN):
        matches = [r for r in rows_by_file[file_name] if r["title"].startswith(title_prefix)]
        if len(matches) != 1:
            raise SystemExit(f"{file_name}: {len(matches)} articles titled {title_prefix!r}")
        row = matches[0]
        url_hash = hashlib.sha256(row["url"].encode()).hexdigest()[:16]
        doc_id = FIXED_IDS.get(index, f"{index:03d}_{url_hash}")
        (out_dir / f"{doc_id}.txt").write_text(reformat(row["text"]), encoding="utf-8")
        meta = {"title": row["title"], "url": row["url"], "date": row["date"], "licence": LICENCE}
        (out_dir / f"{doc_id}.meta.json").write_text(
            json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        print(doc_id, row["title"][:70])


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2] if len(sys.argv) > 2 else "seeds"))
