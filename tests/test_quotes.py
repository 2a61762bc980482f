"""Quote checks. Source texts here are fixtures written by the tests, never real cached sources."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.pipeline.build import collect, generate
from generator.pipeline.render import Renderer
from generator.publish import claim_pages
from generator.publish.quotes import QuoteCheck, SourceText, match, normalise, quote_summary
from tests.conftest import corpus_counts
from tests.test_permanence import edit, kb

REPO = Path(__file__).resolve().parents[1]

# A fixture shaped like PDF text extraction: wrapped lines, a line-break hyphen, an ﬀ ligature.
FIXTURE_S2MOE = (
    "Table 2 shows the results. S2MoE consistently outperforms both baselines, regardless of backbone\n"
    "size  or the number of ex-\nperts activated, demonstrating its potential to scale up e\ufb00ectively in large\n"
    "language models.\n\n4.3 Fine-tuning Result\nPre-training weights. We start from ...\n"
)
# A fixture that does not contain the ledger's quote (one figure differs).
FIXTURE_SYMPHONY = (
    "The improvements hold for both high-performing tasks such as QNLI (94.93 vs. 94.62) and SST2 (96.22 vs. 95.64),\n"
    "as well as more challenging ones such as WNLI (66.20 vs. 62.97)."
)
ABSTRACT_MOMENTUM = (
    "WE OBSERVE THAT across all 15 corruption types, except for motion blur, Robust MomentumV\u2011MoE\n"
    "outperforms the baseline V-MoE, with as high as a 6.5% increase in top-1 accuracy and 8 mCE decrease on fog corruption."
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("number of ex- perts activated", "number of experts activated"),
        ("number of ex-\nperts activated", "number of experts activated"),
        ("number of ex\u00ad\nperts activated", "number of experts activated"),
        ("\ufb01ne-tuning and e\ufb00ective", "fine-tuning and effective"),
        ("\u201cquoted\u201d and \u2018single\u2019", "\"quoted\" and 'single'"),
        ("a  \n\t b\u00a0c", "a b c"),
        ("1\u20132 \u2014 3\u22124", "1-2 - 3-4"),
        ("Zero\u200bwidth CASE", "zerowidth case"),
    ],
)
def test_normalisation(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_matching_rules() -> None:
    source = SourceText.of("fixture", FIXTURE_S2MOE)
    assert match("regardless of backbone size or the number of ex- perts activated", source) == "exact"
    assert match("regardless of backbone size or the number of experts activated", source) == "exact"
    assert match("scale up effectively in large language models", source) == "exact"
    assert match("S2MoE consistently outperforms ... scale up effectively", source) == "exact"
    assert match("S2MoE consistently outperforms […] scale up effectively", source) == "exact"
    assert match("scale up effectively … S2MoE consistently outperforms", source) is None, "parts must be in order"
    assert match("number of ex-perts", source) == "loose"
    assert match("S2MoE consistently underperforms both baselines", source) is None


@pytest.fixture
def with_sources(project: Path) -> Path:
    sources = project / "records" / "sources"
    sources.mkdir()
    (sources / "2503.23007v1.txt").write_text(FIXTURE_S2MOE, encoding="utf-8")
    (sources / "2510.16411.txt").write_text(FIXTURE_SYMPHONY, encoding="utf-8")
    ledger = project / "ledgers" / "moe-ffn.csv"
    edit(ledger, "pass; full-text verified; report=audit_report.md,c-cbe9caa8", "pass; abstract read,c-cbe9caa8")
    edit(ledger, 'supported,has evidence row,full-text,"We observe', 'supported,has evidence row,abstract,"We observe')
    edit(
        project / "records" / "papers" / "2410.14574.yaml",
        "cites: []\n",
        f"cites: []\nabstract: {json.dumps(ABSTRACT_MOMENTUM)}\n",
    )
    return project


def test_quotes_checked_against_sources_and_abstracts(with_sources: Path, tmp_path: Path) -> None:
    site = collect(with_sources)
    states = {cid: check.state for cid, check in site.quote_checks.items()}
    assert states == {
        "c-d9d1c8ac": "verified",  # records/sources/2503.23007v1.txt (versioned name)
        "c-055df3cf": "not-found",  # records/sources/2510.16411.txt (bare name)
        "c-cbe9caa8": "verified",  # source_depth abstract: the record's abstract
        "c-59f803ec": "no-source",
        "c-243df8ed": "no-source",
    }
    assert "records/sources/2503.23007v1.txt" in site.quote_checks["c-d9d1c8ac"].detail
    assert "abstract in records/papers/2410.14574.yaml" in site.quote_checks["c-cbe9caa8"].detail
    assert quote_summary(site) == "kb: quotes: 2 verified, 1 not found, 2 with no source text"

    [warning] = [p for p in site.problems if p.code == "quote-not-found"]
    assert warning.severity == "warning" and warning.field == "source_quote"
    assert str(warning.location) == "ledgers/moe-ffn.csv:3"
    assert "`c-055df3cf`" in warning.message and "records/sources/2510.16411.txt" in warning.message
    assert "characters match, then it differs at “1.97).”" in warning.message

    assert kb(with_sources, "validate").returncode == 0
    strict = kb(with_sources, "validate", "--strict")
    assert strict.returncode == 1 and "[quote-not-found]" in strict.stderr

    pages = generate(site).pages
    html = next(p.html for p in pages if p.url == "papers/2503.23007/")
    assert '<span class="kb-quote-check kb-quote-check--verified">quote verified</span>' in html  # the label
    claim = claim_pages.claim_page(
        Renderer(site), next(c for c in site.claims_by_paper["2503.23007"] if c.claim_id == "c-d9d1c8ac")
    )
    assert (  # and on the claim's own page, how it was checked
        '<span class="kb-quote-check kb-quote-check--verified" title="Found in records/sources/2503.23007v1.txt'
        in claim.html
    )


def test_seed_corpus_reports_no_source_text_honestly() -> None:
    site = collect(REPO)
    assert {check.state for check in site.quote_checks.values()} == {"no-source"}
    claims = corpus_counts().claims
    assert len(site.quote_checks) == claims
    assert quote_summary(site) == f"kb: quotes: 0 verified, 0 not found, {claims} with no source text"
    check = site.quote_checks["c-d9d1c8ac"]
    assert isinstance(check, QuoteCheck) and "records/sources/2503.23007.txt" in check.detail
    html = next(p.html for p in generate(site).pages if p.url == "papers/2503.23007/")
    assert "kb-quote-check--no-source" in html and ">no source text</span>" in html


def test_empty_quote_is_not_called_verified(project: Path) -> None:
    ledger = project / "ledgers" / "moe-ffn.csv"
    edit(ledger, '"The improvements hold for both high-performing tasks such as QNLI (94.93 vs. 94.62) and SST2 '
         '(96.22 vs. 95.64), as well as more challenging ones such as WNLI (66.20 vs. 61.97).",p4', ",p4")  # fmt: skip
    site = collect(project)
    assert site.quote_checks["c-055df3cf"].state == "no-quote"
    assert quote_summary(site).endswith(", 1 without a quote")
