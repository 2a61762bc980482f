"""Build benchmark: synthetic corpora of growing size, timed stage by stage.

Prints one Markdown table row per corpus size: seconds for validate+link
(`collect`), render (`generate`), the full `kb build` (MkDocs Material
included), peak resident memory of that build, and the size of site/.

    python benchmarks/bench_build.py            # 100, 1000 and 5000 papers
    python benchmarks/bench_build.py 200 2000   # chosen sizes

The corpus is synthetic (random-looking but deterministic), never real data.
"""

from __future__ import annotations

import csv
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLAIMS_PER_PAPER = 3
CATEGORIES = ["ffn-moe", "moe-routing", "sparse-moe-layers", "moe-training-dynamics", "expert-specialization"]
WORDS = [
    "sparse",
    "expert",
    "routing",
    "token",
    "gate",
    "capacity",
    "balance",
    "layer",
    "scale",
    "model",
    "dense",
    "compute",
    "load",
]


def write_corpus(root: Path, papers: int) -> None:
    rng = random.Random(papers)
    for part in ("content", "overrides", "mkdocs.yml", "CONTRIBUTING.md"):
        source = REPO / part
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, root / part)
    (root / "generator").mkdir()
    shutil.copy2(REPO / "generator" / "mkdocs_hooks.py", root / "generator" / "mkdocs_hooks.py")
    records = root / "records" / "papers"
    records.mkdir(parents=True)
    shutil.copy2(REPO / "records" / "taxonomy.yaml", root / "records" / "taxonomy.yaml")
    ids = [f"{2400 + i // 90000:04d}.{10000 + i % 90000:05d}" for i in range(papers)]
    for index, pid in enumerate(ids):
        cited = rng.sample(ids[:index], k=min(index, 4))
        cites = "".join(
            f'  - target: "{t}"\n    role: {rng.choice(["background", "method-basis", "comparison"])}\n'
            f"    polarity: {rng.choice(['supporting', 'neutral', 'contrasting'])}\n"
            for t in cited
        )
        title = " ".join(rng.choice(WORDS) for _ in range(8)).capitalize()
        (records / f"{pid}.yaml").write_text(
            f'id: "{pid}"\ntitle: "{title}"\nauthors: ["A. Author", "B. Author"]\nyear: 2024\n'
            f'summary: "{title}."\ntaxonomy: [{rng.choice(CATEGORIES)}]\nadded: "2026-01-01"\n'
            + (f"cites:\n{cites}" if cites else ""),
            encoding="utf-8",
        )
    ledgers = root / "ledgers"
    ledgers.mkdir()
    with (ledgers / "bench.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(
            ["paper_id", "claim", "claim_status", "evidence_status", "source_depth", "source_quote",
             "page_or_section", "taxonomy_fit", "audit_status", "claim_id"]
        )  # fmt: skip
        for index, pid in enumerate(ids):
            for k in range(CLAIMS_PER_PAPER):
                sentence = " ".join(rng.choice(WORDS) for _ in range(14))
                writer.writerow(
                    [f"{pid}v1", sentence.capitalize() + ".", "supported", "has evidence row", "full-text",
                     sentence, f"p{k + 1}", "in-scope: taxonomy category match", "pass; full-text verified",
                     f"c-{index * CLAIMS_PER_PAPER + k:08x}"]
                )  # fmt: skip


def measure(papers: int) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_corpus(root, papers)
        probe = (
            "import sys, time; from pathlib import Path; from generator.pipeline.build import collect, generate;"
            "t=time.perf_counter(); s=collect(Path(sys.argv[1])); t1=time.perf_counter(); generate(s);"
            "t2=time.perf_counter(); assert not s.problems.errors, s.problems.report();"
            "print(f'{t1-t:.2f} {t2-t1:.2f}')"
        )
        stages = subprocess.run([sys.executable, "-c", probe, str(root)], capture_output=True, text=True, check=True)
        collect_s, render_s = stages.stdout.split()
        started = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        build = subprocess.run(
            [sys.executable, "-m", "generator", "--root", str(root), "build"], capture_output=True, text=True
        )
        elapsed = time.perf_counter() - started
        if build.returncode:
            raise SystemExit(build.stderr[-3000:])
        peak_mb = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
        size_mb = sum(f.stat().st_size for f in (root / "site").rglob("*") if f.is_file()) / 1e6
        pages = sum(1 for _ in (root / "site").rglob("index.html"))
        claims = papers * CLAIMS_PER_PAPER
        return f"| {papers:,} | {claims:,} | {pages:,} | {collect_s} | {render_s} | {elapsed:.1f} | {peak_mb:.0f} | {size_mb:.1f} |"


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [100, 1000, 5000]
    print("| papers | claims | pages | validate+link s | render s | full kb build s | peak RSS MB | site MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in sizes:
        print(measure(size), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
