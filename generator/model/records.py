"""The one data model. Validation, the JSON Schema in `schema/` and the
methodology page are all derived from the classes and vocabularies here, so
they cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

# --- identifiers ---------------------------------------------------------------

# re.ASCII: `\d` must not match Arabic-Indic or other non-ASCII digits.
NEW_ARXIV = r"\d{4}\.\d{4,5}"
OLD_ARXIV = r"[a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7}"
ARXIV_ID_RE = re.compile(rf"(?P<base>{NEW_ARXIV}|{OLD_ARXIV})(?P<version>v[1-9]\d*)?", re.ASCII)
SYNTHESIS_ID_RE = re.compile(r"SRCH:(?P<code>[0-9A-F]{8})", re.ASCII)
EXTERNAL_ID_RE = re.compile(r"ext:(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)", re.ASCII)
SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*", re.ASCII)
CLAIM_ID_RE = re.compile(r"c-[0-9a-f]{8,12}", re.ASCII)


def _full(pattern: re.Pattern[str], what: str):  # type: ignore[no-untyped-def]
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"{value!r} is not a valid {what}")
        return value

    return AfterValidator(check)


ArxivId = Annotated[
    str,
    Field(
        description="arXiv identifier, quoted: new style `2503.23007` or old style `hep-th/9901001`, "
        "optionally with a version such as `v2`.",
        examples=["2503.23007", "hep-th/9901001v2"],
        json_schema_extra={"pattern": rf"^(?:{NEW_ARXIV}|{OLD_ARXIV})(?:v[1-9][0-9]*)?$"},
    ),
    _full(ARXIV_ID_RE, "arXiv id"),
]
SynthesisId = Annotated[
    str,
    Field(description="Synthesis report id: `SRCH:` and eight upper-case hex digits.", pattern=r"^SRCH:[0-9A-F]{8}$"),
]
Slug = Annotated[str, Field(description="Lower-case words joined by hyphens.", pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")]
OneLine = Annotated[str, StringConstraints(strip_whitespace=False, min_length=1, pattern=r"^[^\n\r]*$")]
HttpsUrl = Annotated[
    str,
    Field(
        description="An https:// address.",
        pattern="^https://[^\\s<>\"'`]+$",
        examples=["https://arxiv.org/abs/2503.23007"],
    ),
]


def _iso_date(value: str) -> str:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a real calendar date (YYYY-MM-DD)") from None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value, re.ASCII):
        raise ValueError(f"{value!r} is not in the form YYYY-MM-DD")
    return value


IsoDate = Annotated[
    str,
    Field(description="A calendar date, quoted, as YYYY-MM-DD.", examples=["2026-01-31"]),
    AfterValidator(_iso_date),
]


def arxiv_base(identifier: str) -> str:
    """`2503.23007v1` -> `2503.23007`: the versionless id that names the page."""
    match = ARXIV_ID_RE.fullmatch(identifier)
    return match.group("base") if match else identifier


def arxiv_version(identifier: str) -> str:
    match = ARXIV_ID_RE.fullmatch(identifier)
    return (match.group("version") or "") if match else ""


# --- vocabularies --------------------------------------------------------------


@dataclass(frozen=True)
class Vocabulary:
    """A closed list of values, each documented once for validation, schema and methodology."""

    name: str
    doc: str
    values: dict[str, str]

    @property
    def type(self) -> Any:
        """The field type: a `Literal` of the values, so strict validation takes plain strings."""
        return Annotated[Literal[tuple(self.values)], Field(description=self.doc)]  # type: ignore[valid-type]

    def describe(self, value: str) -> str:
        return self.values.get(value, "")


def vocabulary(name: str, doc: str, values: dict[str, str]) -> Vocabulary:
    return Vocabulary(name, doc, values)


ClaimStatus = vocabulary(
    "ClaimStatus",
    "How far the source supports the claim as worded in the ledger.",
    {
        "supported": "The source states the claim and the quoted evidence backs it.",
        "partially-supported": "The source backs part of the claim; the rest is not shown.",
        "unsupported": "The source was read and does not back the claim.",
        "contradicted": "The source, or a later source, says the opposite.",
        "unverified": "Nobody has yet checked the claim against the source.",
    },
)
EvidenceStatus = vocabulary(
    "EvidenceStatus",
    "Whether the ledger holds an evidence row (quote and place) for the claim.",
    {
        "has evidence row": "A quote and a page or section are recorded for the claim.",
        "missing evidence row": "No quote has been recorded yet.",
        "evidence pending": "A reviewer is extracting the evidence.",
    },
)
SourceDepth = vocabulary(
    "SourceDepth",
    "How much of the source the reviewer read to record the claim.",
    {
        "full-text": "The full paper was read.",
        "abstract": "Only the abstract was read; the quote is checked against the record's abstract.",
        "metadata": "Only bibliographic metadata was read.",
        "secondary": "Taken from another work that reports on the source.",
    },
)
TaxonomyFitVerdict = vocabulary(
    "TaxonomyFitVerdict",
    "Whether the claim belongs in the knowledge base's taxonomy; written `verdict: reason`.",
    {
        "in-scope": "The claim fits one of the taxonomy's categories.",
        "borderline": "The claim touches the taxonomy but sits at its edge.",
        "out-of-scope": "The claim is outside the taxonomy; kept for completeness.",
    },
)
AuditResult = vocabulary(
    "AuditResult",
    "Outcome of the audit of a ledger row; written `result; note; key=value`.",
    {
        "pass": "An auditor re-checked quote, place and status and found them right.",
        "fail": "The audit found the row wrong; see the correction history.",
        "needs-review": "The audit could not decide; a person must look.",
        "pending": "Not audited yet.",
    },
)
CitationRole = vocabulary(
    "CitationRole",
    "Why the citing paper cites the target (after CiTO's citation functions).",
    {
        "background": "Cited as general background or context.",
        "method-basis": "The citing paper builds its method on the target.",
        "comparison": "The target is a baseline or a point of comparison.",
        "extension": "The citing paper extends or generalises the target.",
        "data-source": "The target supplies data or a benchmark used by the citing paper.",
        "critique": "The citing paper examines or questions the target.",
    },
)
CitationPolarity = vocabulary(
    "CitationPolarity",
    "Whether the citing paper's findings agree with the target's (after scite's categories).",
    {
        "supporting": "The citing paper's findings support the target's.",
        "neutral": "The citation mentions the target without agreeing or disagreeing.",
        "contrasting": "The citing paper's findings contrast with or dispute the target's.",
    },
)
VerificationLevel = vocabulary(
    "VerificationLevel",
    "How deeply a synthesis was verified against its sources, from L0 (none) to L7.",
    {
        "L0": "Not verified: generated text only.",
        "L1": "Sources identified: every cited source exists.",
        "L2": "Source-grounded claims: claims are tied to parsed source sections.",
        "L3": "Claim aggregate record: claim counts are recorded publicly.",
        "L4": "External archival record: the report is archived outside the publisher.",
        "L5": "Quotes verified: every claim's quote is checked against the source text.",
        "L6": "Human reviewed: a named reviewer checked the claims.",
        "L7": "Independently replicated: the key findings were reproduced by others.",
    },
)
QualityTier = vocabulary(
    "QualityTier",
    "A triage tier for syntheses; it describes, and does not alter publication.",
    {
        "Flagship candidate": "Review score, verified-claim count and artifact coverage meet flagship thresholds.",
        "Standard": "Meets the publication thresholds without standing out.",
        "Quarantine candidate": "Below the review threshold: inspect the sources before relying on it.",
    },
)
Rating = vocabulary(
    "Rating",
    "A three-step rating of one quality dimension.",
    {
        "LOW": "Weak on this dimension.",
        "MEDIUM": "Adequate on this dimension.",
        "HIGH": "Strong on this dimension.",
    },
)
CorrectionStatus = vocabulary(
    "CorrectionStatus",
    "Where a synthesis stands in its correction history; corrections are additive.",
    {
        "CURRENT": "No correction supersedes it; that does not claim it is error-free.",
        "CORRECTED": "One or more corrections were published; the history lists them.",
        "SUPERSEDED": "A newer synthesis replaces it; read that one instead.",
    },
)
CorrectionType = vocabulary(
    "CorrectionType",
    "The kind of one correction event.",
    {
        "erratum": "A factual error was fixed.",
        "clarification": "Wording was made clearer without changing a finding.",
        "claim-status-change": "A claim's status changed after re-checking.",
        "retraction": "A finding or the whole record was withdrawn.",
        "supersession": "A newer record replaces this one.",
    },
)
RecordStatus = vocabulary(
    "RecordStatus",
    "Whether a record is live. A withdrawn record keeps its page as a tombstone.",
    {
        "active": "Published and current.",
        "withdrawn": "Removed from the corpus; its page stays as a tombstone explaining why.",
    },
)

VOCABULARIES: dict[str, Vocabulary] = {
    "claim_status": ClaimStatus,
    "evidence_status": EvidenceStatus,
    "source_depth": SourceDepth,
    "taxonomy_fit": TaxonomyFitVerdict,
    "audit_status": AuditResult,
    "role": CitationRole,
    "polarity": CitationPolarity,
    "paper_level": VerificationLevel,
    "tier": QualityTier,
    "rating": Rating,
    "correction_status": CorrectionStatus,
    "correction_type": CorrectionType,
    "record_status": RecordStatus,
}


# --- records -------------------------------------------------------------------


class Record(BaseModel):
    """Common settings: unknown keys are errors, and YAML types are taken as they are."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Citation(Record):
    target: str = Field(description="The cited work: a paper's arXiv id or a declared external work (`ext:slug`).")
    role: CitationRole.type | None = Field(  # type: ignore[name-defined]
        default=None, description="Why it is cited. Leave empty when no source says."
    )
    polarity: CitationPolarity.type | None = Field(  # type: ignore[name-defined]
        default=None, description="Whether it agrees. Leave empty when no source says."
    )
    context: str = Field(default="", description="The citing sentence, quoted from the citing paper.")


