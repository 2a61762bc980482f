"""How long a one-record edit takes to show under `kb serve` (issue #11: at most 3 s at 10,000 papers).

    .venv/bin/python benchmarks/bench_serve.py DIR [--edits 3]

Starts `kb serve` on DIR (a `kb synth` corpus), waits for the first build, then edits one paper's
title EDITS times and prints, for each, the seconds from saving the file to the server returning
the new HTML of that paper's page (what the browser's live reload then fetches). The record is
restored at the end. A benchmark, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from generator.sources.config import load_mkdocs_yml


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, text: str, timeout: float, every: float = 0.05) -> float | None:
    """Seconds until `url` returns a page containing `text`, or None."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if text in response.read().decode("utf-8"):
                    return time.monotonic() - start
        except OSError:
            pass
        time.sleep(every)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--edits", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()
    root = args.root.resolve()
    records = sorted((root / "records" / "papers").glob("*.yaml"))
    record = records[len(records) // 2]
    original = record.read_text(encoding="utf-8")
    paper_id = next(
        line.split(":", 1)[1].strip().strip("\"'") for line in original.splitlines() if line.startswith("id:")
    )
    port = free_port()
    mount = urllib.parse.urlsplit(str((load_mkdocs_yml(root) or {}).get("site_url") or "/")).path.strip("/")
    kb = Path(sys.executable).with_name("kb")
    server = subprocess.Popen(
        [str(kb), "--root", str(root), "serve", "--dev-addr", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/{mount + '/' if mount else ''}papers/{paper_id}/"
    try:
        first = wait_for(url, paper_id, args.timeout, every=0.5)
        print(f"{len(records):,} papers: first build served after {first:.1f} s" if first else "first build timed out")
        for edit in range(1, args.edits + 1):
            marker = f"Edited {edit} "
            record.write_text(original.replace('title: "', f'title: "{marker}', 1), encoding="utf-8")
            took = wait_for(url, marker, args.timeout)
            print(f"edit {edit}: new HTML served {took:.2f} s after saving" if took else f"edit {edit}: timed out")
            time.sleep(1.0)  # let the server finish its work (search index in the background)
    finally:
        record.write_text(original, encoding="utf-8")
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
