"""`kb serve` rebuilds when a record changes: a contributor sees their edit without restarting."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

from tests.helpers import free_port, start_serve


def _fetch(url: str, timeout: float = 60.0, until: str = "") -> str:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                last = response.read().decode("utf-8")
            if until in last:
                return last
        except OSError:
            pass
        time.sleep(0.5)
    return last


def test_serve_picks_up_record_edits(project: Path) -> None:
    port = free_port()
    server = start_serve(project, port)
    try:
        url = f"http://127.0.0.1:{port}/evidence-ledger/papers/2503.23007/"  # site_url has a path
        assert "S2MoE: Robust Sparse Mixture of Experts" in _fetch(url, until="S2MoE")
        record = project / "records" / "papers" / "2503.23007.yaml"
        record.write_text(
            record.read_text(encoding="utf-8").replace("S2MoE: Robust", "S2MoE (edited): Robust"), encoding="utf-8"
        )
        assert "S2MoE (edited): Robust" in _fetch(url, until="S2MoE (edited)")
        ledger = project / "ledgers" / "moe-ffn.csv"
        ledger.write_text(
            ledger.read_text(encoding="utf-8").replace("TopK setting.", "TopK setting (edited)."), encoding="utf-8"
        )
        assert "TopK setting (edited)." in _fetch(url, until="TopK setting (edited).")
    finally:
        server.terminate()
        server.wait(timeout=20)
