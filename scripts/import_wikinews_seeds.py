"""Copy the chosen English Wikinews articles (CC BY 2.5) into seeds/, reformatted.

Reproducible record of where every Wikinews seed came from. Run from the repository root:

    python scripts/import_wikinews_seeds.py ../shared/corpora/wikinews_en

Reformatting: runs of blank lines are collapsed to one, trailing spaces removed. Each
article keeps its URL, title and date in `<id>.meta.json` beside the text, and the script
prints the `seeds/ATTRIBUTION.md` table row of each.

Id rule (seeds/README.md): `NNN_<first 16 hex digits of sha256(url)>`, where NNN is the
number written next to the article below. Numbers are assigned once, in the order articles
join the corpus, and never change or get reused: gold files, run folders and reports name
documents by id. Number 000 belongs to the project owner's seed document (not Wikinews, not
written by this script).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import sys
from pathlib import Path

# (number, csv file, title prefix). Append new articles with the next free number.
CHOSEN: list[tuple[int, str, str]] = [
    (1, "wikinews_2019.csv", "Kurds announce deal with Assad"),
    (2, "wikinews_2019.csv", "Iranian cargo plane crashes into Karaj houses"),
    (3, "wikinews_2019.csv", "Scheduled power outages in Northern California begin"),
    (4, "wikinews_2019.csv", "President Trump says he 'can' and 'may' put US into state"),
    (5, "wikinews_2019.csv", "Arrest made as mayor of Gdańsk, Poland stabbed on stage"),
    (6, "wikinews_2020.csv", "Iran issues arrest warrants for 36 people"),
    (7, "wikinews_2020.csv", "Bangladesh reports five new deaths due to COVID-19"),
    (8, "wikinews_2019.csv", "US Department of Justice investigating Ford"),
    (9, "wikinews_2020.csv", "Suspect arrested in death of elephant in Kerala"),
    (10, "wikinews_2019.csv", "Hurricane Dorian leaves trail of destruction in the Bahamas"),
    (11, "wikinews_2020.csv", "National Basketball Association suspends season"),
    (12, "wikinews_2020.csv", "11-month old baby finds illegal drugs in playground"),
    (13, "wikinews_2020.csv", "Burundi President Pierre Nkurunziza dies aged 55"),
    (14, "wikinews_2019.csv", "Puerto Rico governor announces resignation following protests"),
    (15, "wikinews_2019.csv", "Benin, Nigeria join African Union continental free trade bloc"),
    (16, "wikinews_2020.csv", "Stores in Australia lower toilet paper limits"),
    (17, "wikinews_2019.csv", "New Zealand mosque murder suspect appears in court"),
    (18, "wikinews_2019.csv", "Turkey's President Erdogan proposes converting Hagia Sophia"),
    (19, "wikinews_2019.csv", "New South Wales decriminalizes abortion"),
    (20, "wikinews_2019.csv", "Paris court jails two police in high-profile rape case"),
    (21, "wikinews_2019.csv", "Iran's President Rouhani tells foreign powers to leave"),
    (22, "wikinews_2019.csv", "Tunisian Prime Minister signs decree to ban face veils"),
    (23, "wikinews_2019.csv", "Hong Kong leader announces withdrawal of extradition bill"),
    (24, "wikinews_2019.csv", "Hotel fire kills at least seventeen in Karol Bagh"),
    (25, "wikinews_2020.csv", "Seoul city Mayor Park Won-soon found dead"),
    (26, "wikinews_2020.csv", "Conservative groups hold rally in Washington D.C."),
    (27, "wikinews_2020.csv", "British supermarket chain Tesco to sell its Polish branch"),
    # Held the owner's seed id 000_10ba7ebf5372380a by mistake until issue 12 moved it here.
    (28, "wikinews_2019.csv", "Oil facilities in Saudi Arabia hit by drone attacks"),
    # Chosen in issue 12 for nested and anonymous attribution.
    (29, "wikinews_2019.csv", "Germany bans Mahan Air of Iran"),
    (30, "wikinews_2019.csv", "Car bomb ramming attack kills dozens at military base"),
    (31, "wikinews_2019.csv", "Bus carrying children overturns in Babyninsky"),
    (32, "wikinews_2019.csv", "Fire kills nine, injures dozens in Chittagong"),
    (33, "wikinews_2019.csv", "540 million private Facebook records found"),
    (34, "wikinews_2019.csv", "Earthquake injures 25 people in southern Philippines"),
    (35, "wikinews_2019.csv", "South African 'Lion Man' killed by his lions"),
    (36, "wikinews_2019.csv", "US President Trump says Osama bin Laden's son killed"),
    (37, "wikinews_2019.csv", "Indonesian security minister Wiranto stabbed"),
    (38, "wikinews_2019.csv", "Coalition authorities report no casualties from missile strike"),
    (39, "wikinews_2020.csv", "First foreigners die from coronavirus in Wuhan"),
]

LICENCE = "CC BY 2.5 (English Wikinews); reformatted"


def reformat(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def doc_id(number: int, url: str) -> str:
    """`NNN_<sha256(url)[:16]>`: the number fixes the order, the hash ties the id to the URL."""
    if not 1 <= number <= 999:
        raise SystemExit(f"number {number}: Wikinews seeds use 001-999 (000 is the owner's seed)")
    return f"{number:03d}_{hashlib.sha256(url.encode()).hexdigest()[:16]}"


def _check_numbers() -> None:
    numbers = [n for n, _, _ in CHOSEN]
    if len(set(numbers)) != len(numbers):
        raise SystemExit("CHOSEN: a number is used twice; numbers are never reused")


def _check_stable(out_dir: Path, new_id: str) -> None:
    """A number already taken by another article in out_dir means an id would change."""
    prefix = new_id.split("_", 1)[0]
    for existing in out_dir.glob(f"{prefix}_*.txt"):
        if existing.stem != new_id:
            raise SystemExit(f"{existing}: number {prefix} already names another document")


def main(corpus_dir: Path, out_dir: Path) -> None:
    _check_numbers()
    rows_by_file = {
        name: list(csv.DictReader((corpus_dir / name).open(encoding="utf-8")))
        for name in {f for _, f, _ in CHOSEN}
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    for number, file_name, title_prefix in CHOSEN:
        matches = [r for r in rows_by_file[file_name] if r["title"].startswith(title_prefix)]
        if len(matches) != 1:
            raise SystemExit(f"{file_name}: {len(matches)} articles titled {title_prefix!r}")
        row = matches[0]
        new_id = doc_id(number, row["url"])
        _check_stable(out_dir, new_id)
        (out_dir / f"{new_id}.txt").write_text(reformat(row["text"]), encoding="utf-8")
        meta = {"title": row["title"], "url": row["url"], "date": row["date"], "licence": LICENCE}
        (out_dir / f"{new_id}.meta.json").write_text(
            json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        print(f"| `{new_id}` | {row['date']} | [{row['title']}]({row['url']}) |")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2] if len(sys.argv) > 2 else "seeds"))
