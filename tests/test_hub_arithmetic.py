"""Role and polarity shares, denominators, co-citation and click-through on a corpus with known edges."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from generator.pipeline.build import build_site
from tests.conftest import REPO

HUB, X, Y = "9912.00001", "9912.00002", "9912.00003"
CITING = {
    "9912.00011": [(HUB, "background", "supporting"), (X, "comparison", None)],
    "9912.00012": [(HUB, "background", "neutral"), (X, None, None)],
    "9912.00013": [(HUB, "method-basis", None), (Y, "extension", "supporting")],
    "9912.00014": [(HUB, None, "contrasting")],
}


def write_fixture(root: Path) -> Path:
    papers = root / "records" / "papers"
    papers.mkdir(parents=True)
    shutil.copy2(REPO / "mkdocs.yml", root / "mkdocs.yml")
    (root / "records" / "taxonomy.yaml").write_text(
        "categories:\n  - slug: fixture\n    title: Fixture\n", encoding="utf-8"
    )
    for pid in (HUB, X, Y):
        (papers / f"{pid}.yaml").write_text(f'id: "{pid}"\ntitle: "Work {pid}"\n', encoding="utf-8")
    for pid, edges in CITING.items():
        lines = [f'id: "{pid}"', f'title: "Citing {pid}"', "cites:"]
        for target, role, polarity in edges:
            lines.append(f'  - target: "{target}"')
            if role:
                lines.append(f"    role: {role}")
            if polarity:
                lines.append(f"    polarity: {polarity}")
        (papers / f"{pid}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def test_shares_keep_unclassified_in_the_denominator(tmp_path: Path) -> None:
    site, _ = build_site(write_fixture(tmp_path))
    assert not site.problems.errors, site.problems.report()
    roles = {s.label: (s.count, s.total, s.citing) for s in site.role_summary(HUB)}
    assert roles == {
        "background": (2, 4, ("9912.00011", "9912.00012")),
        "method-basis": (1, 4, ("9912.00013",)),
        "unclassified": (1, 4, ("9912.00014",)),
    }
    polarities = {s.label: (s.count, s.total) for s in site.polarity_summary(HUB)}
    assert polarities == {"supporting": (1, 4), "neutral": (1, 4), "contrasting": (1, 4), "unclassified": (1, 4)}


def test_co_citation_and_hub_threshold(tmp_path: Path) -> None:
    site, _ = build_site(write_fixture(tmp_path))
    assert [(c.target, c.count) for c in site.co_cited(HUB)] == [(X, 2), (Y, 1)]
    assert site.hubs == {HUB}  # X has 2 citing papers, under the threshold of 3


def test_hub_page_shows_counts_with_denominators_and_links(tmp_path: Path) -> None:
    _, output = build_site(write_fixture(tmp_path))
    [page] = [p for p in output.pages if p.url == f"papers/{HUB}/"]
    text = re.sub(r"<[^>]+>", "", page.html)
    assert "2 of 4 citing papers: background" in " ".join(text.split())
    assert "1 of 4 citing papers: unclassified" in " ".join(text.split())
    role_block = page.html.split('id="citation-roles"')[1].split('id="citation-polarity"')[0]
    background = role_block.split("background")[1].split("</details>")[0]
    assert 'href="../9912.00011/"' in background and 'href="../9912.00012/"' in background
    assert "cited together 2 times" in page.html
