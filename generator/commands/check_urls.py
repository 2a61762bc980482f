"""`kb check-urls [--update]`: is every URL in urls.lock still served? `--update` adds new URLs.

The served URLs are planned from the model (publish/permanence.py), so nothing is rendered.
"""

from __future__ import annotations

import sys
from pathlib import Path

from generator.pipeline.build import collect, read_inputs
from generator.problems import Problems
from generator.publish.permanence import LOCK_NAME, compare, read_lock, report_url_problems, url_state, write_lock


def check_urls_command(root: Path, update: bool) -> int:
    """Exit 1 when a locked URL is lost."""
    site = collect(root, read_inputs(root))
    state = url_state(site)
    lock = read_lock(root)
    lost, new = compare(state, lock)
    data_errors = [p for p in site.problems.errors if not p.code.startswith("url-")]
    if update and new:
        write_lock(root, [*(url for _, url in lock or []), *new])
        print(f"kb: added {len(new)} URL(s) to {LOCK_NAME}:")
        for url in new:
            print(f"  + {url}")
    elif update:
        print(f"kb: {LOCK_NAME} already lists every published URL")
    elif new:
        print(
            f"kb: {len(new)} published URL(s) are not in {LOCK_NAME} yet; run `kb check-urls --update`:",
            file=sys.stderr,
        )
        for url in new:
            print(f"  {url}", file=sys.stderr)
    locked = len(lock or [])
    if lost:
        report = Problems()
        report_url_problems(report, lost, [], True)
        print(report.report(), file=sys.stderr)
        if data_errors:
            print(
                f"kb: the data also has {len(data_errors)} error(s), which may hide pages; run `kb validate`",
                file=sys.stderr,
            )
        print(f"kb: {len(lost)} of {locked} locked URL(s) are lost", file=sys.stderr)
        return 1
    print(f"kb: all {locked} locked URL(s) resolve", file=sys.stderr)
    return 0
