"""Source text that is not what it seems: identical abstracts across syntheses.

Records keep a source's text verbatim; `source_flags` (generator/model/records.py)
says when a field is cut off or doubtful in the source, and pages mark it. This
module finds one doubt the build can see for itself: two synthesis reports that
carry the very same abstract. The page of each says so; the build warns until
every record of the group flags its abstract as `suspect`, which records that a
maintainer has looked and the duplication is in the source itself.
"""

from __future__ import annotations

from generator.model.records import source_flag
from generator.model.site import Site, same_abstract
from generator.problems import Severity


def check_duplicate_abstracts(site: Site) -> None:
    """Warn on each shared abstract that a record has not yet flagged as suspect."""
    for sid, others in sorted(same_abstract(site).items()):
        loaded = site.corpus.syntheses[sid]
        flag = source_flag(loaded.record, "abstract")
        if flag is not None and flag.suspect:
            continue
        site.problems.add(
            "abstract-duplicate",
            loaded.location("abstract"),
            "abstract",
            f"{sid} has the same abstract as {', '.join(others)}",
            "check the source; if it really gives this abstract, keep it and add "
            "`source_flags: {abstract: {suspect: <why>}}` to the record",
            severity=Severity.WARNING,
        )
