"""`kb synth`: a synthetic knowledge base of any size, for benchmarks and scale tests.

It writes a complete project that `kb build` builds and `kb validate --strict`
accepts: site configuration copied from the current project, a category tree a
few levels deep, papers whose citations follow preferential attachment (so a
few papers become hubs), 1-30 claims per paper with Unicode and long quotes,
syntheses with correction histories, renamed records (aliases), withdrawn
papers (tombstones), removed claims (retraction events) and a `urls.lock`
that lists every URL the invented history published, old ones included.

Everything is invented, and the site name says so. The same arguments give
byte-identical files: one seeded random generator, drawn in a fixed order.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import shutil
import sys
import time
from bisect import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

from generator import urls
from generator.commands import EXIT_OK, EXIT_USAGE
from generator.commands.init import HOOKS, HOOKS_SHIM, use_hooks_shim
from generator.model.records import LEDGER_COLUMNS, VOCABULARIES
from generator.pipeline.listings import CITED_BY_SHOWN, cited_by_url, page_count, page_url
from generator.publish.permanence import INDEX_URLS, write_lock

SITE_PARTS = ("mkdocs.yml", "content", "overrides", "CONTRIBUTING.md")
MAX_CLAIMS_PER_PAPER = 30
SYNTH_SITE_URL = "https://kb-synth.invalid/"  # .invalid: reserved, never resolves (RFC 2606)
SYNTH_REPO_URL = "https://kb-synth.invalid/repository"
LEDGER_ROWS = 5_000  # rows per ledger file; real ledgers are split by topic and stay reviewable

# --- word pools: invented text with the Unicode real papers carry ----------------------------------

SUBJECTS = (
    "The router", "Top-k gating", "A shared expert", "The load-balancing loss", "Expert dropout",
    "Token-choice routing", "Expert-choice routing", "The auxiliary loss", "A capacity factor of 1.25",
    "The dense baseline", "Fine-grained expert segmentation", "The softmax gate (g_θ)", "Hash routing",
    "Switch-style top-1 routing", "The ﬁne-tuned router", "Expert merging", "Residual MoE", "Sparse upcycling",
)  # fmt: skip
VERBS = (
    "improves", "reduces", "stabilises", "degrades", "matches", "outperforms", "does not change", "halves",
    "doubles", "regularises", "sharpens", "flattens",
)  # fmt: skip
OBJECTS = (
    "perplexity on C4", "validation loss", "expert utilisation", "the token drop rate", "throughput per GPU",
    "the Δ between experts", "all-to-all traffic", "accuracy on ScienceQA", "routing entropy",
    "cross-lingual transfer (日本語 → English)", "naïve load imbalance", "memory footprint", "training stability",
    "the spectral norm ‖W‖₂", "calibration error", "latency at batch size 1",
)  # fmt: skip
QUALIFIERS = (
    "when scaled from 8 to 64 experts", "in the “hard” regime", "across five seeds",
    "for Ελληνικά and العربية corpora", "with ≤ 2 active experts per token", "without extra FLOPs",
    "on the held-out split", "— though not at the largest scale", "compared with a dense FFN",
    "after 10⁵ steps", "for the Zoë-7B configuration", "at every layer except the first",
)  # fmt: skip
TITLE_NAMES = (
    "Hydra", "Kestrel", "Mosaic", "Orrery", "Lumen", "Zéphyr", "Tessera", "Quill", "Aurora", "Möbius", "Fjord",
    "Cobalt", "Sirocco", "Nimbus", "Gödel", "Atlas",
)  # fmt: skip
TITLE_TOPICS = (
    "Sparse Routing", "Expert Parallelism", "Load Balancing", "Conditional Computation", "Mixture-of-Experts",
    "Token Dropping", "Gating Networks", "Expert Specialisation", "Capacity Planning", "MoE Inference",
)  # fmt: skip
TITLE_DOMAINS = (
    "Long-Context Language Models", "Machine Translation", "Vision Transformers", "Speech Recognition",
    "Multilingual Pre-training", "Code Generation", "Recommendation", "Edge Devices", "Scientific Text",
)  # fmt: skip
FIRST_NAMES = (
    "Ada", "José", "Zoë", "Søren", "Łukasz", "Anaïs", "Wei", "Yūki", "Nnamdi", "Priya", "Chloé", "Björn", "Ömer",
    "Dmitrij", "Mei", "Amélie", "Thành", "Oğuz", "Aarav", "Inês", "伟", "Seán",
)  # fmt: skip
LAST_NAMES = (
    "Núñez", "Ødegaard", "Müller", "Wang", "Tanaka", "Okafor", "Sharma", "Lefèvre", "Kowalski", "Nguyễn",
    "Yılmaz", "O'Brien", "García", "Smirnov", "Chen", "Dubois", "Björklund", "Haddad", "Kim", "Rossi", "王",
)  # fmt: skip
VENUES = ("arXiv", "NeurIPS", "ICLR", "ICML", "ACL", "EMNLP", "TMLR", "JMLR", "CVPR")
SLUG_WORDS = (
    "routing", "gating", "experts", "sparse", "dense", "capacity", "balance", "inference", "training", "scaling",
    "merging", "pruning", "quantization", "serving", "vision", "speech", "multilingual", "theory", "robustness",
    "specialization", "upcycling", "distillation", "memory", "latency", "hardware", "benchmarks",
)  # fmt: skip
OLD_ARCHIVES = ("cs.LG", "cs.CL", "stat.ML", "hep-th", "math")

CLAIM_STATUS = {"supported": 60, "partially-supported": 15, "unsupported": 5, "contradicted": 4, "unverified": 16}
AUDIT = {"pass": 55, "needs-review": 15, "pending": 25, "fail": 5}
ROLES = {"background": 50, "method-basis": 15, "comparison": 20, "extension": 7, "data-source": 5, "critique": 3}
POLARITIES = {"supporting": 30, "neutral": 60, "contrasting": 10}
FITS = {"in-scope": 85, "borderline": 12, "out-of-scope": 3}


class Picker:
    """Weighted choice from a fixed table with one random draw (`random.choices` re-sums weights per call)."""

    def __init__(self, rng: random.Random, weights: dict[str, int], vocabulary: str | None = None) -> None:
        if vocabulary is not None:
            unknown = set(weights) - set(VOCABULARIES[vocabulary].values)
            assert not unknown, f"{unknown} are not {vocabulary} values"
        self.rng = rng
        self.values = list(weights)
        self.cumulative = list(accumulate(weights.values()))

    def __call__(self) -> str:
        return self.values[bisect(self.cumulative, self.rng.random() * self.cumulative[-1])]


# --- the invented corpus --------------------------------------------------------------------------


@dataclass
class SynthClaim:
    claim_id: str
    paper_id: str
    version: str
    text: str
    status: str
    depth: str
    quote: str
    place: str
    fit: str
    audit: str
    category: str


@dataclass
class SynthPaper:
    id: str
    year: int
    categories: list[str]
    versions: list[str] = field(default_factory=lambda: ["v1"])
    cites: list[tuple[str, str | None, str | None, str]] = field(default_factory=list)
    cited_by: int = 0
    claims: list[SynthClaim] = field(default_factory=list)
    abstract: list[str] = field(default_factory=list)
    source_text: bool = False
    aliases: list[str] = field(default_factory=list)
    withdrawn_for: str = ""


@dataclass
class Corpus:
    categories: list[tuple[str, str, str, str | None]]  # slug, title, description, parent
    papers: list[SynthPaper]
    externals: list[str]
    syntheses: list[str] = field(default_factory=list)  # rendered YAML, one per synthesis
    synthesis_ids: list[str] = field(default_factory=list)
    synthesis_aliases: list[str] = field(default_factory=list)
    removed_claims: list[tuple[str, str]] = field(default_factory=list)  # (claim id, paper id)


class Writer:
    """Draws the corpus from one seeded generator, in a fixed order."""

    def __init__(self, papers: int, claims: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.paper_count = papers
        self.claim_count = claims
        self.claim_ids: set[str] = set()
        self.status = Picker(self.rng, CLAIM_STATUS, "claim_status")
        self.audit = Picker(self.rng, AUDIT, "audit_status")
        self.role = Picker(self.rng, ROLES, "role")
        self.polarity = Picker(self.rng, POLARITIES, "polarity")
        self.fit = Picker(self.rng, FITS, "taxonomy_fit")

    # text

    def sentence(self) -> str:
        r = self.rng
        number = f"{r.randint(1, 40)}.{r.randint(0, 9)}%"
        return f"{r.choice(SUBJECTS)} {r.choice(VERBS)} {r.choice(OBJECTS)} by {number} {r.choice(QUALIFIERS)}."

    def title(self, index: int) -> str:
        r = self.rng
        return f"{r.choice(TITLE_NAMES)}-{index}: {r.choice(TITLE_TOPICS)} for {r.choice(TITLE_DOMAINS)}"

    def authors(self) -> list[str]:
        r = self.rng
        return [f"{r.choice(FIRST_NAMES)} {r.choice(LAST_NAMES)}" for _ in range(r.randint(1, 12))]

    def claim_id(self) -> str:
        while True:
            cid = f"c-{self.rng.getrandbits(32):08x}"
            if cid not in self.claim_ids:
                self.claim_ids.add(cid)
                return cid

    # structure

    def categories(self) -> list[tuple[str, str, str, str | None]]:
        """A tree four levels deep at most; about 2.5 x sqrt(papers) categories."""
        r = self.rng
        total = max(6, min(400, round(2.5 * self.paper_count**0.5)))
        roots = min(5, max(2, total // 10))
        made: list[tuple[str, str, str, str | None]] = []
        depth: dict[str, int] = {}
        for index in range(total):
            slug = f"{r.choice(SLUG_WORDS)}-{r.choice(SLUG_WORDS)}-{index}"
            parent = None if index < roots else r.choice([c[0] for c in made if depth[c[0]] < 3])
            depth[slug] = 0 if parent is None else depth[parent] + 1
            words = slug.rsplit("-", 1)[0].replace("-", " ")
            title = f"{words.capitalize()} — level {depth[slug] + 1}"
            made.append((slug, title, self.sentence(), parent))
        return made

    def paper_ids(self) -> list[tuple[str, int]]:
        """Distinct arXiv ids, oldest first: new-style ids from 2015 on, and a few old-style ones."""
        r = self.rng
        old = max(1, self.paper_count // 500)
        ids = [  # archive/YYMMNNN, from 2001-2006
            (f"{OLD_ARCHIVES[i % len(OLD_ARCHIVES)]}/{1 + i % 6:02d}{1 + i % 12:02d}{100 + i:03d}", 2001 + i % 6)
            for i in range(old)
        ]
        months = [(year, month) for year in range(2015, 2027) for month in range(1, 13)][:-2]
        weights = list(accumulate(1.0 + i / 20 for i in range(len(months))))  # more papers every year
        per_month: dict[tuple[int, int], int] = {}
        for _ in range(self.paper_count - old):
            when = months[bisect(weights, r.random() * weights[-1])]
            per_month[when] = per_month.get(when, 0) + 1
        for year, month in months:
            count = per_month.get((year, month), 0)
            for number in sorted(r.sample(range(1, 30_000), count)):
                ids.append((f"{year % 100:02d}{month:02d}.{number:05d}", year))
        return ids

    def claims_per_paper(self) -> list[int]:
        """1-30 claims a paper, heavy-tailed, summing to exactly the requested total."""
        r = self.rng
        n, total = self.paper_count, self.claim_count
        mean = total / n
        counts = [min(MAX_CLAIMS_PER_PAPER, max(1, round(mean * r.paretovariate(2.0) / 2))) for _ in range(n)]
        order = list(range(n))
        while (gap := total - sum(counts)) != 0:
            r.shuffle(order)
            step = 1 if gap > 0 else -1
            for i in order:
                if gap == 0:
                    break
                if 1 <= counts[i] + step <= MAX_CLAIMS_PER_PAPER:
                    counts[i] += step
                    gap -= step
        return counts

    def corpus(self) -> Corpus:
        r = self.rng
        categories = self.categories()
        slugs = [c[0] for c in categories]
        popularity = list(accumulate(1 / (rank + 1) ** 0.8 for rank in range(len(slugs))))
        ranked = r.sample(slugs, len(slugs))
        externals = [f"ext:{r.choice(SLUG_WORDS)}-report-{i}" for i in range(max(2, self.paper_count // 200))]
        papers: list[SynthPaper] = []
        pool: list[int] = []  # a paper appears once, plus once per citation it received: preferential attachment
        out_degree = (0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 6, 8, 12, 20)
        for index, (pid, year) in enumerate(self.paper_ids()):
            chosen = {ranked[bisect(popularity, r.random() * popularity[-1])] for _ in range(r.randint(1, 3))}
            paper = SynthPaper(pid, year, sorted(chosen, key=slugs.index))
            if r.random() < 0.3:
                paper.versions.append("v2")
            targets: list[int] = []
            for _ in range(min(len(papers), r.choice(out_degree))):
                target = pool[r.randrange(len(pool))]
                if target not in targets:
                    targets.append(target)
            for target in targets:
                role = self.role() if r.random() < 0.9 else None
                polarity = self.polarity() if r.random() < 0.85 else None
                context = f"As {papers[target].id} reports, {self.sentence().lower()}" if r.random() < 0.2 else ""
                paper.cites.append((papers[target].id, role, polarity, context))
                papers[target].cited_by += 1
                pool.append(target)
            if r.random() < 0.1:
                paper.cites.append((r.choice(externals), self.role(), None, ""))
            paper.abstract = [self.sentence() for _ in range(r.randint(4, 8))]
            paper.source_text = r.random() < 0.15
            papers.append(paper)
            pool.append(index)
        for paper, count in zip(papers, self.claims_per_paper(), strict=True):
            paper.claims = [self.claim(paper, k) for k in range(count)]
        corpus = Corpus(categories, papers, externals)
        self.renames_and_withdrawals(corpus)
        self.syntheses(corpus)
        return corpus

    def claim(self, paper: SynthPaper, position: int) -> SynthClaim:
        r = self.rng
        roll = r.random()
        if roll < 0.35:
            depth, start = "abstract", r.randrange(len(paper.abstract))
            quote = paper.abstract[start]
            if start + 2 < len(paper.abstract) and r.random() < 0.3:  # an ellipsis stands for omitted text
                quote = f"{quote} … {paper.abstract[start + 2]}"
        elif roll < 0.93:
            depth = "full-text"
            quote = " ".join(self.sentence() for _ in range(r.randint(12, 30) if r.random() < 0.1 else r.randint(1, 3)))
        else:
            depth, quote = ("metadata", "") if roll < 0.97 else ("secondary", self.sentence())
        fit = self.fit()
        audit = self.audit()
        return SynthClaim(
            claim_id=self.claim_id(),
            paper_id=paper.id,
            version=r.choice(paper.versions),
            text=self.sentence(),
            status=self.status(),
            depth=depth,
            quote=quote,
            place=f"p{position + 1}" if r.random() < 0.7 else f"§{r.randint(1, 7)}.{r.randint(1, 4)}",
            fit=f"{fit}: {r.choice(['taxonomy category match', 'routing-specific result', 'general ML result'])}",
            audit=f"{audit}; {'full-text verified' if depth == 'full-text' else depth + ' read'}; report=audit.md",
            category=r.choice(paper.categories) if r.random() < 0.2 else "",
        )

    def renames_and_withdrawals(self, corpus: Corpus) -> None:
        """Some papers were renamed (their old id is an alias) and some withdrawn (a tombstone)."""
        r = self.rng
        papers = corpus.papers
        live = {p.id for p in papers}
        new_style = [p for p in papers if "/" not in p.id]
        for paper in r.sample(new_style, max(1, len(papers) // 200)):
            while True:
                old = f"{paper.id[:5]}{r.randrange(30_000, 99_999):05d}"
                if old not in live:
                    break
            live.add(old)
            paper.aliases.append(old)
        for paper in r.sample(new_style, max(1, len(papers) // 300)):
            paper.withdrawn_for = r.choice([p for p in new_style[:50] if p is not paper]).id

    def syntheses(self, corpus: Corpus) -> None:
        """About one synthesis per 50 papers; a quarter corrected, a few superseded or renamed."""
        r = self.rng
        papers = corpus.papers
        count = max(3, len(papers) // 50)
        codes: list[str] = []
        while len(codes) < count + count // 20 + 1:
            code = f"{r.getrandbits(32):08X}"
            if code not in codes:
                codes.append(code)
        retractions = max(1, self.claim_count // 2000)
        for index in range(count):
            sid = f"SRCH:{codes[index]}"
            chosen = r.sample(papers, min(len(papers), r.randint(3, 25)))
            events: list[str] = []
            roll = r.random()
            status = "CURRENT" if roll < 0.7 else "CORRECTED" if roll < 0.95 else "SUPERSEDED"
            if index < retractions:
                status = "CORRECTED"
                victim = chosen[0]
                removed = self.claim_id()
                corpus.removed_claims.append((removed, victim.id))
                events.append(self.event(len(events), "retraction", "The claim misread the source table.", removed))
            if status != "CURRENT":
                for _ in range(r.randint(1, 3)):
                    kind = r.choice(["erratum", "clarification", "claim-status-change"])
                    with_claims = [p for p in chosen if p.claims]
                    claim_id = r.choice(r.choice(with_claims).claims).claim_id if with_claims else ""
                    events.append(self.event(len(events), kind, self.sentence(), claim_id))
            if status == "SUPERSEDED":
                events.append(
                    self.event(len(events), "supersession", f"Replaced by SRCH:{codes[(index + 1) % count]}.", "")
                )
            alias = f"SRCH:{codes[count + index]}" if index < count // 20 else ""
            corpus.synthesis_ids.append(sid)
            if alias:
                corpus.synthesis_aliases.append(alias)
            corpus.syntheses.append(self.synthesis_yaml(sid, chosen, corpus, status, events, alias))

    def event(self, index: int, kind: str, description: str, claim_id: str) -> str:
        day = f"2026-{self.rng.randint(1, 10):02d}-{self.rng.randint(1, 28):02d}"
        text = f"    - id: {q(f'e{index + 1}')}\n      date: {q(day)}\n      type: {kind}\n"
        text += f"      description: {q(description)}\n"
        return text + (f"      claim_id: {q(claim_id)}\n" if claim_id else "")

    def synthesis_yaml(
        self, sid: str, chosen: list[SynthPaper], corpus: Corpus, status: str, events: list[str], alias: str
    ) -> str:
        r = self.rng
        level = r.choice(list(VOCABULARIES["paper_level"].values))
        ratings = list(VOCABULARIES["rating"].values)
        categories = sorted({c for p in chosen[:3] for c in p.categories})
        grounded = sum(len(p.claims) for p in chosen)
        lines = [
            f"id: {q(sid)}",
            f"title: {q('Does ' + self.sentence()[:-1].lower() + '?')}",
            f"abstract: {q(' '.join(self.sentence() for _ in range(r.randint(3, 6))))}",
            f"research_question: {q('Does ' + self.sentence()[:-1].lower() + '?')}",
            f"taxonomy: {lst(categories)}",
            f"papers: {lst([p.id for p in chosen])}",
            "verification_level:",
            f"  paper_level: {level}",
            f"  label: {q(f'Verification level {level}')}",
            f"  source_grounded_claims: {grounded}",
            "  claim_record_source: parsed source sections",
            "quality_tier:",
            f"  tier: {q(r.choice(list(VOCABULARIES['tier'].values)))}",
            f"  basis: {q(self.sentence())}",
            "quality_dimensions:",
            *(
                f"  {d}: {r.choice(ratings)}"
                for d in ("evidence_strength", "citation_grounding", "uncertainty_disclosure", "reproducibility_status")
            ),
            "correction_record:",
            f"  status: {status}",
            f"  correction_count: {len(events)}",
            "  corrections:" + ("" if events else " []"),
        ]
        body = "\n".join(lines) + "\n" + "".join(events)
        body += (
            "provenance:\n  publisher: Synthetic Lab\n  public_provenance:\n    level: L3\n"
            "    label: Claim aggregate record\n  report_artifact: Available\n  external_record: Not registered\n"
            f"  claim_lineage: {q(f'{grounded} aggregate source-grounded claims')}\n"
            "  review_method: Automated multi-reviewer assessment\n  provenance_contract: source-provenance-v1\n"
            "  note: Synthetic record written by kb synth. Not research.\n"
        )
        if alias:
            body += f"aliases: {lst([alias])}\n"
        return body + f"added: {q(f'2026-{r.randint(1, 11):02d}-{r.randint(1, 28):02d}')}\n"


# --- writing files --------------------------------------------------------------------------------


def q(text: str) -> str:
    """A YAML double-quoted scalar: JSON string syntax is valid YAML and never read as another type."""
    return json.dumps(text, ensure_ascii=False)


def lst(values: list[str]) -> str:
    return "[" + ", ".join(q(v) for v in values) + "]"


def paper_yaml(paper: SynthPaper, writer: Writer, index: int) -> str:
    r = writer.rng
    title = writer.title(index)
    lines = [
        "# Synthetic record written by `kb synth`; every fact in it is invented.",
        f"id: {q(paper.id)}",
        f"versions: {lst(paper.versions)}",
        f"title: {q(title)}",
        f"authors: {lst(writer.authors())}",
    ]
    if r.random() < 0.1:
        lines.append("authors_complete: false")
    lines += [
        f"year: {paper.year}",
        f"venue: {q(r.choice(VENUES) + ' ' + str(paper.year))}",
        f"summary: {q(paper.abstract[0])}",
        f"abstract: {q(' '.join(paper.abstract))}",
        f"taxonomy: {lst(paper.categories)}",
    ]
    if paper.cites:
        lines.append("cites:")
        for target, role, polarity, context in paper.cites:
            lines.append(f"  - target: {q(target)}")
            if role:
                lines.append(f"    role: {role}")
            if polarity:
                lines.append(f"    polarity: {polarity}")
            if context:
                lines.append(f"    context: {q(context)}")
    if "/" not in paper.id:
        lines += ["links:", f"  doi: {q('10.48550/arXiv.' + paper.id)}"]
        if r.random() < 0.3:
            repository = "https://github.com/example-lab/" + paper.id.replace(".", "-")
            lines.append(f"  code: {q(repository)}")
    if paper.aliases:
        lines.append(f"aliases: {lst(paper.aliases)}")
    if paper.cited_by >= 50:
        lines.append("canonical: true")
    if paper.withdrawn_for:
        lines += [
            "status: withdrawn",
            "tombstone:",
            f"  reason: {q('The authors withdrew the paper: ' + writer.sentence())}",
            f"  date: {q(f'2026-{r.randint(1, 10):02d}-{r.randint(1, 28):02d}')}",
            f"  see_instead: {q(paper.withdrawn_for)}",
        ]
    lines.append(f"added: {q(f'{2025 + index % 2}-{(index % 11) + 1:02d}-{(index % 28) + 1:02d}')}")
    return "\n".join(lines) + "\n"


def copy_parts(source: Path, target: Path, parts: Iterable[str]) -> None:
    """Copy each named file or folder of `source` that exists into `target`."""
    target.mkdir(parents=True, exist_ok=True)
    for part in parts:
        path = source / part
        if path.is_dir():
            shutil.copytree(path, target / part)
        elif path.exists():
            shutil.copy2(path, target / part)


def copy_site_config(source: Path, target: Path) -> None:
    """What a build needs besides the data: mkdocs.yml, content/, overrides/, CONTRIBUTING.md and the hooks
    (a shim importing the installed `generator.mkdocs_hooks`, so the copy never goes stale)."""
    copy_parts(source, target, SITE_PARTS)
    config = target / "mkdocs.yml"
    config.write_text(use_hooks_shim(config.read_text(encoding="utf-8")), encoding="utf-8")
    (target / HOOKS_SHIM).parent.mkdir(exist_ok=True)
    (target / HOOKS_SHIM).write_text(HOOKS, encoding="utf-8")  # the shim `kb init` writes


def write_project(corpus: Corpus, writer: Writer, source: Path, out: Path, seed: int) -> set[str]:
    """Write every file; return the URLs the invented history has published."""
    copy_site_config(source, out)
    config = out / "mkdocs.yml"
    if config.exists():  # a name that says it is invented, and addresses that can never resolve
        text = config.read_text(encoding="utf-8")
        for key, value in (
            ("site_name", f"Synthetic evidence ledger ({len(corpus.papers):,} papers, seed {seed})"),
            ("site_url", SYNTH_SITE_URL),
            ("repo_url", SYNTH_REPO_URL),
        ):
            text = re.sub(rf"(?m)^{key}:.*$", f"{key}: {value}", text, count=1)
        config.write_text(text, encoding="utf-8")
    records = out / "records"
    for folder in ("papers", "syntheses", "external", "sources"):
        (records / folder).mkdir(parents=True, exist_ok=True)
    taxonomy = ["# Synthetic category tree written by `kb synth`.", "categories:"]
    for slug, title, description, parent in corpus.categories:
        taxonomy += [f"  - slug: {slug}", f"    title: {q(title)}", f"    description: {q(description)}"]
        if parent:
            taxonomy.append(f"    parent: {parent}")
    (records / "taxonomy.yaml").write_text("\n".join(taxonomy) + "\n", encoding="utf-8")
    published = set(INDEX_URLS) | listing_urls(corpus)
    for index, paper in enumerate(corpus.papers):
        path = records / urls.record_filename(paper.id)
        path.write_text(paper_yaml(paper, writer, index), encoding="utf-8")
        page = urls.paper_url(paper.id)
        published.add(page)
        for claim in paper.claims:
            published |= {f"{page}#{claim.claim_id}", urls.claim_url(claim.claim_id)}
            published |= {f"{urls.paper_url(old)}#{claim.claim_id}" for old in paper.aliases}
        published |= {urls.paper_url(old) for old in paper.aliases}
        if paper.source_text:
            quotes = [c.quote for c in paper.claims if c.quote and c.depth != "abstract"]
            text = "\n\n".join([*paper.abstract, *quotes, writer.sentence()])
            (records / "sources" / f"{paper.id.replace('/', '_')}.txt").write_text(text + "\n", encoding="utf-8")
    for external in corpus.externals:
        slug = external.removeprefix("ext:")
        (records / "external" / f"ext-{slug}.yaml").write_text(
            f"id: {q(external)}\ntitle: {q(slug.replace('-', ' ').capitalize())}\nyear: 2020\n", encoding="utf-8"
        )
        published.add(urls.external_url(external))
    for sid, text in zip(corpus.synthesis_ids, corpus.syntheses, strict=True):
        (records / urls.record_filename(sid)).write_text(text, encoding="utf-8")
        published.add(urls.synthesis_url(sid))
    published |= {urls.synthesis_url(alias) for alias in corpus.synthesis_aliases}
    for claim_id, paper_id in corpus.removed_claims:
        published |= {urls.claim_url(claim_id), f"{urls.paper_url(paper_id)}#{claim_id}"}
    withdrawn = [p for p in corpus.papers if p.withdrawn_for][:2]
    retractions = "".join(
        f"  - id: {q(p.id)}\n    kind: withdrawn\n    source: Synthetic listing\n    date: {q('2026-03-01')}\n"
        for p in withdrawn
    )
    (records / "retractions.yaml").write_text(
        f"retractions:{chr(10) + retractions if retractions else ' []' + chr(10)}", encoding="utf-8"
    )
    write_ledgers(corpus, out / "ledgers")
    write_lock(out, published)
    return published


def listing_urls(corpus: Corpus) -> set[str]:
    """Category pages, the explorer's static listing, the papers index and the cited-by listings of
    much-cited papers, with their page-2-and-beyond URLs (a category lists the papers of its whole subtree)."""
    parent = {slug: up for slug, _, _, up in corpus.categories}
    in_subtree = dict.fromkeys(parent, 0)
    for paper in corpus.papers:
        reached: set[str] = set()
        for slug in paper.categories:
            while slug and slug not in reached:
                reached.add(slug)
                slug = parent[slug]  # type: ignore[assignment]
        for slug in reached:
            in_subtree[slug] += 1
    claims = sum(len(p.claims) for p in corpus.papers)
    pages = [("claims/", claims), ("papers/", len(corpus.papers))]
    pages += [(urls.category_url(slug), count) for slug, count in in_subtree.items()]
    pages += [(cited_by_url(p.id), p.cited_by) for p in corpus.papers if p.cited_by > CITED_BY_SHOWN]
    return {page_url(first, n) for first, total in pages for n in range(1, page_count(total) + 1)}


def write_ledgers(corpus: Corpus, folder: Path) -> None:
    """One ledger per root category (by each paper's first category), split every LEDGER_ROWS rows."""
    folder.mkdir(parents=True, exist_ok=True)
    parent = {slug: up for slug, _, _, up in corpus.categories}

    def root(slug: str) -> str:
        while parent[slug]:
            slug = parent[slug]  # type: ignore[assignment]
        return slug

    rows: dict[str, list[list[str]]] = {}
    for paper in corpus.papers:
        for c in paper.claims:
            evidence = "has evidence row" if c.quote else "missing evidence row"
            rows.setdefault(root(paper.categories[0]), []).append(
                [f"{c.paper_id}{c.version}", c.text, c.status, evidence, c.depth, c.quote, c.place, c.fit, c.audit,
                 c.claim_id, c.category]
            )  # fmt: skip
    header = [*LEDGER_COLUMNS, "claim_id", "category"]
    for slug, ledger_rows in rows.items():
        for part, start in enumerate(range(0, len(ledger_rows), LEDGER_ROWS)):
            with (folder / f"{slug}-{part + 1:02d}.csv").open("w", encoding="utf-8", newline="") as handle:
                out = csv.writer(handle, lineterminator="\n")
                out.writerow(header)
                out.writerows(ledger_rows[start : start + LEDGER_ROWS])


def synthesize(source: Path, out: Path, papers: int, claims: int, seed: int) -> Corpus:
    writer = Writer(papers, claims, seed)
    corpus = writer.corpus()
    write_project(corpus, writer, source, out, seed)
    return corpus


def usage_problem(source: Path, out: Path, papers: int, claims: int) -> str:
    """Why these arguments cannot make a corpus ("" when they can)."""
    if papers < 1:
        return "--papers must be at least 1"
    if not papers <= claims <= papers * MAX_CLAIMS_PER_PAPER:
        return f"--claims must be between --papers and 30 x --papers ({papers:,} to {papers * MAX_CLAIMS_PER_PAPER:,})"
    if not (source / "mkdocs.yml").is_file():
        return f"{source} has no mkdocs.yml to copy the site configuration from; run kb synth from a knowledge base (--root)"
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        return f"{out} exists and is not an empty folder; choose a new folder"
    return ""


def cmd_synth(args: argparse.Namespace) -> int:
    source, out = Path(args.root).resolve(), Path(args.out)
    claims = args.claims if args.claims is not None else 10 * args.papers
    problem = usage_problem(source, out, args.papers, claims)
    if problem:
        print(f"kb synth: {problem}", file=sys.stderr)
        return EXIT_USAGE
    started = time.perf_counter()
    corpus = synthesize(source, out, args.papers, claims, args.seed)
    print(
        f"kb: wrote a synthetic knowledge base to {out}: {len(corpus.papers):,} papers, "
        f"{sum(len(p.claims) for p in corpus.papers):,} claims, {len(corpus.syntheses):,} syntheses, "
        f"{len(corpus.categories):,} categories in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return EXIT_OK