class Links(Record):
    doi: str = Field(
        default="",
        description="DOI without the resolver, e.g. `10.48550/arXiv.1701.06538`.",
        pattern=r"^(?:10\.\d{4,9}/\S+)?$",
    )
    code: HttpsUrl | None = Field(default=None, description="Official code repository.")
    openreview: HttpsUrl | None = Field(default=None, description="OpenReview forum page.")
    homepage: HttpsUrl | None = Field(default=None, description="Project page.")


class ReportedCitingPaper(Record):
    title: str = Field(default="", description="Title as the source gives it; empty when the source shows none.")
    summary: str = Field(default="", description="One-line summary as the source gives it.")
    representative: bool = Field(default=False, description="Listed by the source as representative.")


class SourceReport(Record):
    """What an outside source reports about a paper, kept apart from our own counts."""

    source: str = Field(description="Who reports it, e.g. `Pith`.")
    description: str = Field(default="", description="What the source is.")
    labels: list[str] = Field(default_factory=list, description="Labels the source gives the work.")
    statements: list[str] = Field(default_factory=list, description="Figures and statements, verbatim.")
    citing_papers: list[ReportedCitingPaper] = Field(default_factory=list)


class Tombstone(Record):
    reason: str = Field(description="Why the record was withdrawn.")
    date: IsoDate
    see_instead: str = Field(default="", description="Id of the record readers should use now.")


