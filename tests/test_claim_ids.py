"""`kb ids`: new rows get ids; existing ids never change; retired ids are never handed out again."""

from __future__ import annotations

import csv
from pathlib import Path

from generator.cli import main
from generator.model.claim_ids import new_claim_id, provisional_claim_id


def read_ids(ledger: Path) -> list[str]:
    with ledger.open(encoding="utf-8", newline="") as handle:
        return [row["claim_id"] for row in csv.DictReader(handle)]


def test_fills_only_missing_ids(project: Path) -> None:
    ledger = project / "ledgers" / "moe-ffn.csv"
    before = read_ids(ledger)
    with ledger.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    inserted = [*rows[1][:-1], ""]
    inserted[1] = inserted[1].replace("TopK setting.", "TopK setting, restated.")
    rows.insert(2, inserted)
    with ledger.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)

    assert main(["--root", str(project), "ids", "--check"]) == 1
    assert main(["--root", str(project), "ids"]) == 0
    after = read_ids(ledger)
    assert after[0] == before[0] and after[2:] == before[1:]
    assert after[1].startswith("c-") and after[1] not in before
    assert main(["--root", str(project), "ids", "--check"]) == 0
    assert main(["--root", str(project), "validate", "--strict"]) == 1  # the new claim's URLs are not locked yet
    assert main(["--root", str(project), "check-urls", "--update"]) == 0
    assert main(["--root", str(project), "validate", "--strict"]) == 0


def test_retired_ids_are_not_reused() -> None:
    first = provisional_claim_id("2503.23007v1", "A claim.")
    assert new_claim_id("2503.23007v2", "A claim.", taken={first}) == provisional_claim_id("2503.23007", "A claim.", 10)
