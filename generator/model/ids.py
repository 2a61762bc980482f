"""Identifiers: each pattern written once, as the compiled regex code uses and the annotated type models use.

The JSON Schema, the ledger's Table Schema, validation and `urls` all take
their patterns from here (paper ids of every scheme come from `paper_ids`),
so an id that validates is an id that can become a URL, and nothing else is.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from generator.model.paper_ids import PAPER_ID_PATTERN, is_paper_id

# re.ASCII throughout: `\d` and `[a-z]` must not match non-ASCII digits or letters.
SLUG_PATTERN = r"[a-z0-9]{1,40}(?:-[a-z0-9]{1,40}){0,5}"  # bounded: a slug names a folder of the site
SYNTHESIS_ID_PATTERN = r"SRCH:(?P<code>[0-9A-F]{8})"
EXTERNAL_ID_PATTERN = rf"ext:(?P<slug>{SLUG_PATTERN})"
CLAIM_ID_PATTERN = r"c-[0-9a-f]{8,12}"

SLUG_RE = re.compile(SLUG_PATTERN, re.ASCII)
SYNTHESIS_ID_RE = re.compile(SYNTHESIS_ID_PATTERN, re.ASCII)
EXTERNAL_ID_RE = re.compile(EXTERNAL_ID_PATTERN, re.ASCII)
CLAIM_ID_RE = re.compile(CLAIM_ID_PATTERN, re.ASCII)


def anchored(pattern: str) -> str:
    """The whole-value form of a pattern, without named groups, for JSON Schema and Table Schema."""
    return "^(?:" + re.sub(r"\(\?P<\w+>", "(?:", pattern).removeprefix("^").removesuffix("$") + ")$"


def is_record_id(value: str) -> bool:
    """A paper, synthesis or external-work id: the only strings that may become a record's URL."""
    return is_paper_id(value) or bool(SYNTHESIS_ID_RE.fullmatch(value) or EXTERNAL_ID_RE.fullmatch(value))


Slug = Annotated[str, Field(description="Lower-case words joined by hyphens.", pattern=anchored(SLUG_PATTERN))]
SynthesisId = Annotated[
    str,
    Field(
        description="Synthesis report id: `SRCH:` and eight upper-case hex digits.",
        pattern=anchored(SYNTHESIS_ID_PATTERN),
    ),
]
ExternalId = Annotated[str, Field(description="`ext:` and a slug.", pattern=anchored(EXTERNAL_ID_PATTERN))]
ClaimId = Annotated[
    str,
    Field(
        description="Permanent claim id (`c-` and 8 to 12 lower-case hex digits), filled in once by `kb ids`; "
        "never reused.",
        examples=["c-d9d1c8ac"],
        pattern=anchored(CLAIM_ID_PATTERN),
    ),
]

RECORD_ID_PATTERN = "|".join((PAPER_ID_PATTERN, anchored(SYNTHESIS_ID_PATTERN), anchored(EXTERNAL_ID_PATTERN)))


def _record_id(value: str) -> str:
    """Reported as `field-pattern`: the error type is the problem code (see validate._report_schema_error)."""
    if not is_record_id(value):
        raise PydanticCustomError("field-pattern", "{value} is not a record id", {"value": ascii(value)})
    return value


def _record_id_or_empty(value: str) -> str:
    return _record_id(value) if value else value


RecordId = Annotated[
    str,
    Field(
        description="Id of a record: a paper id, a synthesis id (`SRCH:…`) or an external work (`ext:slug`).",
        examples=["2503.23007", "SRCH:7693EED1", "ext:attention-is-all-you-need"],
        json_schema_extra={"pattern": RECORD_ID_PATTERN},
    ),
    AfterValidator(_record_id),
]
RecordIdOrEmpty = Annotated[
    str, Field(json_schema_extra={"pattern": f"^$|{RECORD_ID_PATTERN}"}), AfterValidator(_record_id_or_empty)
]
"""A record id where one is optional (e.g. a tombstone's `see_instead`)."""


def _or_empty(pattern: str) -> str:
    return anchored(f"(?:{pattern})?")


ClaimIdCell = Annotated[str, Field(pattern=_or_empty(CLAIM_ID_PATTERN))]
"""A ledger's `claim_id` cell: a claim id, or empty until `kb ids` fills it."""
SlugCell = Annotated[str, Field(pattern=_or_empty(SLUG_PATTERN))]
"""A ledger's optional slug cell (`category`): a slug, or empty."""