class Paper(Record):
    """One source paper. File: `records/**/<id>.yaml`."""

    id: ArxivId = Field(description="arXiv id without version; the page URL is `/papers/<id>/`.")
    versions: list[Annotated[str, Field(pattern=r"^v[1-9][0-9]*$")]] = Field(
        default_factory=list, description="arXiv versions the corpus refers to, e.g. `v1`."
    )
    title: str = Field(min_length=1)
    authors: list[str] = Field(default_factory=list, description="Author names in order; empty when unknown.")
    authors_complete: bool = Field(default=True, description="False when only some authors are known.")
    year: int | None = Field(default=None, ge=1990, le=2100)
    venue: str = ""
    summary: str = Field(default="", description="One line saying what the paper does.", pattern=r"^[^\n\r]*$")
    abstract: str = ""
    taxonomy: list[Slug] = Field(default_factory=list, description="Category slugs from `records/taxonomy.yaml`.")
    cites: list[Citation] = Field(default_factory=list)
    links: Links = Field(default_factory=Links)
    aliases: list[str] = Field(default_factory=list, description="Former ids of this record; each becomes a redirect.")
    canonical: bool = Field(default=False, description="Always show hub sections, whatever the citation count.")
    bibtex_key: str = Field(default="", description="Key of the entry in `records/*.bib` to take metadata from.")
    reported: list[SourceReport] = Field(default_factory=list, description="What outside sources report.")
    status: RecordStatus.type = "active"  # type: ignore[name-defined]
    tombstone: Tombstone | None = None
    added: IsoDate | None = Field(default=None, description="Date the record entered the corpus.")


class ExternalWork(Record):
    """A cited work outside arXiv. File: `records/**/ext-<slug>.yaml`."""

    id: Annotated[str, Field(pattern=r"^ext:[a-z0-9]+(?:-[a-z0-9]+)*$", description="`ext:` and a slug.")]
    title: str = Field(min_length=1)
    authors: list[str] = Field(default_factory=list)
    year: int | None = Field(default=None, ge=1500, le=2100)
    venue: str = ""
    links: Links = Field(default_factory=Links)


class VerificationRecord(Record):
    paper_level: VerificationLevel.type  # type: ignore[name-defined]
    label: str
    source_grounded_claims: int = Field(ge=0)
    claim_record_source: str


class QualityTierRecord(Record):
    tier: QualityTier.type  # type: ignore[name-defined]
    basis: str = Field(min_length=1, description="Why the synthesis has this tier.")


class QualityDimensions(Record):
    evidence_strength: Rating.type  # type: ignore[name-defined]
    citation_grounding: Rating.type  # type: ignore[name-defined]
    uncertainty_disclosure: Rating.type  # type: ignore[name-defined]
    reproducibility_status: Rating.type  # type: ignore[name-defined]


class CorrectionEvent(Record):
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", description="Stable event id, never reused.")]
    date: IsoDate
    type: CorrectionType.type  # type: ignore[name-defined]
    description: str = Field(min_length=1)
    claim_id: str = Field(default="", description="The claim the event changes, if any.")


class CorrectionRecord(Record):
    status: CorrectionStatus.type  # type: ignore[name-defined]
    correction_count: int = Field(ge=0, description="Must equal the number of events in `corrections`.")
    manifest_contract: str = ""
    correction_contract: str = ""
    corrections: list[CorrectionEvent] = Field(default_factory=list)

    @model_validator(mode="after")
    def _count_matches_events(self) -> CorrectionRecord:
        if self.correction_count != len(self.corrections):
            raise ValueError(
                f"correction_count is {self.correction_count} but {len(self.corrections)} correction event(s) are listed"
            )
        return self


class LevelLabel(Record):
    level: VerificationLevel.type  # type: ignore[name-defined]
    label: str


class Provenance(Record):
    publisher: str
    public_provenance: LevelLabel
    report_artifact: str
    external_record: str
    claim_lineage: str
    review_method: str
    quality_guide: str = ""
    provenance_contract: str
    note: str = ""


class Synthesis(Record):
    """One synthesis report. File: `records/**/SRCH-<code>.yaml`."""

    id: SynthesisId
    title: str = Field(min_length=1)
    abstract: str = ""
    research_question: str = Field(min_length=1)
    taxonomy: list[Slug] = Field(default_factory=list)
    papers: list[str] = Field(default_factory=list, description="Ids of corpus papers the synthesis concerns.")
    verification_level: VerificationRecord
    quality_tier: QualityTierRecord
    quality_dimensions: QualityDimensions
    correction_record: CorrectionRecord
    provenance: Provenance
    aliases: list[str] = Field(default_factory=list)
    added: IsoDate | None = None


class Category(Record):
    slug: Slug
    title: str = Field(min_length=1)
    description: str = ""
    parent: Slug | None = None


class Taxonomy(Record):
    """The category tree. File: `records/taxonomy.yaml`."""

    categories: list[Category]


class Retraction(Record):
    id: str = Field(description="arXiv id of the retracted or withdrawn paper.")
    kind: Literal["retracted", "withdrawn"]
    source: str = Field(min_length=1, description="Where the retraction was seen.")
    date: IsoDate
    note: str = ""


class RetractionSnapshot(Record):
    """Committed offline list of retractions. File: `records/retractions.yaml`."""

    retractions: list[Retraction] = Field(default_factory=list)


# --- claim ledgers -------------------------------------------------------------

LEDGER_COLUMNS: tuple[str, ...] = (
    "paper_id",
    "claim",
    "claim_status",
    "evidence_status",
    "source_depth",
    "source_quote",
    "page_or_section",
    "taxonomy_fit",
    "audit_status",
)
OPTIONAL_LEDGER_COLUMNS: dict[str, str] = {
    "claim_id": "Permanent claim id (`c-` and hex), filled in once by `kb ids`; never reused.",
    "category": "Taxonomy slug the claim belongs to, when narrower than the paper's.",
}
LEDGER_COLUMN_DOCS: dict[str, str] = {
    "paper_id": "arXiv id of the paper the claim is about, with the version read (`2503.23007v1`).",
    "claim": "The claim, worded as in the paper.",
    "claim_status": ClaimStatus.doc,
    "evidence_status": EvidenceStatus.doc,
    "source_depth": SourceDepth.doc,
    "source_quote": "Verbatim quote from the source that backs the claim.",
    "page_or_section": "Where the quote is, e.g. `p4` or `§3.1`.",
    "taxonomy_fit": TaxonomyFitVerdict.doc,
    "audit_status": AuditResult.doc,
}


@dataclass(frozen=True)
class TaxonomyFit:
    verdict: str
    reason: str


@dataclass(frozen=True)
class Audit:
    result: str
    notes: tuple[str, ...]
    attributes: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Claim:
    """One ledger row, typed. Cells are kept exactly as written."""

    claim_id: str
    paper_id: str
    claim: str
    claim_status: str
    evidence_status: str
    source_depth: str
    source_quote: str
    page_or_section: str
    taxonomy_fit: TaxonomyFit
    taxonomy_fit_raw: str
    audit: Audit
    audit_raw: str
    category: str
    ledger: str
    row: int

    @property
    def paper_base(self) -> str:
        return arxiv_base(self.paper_id)

    @property
    def version(self) -> str:
        return arxiv_version(self.paper_id)


RECORD_MODELS: dict[str, type[Record]] = {
    "paper": Paper,
    "synthesis": Synthesis,
    "external": ExternalWork,
    "taxonomy": Taxonomy,
    "retractions": RetractionSnapshot,
}


def record_kind(data: object, filename: str) -> str | None:
    """The record kind follows from the id (or, for the two singletons, the file name)."""
    stem = filename.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if stem in ("taxonomy", "retractions"):
        return stem
    if not isinstance(data, dict):
        return None
    identifier = data.get("id")
    if not isinstance(identifier, str):
        return None
    if identifier.startswith("SRCH:"):
        return "synthesis"
    if identifier.startswith("ext:"):
        return "external"
    return "paper"
