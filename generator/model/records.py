"""The one data model. Validation, the JSON Schema in `schema/` and the
methodology page are all derived from the classes and vocabularies here, so
they cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from generator.model import ids
from generator.model.ids import ClaimId, ClaimIdCell, ExternalId, RecordIdOrEmpty, Slug, SlugCell, SynthesisId
from generator.model.paper_ids import ARXIV_ID_RE, PAPER_ID_PATTERN, is_paper_id, paper_base

# --- identifiers ---------------------------------------------------------------

# re.ASCII: `\d` must not match Arabic-Indic or other non-ASCII digits.
# Paper ids of every scheme (arXiv, DOI, OpenReview, ACL Anthology) are defined in paper_ids.
# Synthesis, external-work, claim ids and slugs are defined in ids; the regexes stay importable from here.
CLAIM_ID_RE, EXTERNAL_ID_RE, SLUG_RE, SYNTHESIS_ID_RE = (
    ids.CLAIM_ID_RE,
    ids.EXTERNAL_ID_RE,
    ids.SLUG_RE,
    ids.SYNTHESIS_ID_RE,
)


PaperId = Annotated[
    str,
    Field(
        description="Paper id, quoted: an arXiv id (`2503.23007`, old style `hep-th/9901001`, optionally with a "
        "version such as `v2`), a DOI in lower case (`doi:10.1145/3219819.3220007`), an OpenReview id "
        "(`openreview:B1ckMDqlg`) or an ACL Anthology id (`acl:2020.acl-main.463`).",
        examples=["2503.23007", "doi:10.1145/3219819.3220007"],
        json_schema_extra={"pattern": PAPER_ID_PATTERN},
    ),
    AfterValidator(lambda value: value if is_paper_id(value) else _not_a_paper_id(value)),
]


def _not_a_paper_id(value: str) -> str:
    raise ValueError(f"{value!r} is not a paper id (arXiv, doi:, openreview: or acl:)")


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
        raise PydanticCustomError(
            "date-invalid", "{value} is not a real calendar date (YYYY-MM-DD)", {"value": repr(value)}
        ) from None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value, re.ASCII):
        raise PydanticCustomError("date-invalid", "{value} is not in the form YYYY-MM-DD", {"value": repr(value)})
    return value


IsoDate = Annotated[
    str,
    Field(description="A calendar date, quoted, as YYYY-MM-DD.", examples=["2026-01-31"]),
    AfterValidator(_iso_date),
]


def arxiv_base(identifier: str) -> str:
    """`2503.23007v1` -> `2503.23007`: the versionless id that names the page (other schemes: unchanged)."""
    return paper_base(identifier)


@functools.lru_cache(maxsize=1 << 15)
def arxiv_version(identifier: str) -> str:
    """`2503.23007v1` -> `v1`; "" without a version. Cached: linking asks it of every claim on every rebuild, and
    100,000 claims name about 10,000 ids (a cached attribute on each claim would cost 70 MB at 10,000 papers)."""
    match = ARXIV_ID_RE.fullmatch(identifier)
    return (match.group("version") or "") if match else ""


# --- vocabularies --------------------------------------------------------------

# Whose words a definition is. A reader must be able to tell a source's own words
# from this knowledge base's: every definition is quoted from a named source,
# marked editorial, or shown as "not defined by the source".
LEDGER_SOURCE = "the claim ledger"
PUBLISHER_PAGES = "the synthesis report pages (publisher: Assignee Research)"
THIS_KB = "this knowledge base"


def seen_in_ledger(value: str) -> str:
    """Where a vocabulary's values come from when the ledger uses one of them but defines none."""
    return f"{LEDGER_SOURCE} (`{value}`); the other values are editorial. The ledger defines none of them"


@dataclass(frozen=True)
class Definition:
    """What one value means and whose words those are.

    `source` set: `text` is quoted verbatim from that source. `source` empty:
    `text` is editorial, this knowledge base's own wording. `text` empty: no
    source defines the value, and pages say so rather than guess.
    """

    text: str = ""
    source: str = ""

    @property
    def provenance(self) -> Literal["quoted", "editorial", "undefined"]:
        if not self.text:
            return "undefined"
        return "quoted" if self.source else "editorial"

    def describe(self) -> str:
        """One line for tooltips, metadata and comments, with its provenance spelled out."""
        if self.provenance == "undefined":
            return NOT_DEFINED
        if self.provenance == "quoted":
            return f"“{self.text}” ({self.source})"
        return f"{self.text} (editorial)"


NOT_DEFINED = "Not defined by the source."


def quoted(text: str, source: str) -> Definition:
    return Definition(text, source)


def editorial(text: str) -> Definition:
    return Definition(text)


UNDEFINED = Definition()


@dataclass(frozen=True)
class Vocabulary:
    """A closed list of values, each documented once for validation, schema and methodology.

    `values_from` names where the value names themselves come from; `source_note`
    is what that source says about the whole scale, quoted; `doc` is the field's
    editorial description for contributors and the JSON Schema.
    """

    name: str
    doc: str
    values: dict[str, Definition]
    values_from: str
    source_note: Definition = UNDEFINED

    @property
    def type(self) -> Any:
        """The field type: a `Literal` of the values, so strict validation takes plain strings."""
        return Annotated[Literal[tuple(self.values)], Field(description=self.doc)]  # type: ignore[valid-type]

    def definition(self, value: str) -> Definition:
        return self.values.get(value, UNDEFINED)

    def describe(self, value: str) -> str:
        return self.definition(value).describe()

    def as_json(self) -> dict[str, Any]:
        """The vocabulary as data (methodology's JSON twin): every definition with its provenance."""

        def entry(definition: Definition) -> dict[str, str]:
            return {"text": definition.text, "source": definition.source, "provenance": definition.provenance}

        return {
            "name": self.name,
            "doc": self.doc,
            "values_from": self.values_from,
            "source_note": entry(self.source_note) if self.source_note.text else None,
            "values": {value: entry(definition) for value, definition in self.values.items()},
        }


def vocabulary(
    name: str, doc: str, values: dict[str, Definition], *, values_from: str, source_note: Definition = UNDEFINED
) -> Vocabulary:
    return Vocabulary(name, doc, values, values_from, source_note)


def _levels(defined: dict[str, Definition]) -> dict[str, Definition]:
    """L0 to L7: the validator accepts the whole range; only the levels a source names carry a definition."""
    return {f"L{n}": defined.get(f"L{n}", UNDEFINED) for n in range(8)}


ClaimStatus = vocabulary(
    "ClaimStatus",
    "The status the ledger records for the claim.",
    {
        "supported": editorial("Marked supported in the ledger."),
        "partially-supported": editorial("Marked partially supported in the ledger."),
        "unsupported": editorial("Marked unsupported in the ledger."),
        "contradicted": editorial("Marked contradicted in the ledger."),
        "unverified": editorial("Marked unverified in the ledger: nobody has recorded a check yet."),
    },
    values_from=seen_in_ledger("supported"),
)
EvidenceStatus = vocabulary(
    "EvidenceStatus",
    "Whether the ledger holds an evidence row (quote and place) for the claim.",
    {
        "has evidence row": editorial("Marked in the ledger as having an evidence row: a quote and a page or section."),
        "missing evidence row": editorial("Marked in the ledger as having no evidence row yet."),
        "evidence pending": editorial("Marked in the ledger as evidence pending."),
    },
    values_from=seen_in_ledger("has evidence row"),
)
SourceDepth = vocabulary(
    "SourceDepth",
    "How much of the source the ledger says was read to record the claim.",
    {
        "full-text": editorial("The ledger records that the full text was read."),
        "abstract": editorial("The ledger records that only the abstract was read; the quote is checked against it."),
        "metadata": editorial("The ledger records that only bibliographic metadata was read."),
        "secondary": editorial(
            "The ledger records that the claim was taken from another work reporting on the source."
        ),
    },
    values_from=seen_in_ledger("full-text"),
)
TaxonomyFitVerdict = vocabulary(
    "TaxonomyFitVerdict",
    "Whether the claim belongs in the knowledge base's taxonomy; written `verdict: reason`.",
    {
        "in-scope": editorial("Marked in scope for the taxonomy in the ledger."),
        "borderline": editorial("Marked borderline for the taxonomy in the ledger."),
        "out-of-scope": editorial("Marked out of scope in the ledger; kept for completeness."),
    },
    values_from=seen_in_ledger("in-scope"),
)
AuditResult = vocabulary(
    "AuditResult",
    "The audit result the ledger records for a row; written `result; note; key=value`.",
    {
        "pass": editorial("The ledger records the audit result pass. It does not say what the audit checked."),
        "fail": editorial("The ledger records the audit result fail; see the correction history."),
        "needs-review": editorial("The ledger records that the audit could not decide."),
        "pending": editorial("The ledger records no audit yet."),
    },
    values_from=seen_in_ledger("pass"),
)
CitationRole = vocabulary(
    "CitationRole",
    "Why the citing paper cites the target (after CiTO's citation functions).",
    {
        "background": editorial("Cited as general background or context."),
        "method-basis": editorial("The citing paper builds its method on the target."),
        "comparison": editorial("The target is a baseline or a point of comparison."),
        "extension": editorial("The citing paper extends or generalises the target."),
        "data-source": editorial("The target supplies data or a benchmark used by the citing paper."),
        "critique": editorial("The citing paper examines or questions the target."),
    },
    values_from=f"{THIS_KB}, after the citation functions of CiTO, the Citation Typing Ontology",
)
CitationPolarity = vocabulary(
    "CitationPolarity",
    "Whether the citing paper's findings agree with the target's (after scite's categories).",
    {
        "supporting": editorial("The citing paper's findings support the target's."),
        "neutral": editorial("The citation mentions the target without agreeing or disagreeing."),
        "contrasting": editorial("The citing paper's findings contrast with or dispute the target's."),
    },
    values_from=f"{THIS_KB}, after scite's citation categories",
)
VerificationLevel = vocabulary(
    "VerificationLevel",
    "The verification level (\u201cPaper level\u201d) a synthesis report states for itself.",
    _levels({"L2": quoted("Source-grounded claims", PUBLISHER_PAGES)}),
    values_from=f"{PUBLISHER_PAGES}, which name L2 only and give it a label, not a definition",
    source_note=quoted(
        "Descriptive public verification status only; aggregate claim counts are public, "
        "but individual claim records are not exposed here.",
        PUBLISHER_PAGES,
    ),
)
ProvenanceLevel = vocabulary(
    "ProvenanceLevel",
    "The public provenance level a synthesis report states for itself; not a verification level.",
    _levels(
        {
            "L3": quoted("Claim aggregate record", PUBLISHER_PAGES),
            "L4": quoted("External archival record", PUBLISHER_PAGES),
        }
    ),
    values_from=f"{PUBLISHER_PAGES}, which name L3 and L4 only and give each a label, not a definition",
)
QualityTier = vocabulary(
    "QualityTier",
    "The triage tier a synthesis report states for itself; each report gives its own basis.",
    {
        "Flagship candidate": UNDEFINED,
        "Standard": editorial("A value of this knowledge base for reports that are neither kind of candidate."),
        "Quarantine candidate": UNDEFINED,
    },
    values_from=f"{PUBLISHER_PAGES} (the two candidate tiers); `Standard` is editorial",
    source_note=quoted(
        "Descriptive public triage only; this tier does not alter current publication or DOI behavior.",
        PUBLISHER_PAGES,
    ),
)
Rating = vocabulary(
    "Rating",
    "A three-step rating of one quality dimension, as the synthesis report states it.",
    {"LOW": UNDEFINED, "MEDIUM": UNDEFINED, "HIGH": UNDEFINED},
    values_from=PUBLISHER_PAGES,
    source_note=quoted(
        "Automated triage signals derived from public fields; not human peer review or independent validation.",
        PUBLISHER_PAGES,
    ),
)
CorrectionStatus = vocabulary(
    "CorrectionStatus",
    "Where a synthesis stands in its correction history; corrections are additive.",
    {
        "CURRENT": UNDEFINED,
        "CORRECTED": editorial("One or more corrections were published; the history lists them."),
        "SUPERSEDED": editorial("A newer synthesis replaces it; read that one instead."),
    },
    values_from=f"{PUBLISHER_PAGES} (`CURRENT`); `CORRECTED` and `SUPERSEDED` are editorial",
    source_note=quoted(
        "Public corrections are additive records. Current status does not claim the synthesis is error-free.",
        PUBLISHER_PAGES,
    ),
)
CorrectionType = vocabulary(
    "CorrectionType",
    "The kind of one correction event.",
    {
        "erratum": editorial("A factual error was fixed."),
        "clarification": editorial("Wording was made clearer without changing a finding."),
        "claim-status-change": editorial("A claim's status changed after re-checking."),
        "retraction": editorial("A finding or the whole record was withdrawn."),
        "supersession": editorial("A newer record replaces this one."),
    },
    values_from=THIS_KB,
)
RecordStatus = vocabulary(
    "RecordStatus",
    "Whether a record is live. A withdrawn record keeps its page as a tombstone.",
    {
        "active": editorial("Published and current."),
        "withdrawn": editorial("Removed from the corpus; its page stays as a tombstone explaining why."),
    },
    values_from=THIS_KB,
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
    "public_provenance": ProvenanceLevel,
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
    target: str = Field(
        description="The cited work: a paper's id (arXiv, `doi:`, `openreview:`, `acl:`) or a declared external "
        "work (`ext:slug`)."
    )
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
    title: str = Field(min_length=1, description="Title as the source gives it.")
    summary: str = Field(default="", description="One-line summary as the source gives it.")


class SourceReport(Record):
    """What an outside source reports about a paper, kept apart from our own counts.

    Both lists keep the source's own order and wording; nothing is merged, so the
    page can say exactly what the source lists.
    """

    source: str = Field(description="Who reports it, e.g. `Pith`.")
    description: str = Field(default="", description="What the source is, for readers (shown on the page).")
    labels: list[str] = Field(default_factory=list, description="Labels the source gives the work.")
    statements: list[str] = Field(default_factory=list, description="Figures and statements, verbatim.")
    denominator: str = Field(
        default="", description="The denominator the source gives for its figures, verbatim; empty when it gives none."
    )
    citing_papers: list[ReportedCitingPaper] = Field(
        default_factory=list, description="Citing papers the source lists with titles, in the source's order."
    )
    representative_summaries: list[str] = Field(
        default_factory=list,
        description="The source's list of representative citing papers, in its order: one-line summaries, verbatim.",
    )


class SourceFlag(Record):
    """What is wrong with one field's text as the source gives it. The text itself stays verbatim;
    pages show a visible mark wherever it appears, and the reason on hover."""

    truncated: str = Field(
        default="", description='Why the text is taken to be cut off in the source, e.g. `ends mid-word ("…se")`.'
    )
    suspect: str = Field(
        default="", description="Why the text is doubtful as the source gives it, e.g. the same text as another report."
    )

    @model_validator(mode="after")
    def _says_something(self) -> SourceFlag:
        if not (self.truncated or self.suspect):
            raise ValueError("a source flag needs a reason: `truncated: <why>` and/or `suspect: <why>`")
        return self


PaperTextField = Literal["title", "summary", "abstract"]
SynthesisTextField = Literal["title", "abstract", "research_question"]

TRUNCATED_MARK = "… — cut off in the source"
SUSPECT_MARK = " — doubtful in the source"


def source_flag(record: object, field: str) -> SourceFlag | None:
    flags = getattr(record, "source_flags", None) or {}
    return flags.get(field)


def marked_text(record: object, field: str) -> str:
    """A field's text with the visible marks its source flag calls for: the plain-text form used
    in link texts, <title>, citations and search, so no copy of the text looks complete when it is not."""
    text = str(getattr(record, field))
    flag = source_flag(record, field)
    if flag is None:
        return text
    return text + (TRUNCATED_MARK if flag.truncated else "") + (SUSPECT_MARK if flag.suspect else "")


class Tombstone(Record):
    reason: str = Field(description="Why the record was withdrawn.")
    date: IsoDate
    see_instead: RecordIdOrEmpty = Field(default="", description="Id of the record readers should use now.")


class Paper(Record):
    """One source paper. File: `records/**/<id>.yaml`."""

    id: PaperId = Field(
        description="Paper id without version; the page URL is `/papers/<id>/` (see README, URL scheme)."
    )
    versions: list[Annotated[str, Field(pattern=r"^v[1-9][0-9]*$")]] = Field(
        default_factory=list, description="arXiv versions the corpus refers to, e.g. `v1`."
    )
    title: str = Field(min_length=1, description="Title as printed on the paper.")
    authors: list[str] = Field(default_factory=list, description="Author names in order; empty when unknown.")
    authors_complete: bool = Field(default=True, description="False when only some authors are known.")
    year: int | None = Field(default=None, ge=1990, le=2100, description="Year of first publication (1990-2100).")
    venue: str = Field(default="", description="Where it appeared, e.g. `NeurIPS 2023`; `arXiv` for a preprint.")
    summary: str = Field(default="", description="One line saying what the paper does.", pattern=r"^[^\n\r]*$")
    abstract: str = Field(
        default="", description="The paper's abstract, verbatim; claims read from the abstract are checked against it."
    )
    taxonomy: list[Slug] = Field(default_factory=list, description="Category slugs from `records/taxonomy.yaml`.")
    cites: list[Citation] = Field(
        default_factory=list, description="Corpus papers or declared external works this paper cites."
    )
    links: Links = Field(
        default_factory=Links, description="Other places the paper lives. Leave a link empty (null) when there is none."
    )
    aliases: list[str] = Field(default_factory=list, description="Former ids of this record; each becomes a redirect.")
    canonical: bool = Field(default=False, description="Always show hub sections, whatever the citation count.")
    bibtex_key: str = Field(default="", description="Key of the entry in `records/*.bib` to take metadata from.")
    reported: list[SourceReport] = Field(default_factory=list, description="What outside sources report.")
    source_flags: dict[PaperTextField, SourceFlag] = Field(
        default_factory=dict, description="Fields whose text is cut off or doubtful in the source, with the reason."
    )
    status: RecordStatus.type = "active"  # type: ignore[name-defined]
    tombstone: Tombstone | None = Field(
        default=None, description="Only for a withdrawn record: why, when, and which record to read instead."
    )
    added: IsoDate | None = Field(default=None, description="Date the record entered the corpus.")


class ExternalWork(Record):
    """A cited work outside arXiv. File: `records/**/ext-<slug>.yaml`."""

    id: ExternalId
    title: str = Field(min_length=1, description="Title of the work as published.")
    authors: list[str] = Field(default_factory=list, description="Author names in order; empty when unknown.")
    year: int | None = Field(default=None, ge=1500, le=2100, description="Year of publication.")
    venue: str = Field(default="", description="Where it appeared, e.g. a journal, a conference or a publisher.")
    links: Links = Field(
        default_factory=Links, description="Where the work can be read. Leave a link empty (null) when there is none."
    )


class VerificationRecord(Record):
    paper_level: VerificationLevel.type  # type: ignore[name-defined]
    label: str = Field(description="Short label for the level, as shown on the page.")
    source_grounded_claims: int = Field(ge=0, description="Number of claims tied to parsed source sections.")
    claim_record_source: str = Field(description="Where the claim counts are recorded.")


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
    description: str = Field(min_length=1, description="What the event corrects, in a sentence.")
    claim_id: str = Field(default="", description="The claim the event changes, if any.")


class CorrectionRecord(Record):
    status: CorrectionStatus.type  # type: ignore[name-defined]
    correction_count: int = Field(ge=0, description="Must equal the number of events in `corrections`.")
    manifest_contract: str = Field(default="", description="The contract the report manifest follows.")
    correction_contract: str = Field(default="", description="The contract correction events follow.")
    corrections: list[CorrectionEvent] = Field(
        default_factory=list, description="Correction events, oldest first; never remove one."
    )

    @model_validator(mode="after")
    def _count_matches_events(self) -> CorrectionRecord:
        if self.correction_count != len(self.corrections):
            raise PydanticCustomError(
                "correction-count-mismatch",
                "correction_count is {count} but {events} correction event(s) are listed",
                {"count": self.correction_count, "events": len(self.corrections)},
            )
        return self


class LevelLabel(Record):
    level: ProvenanceLevel.type  # type: ignore[name-defined]
    label: str = Field(description="Short label for the level.")


class Provenance(Record):
    publisher: str = Field(description="Who published the report.")
    public_provenance: LevelLabel = Field(description="The verification level that can be checked publicly.")
    report_artifact: str = Field(description="Where the report itself is archived.")
    external_record: str = Field(description="The external archival record of the report.")
    claim_lineage: str = Field(description="Where each claim's lineage to its source is recorded.")
    review_method: str = Field(description="How the report was reviewed.")
    quality_guide: str = Field(default="", description="The quality guide the review followed, if any.")
    provenance_contract: str = Field(description="The contract the provenance data follows.")
    note: str = Field(default="", description="Anything else a reader should know about the provenance.")


class Synthesis(Record):
    """One synthesis report. File: `records/**/SRCH-<code>.yaml`."""

    id: SynthesisId
    title: str = Field(min_length=1, description="Title of the synthesis report.")
    abstract: str = Field(default="", description="Short summary of the report.")
    research_question: str = Field(min_length=1, description="The question the synthesis answers, in one sentence.")
    taxonomy: list[Slug] = Field(default_factory=list, description="Category slugs from `records/taxonomy.yaml`.")
    papers: list[str] = Field(default_factory=list, description="Ids of corpus papers the synthesis concerns.")
    verification_level: VerificationRecord = Field(description="How far the report was verified.")
    quality_tier: QualityTierRecord = Field(description="Triage tier and the reason for it.")
    quality_dimensions: QualityDimensions = Field(description="Rating of each quality dimension.")
    correction_record: CorrectionRecord = Field(description="Correction history; corrections are only ever added.")
    provenance: Provenance = Field(description="Who published the report and where its artifacts are.")
    source_flags: dict[SynthesisTextField, SourceFlag] = Field(
        default_factory=dict, description="Fields whose text is cut off or doubtful in the source, with the reason."
    )
    aliases: list[str] = Field(default_factory=list, description="Former ids of this record; each becomes a redirect.")
    added: IsoDate | None = Field(default=None, description="Date the record entered the corpus.")


class Category(Record):
    slug: Slug = Field(description="Category slug; the page is `/taxonomy/<slug>/`.")
    title: str = Field(min_length=1, description="Title of the category.")
    description: str = Field(default="", description="What the category covers, in a sentence or two.")
    parent: Slug | None = Field(default=None, description="The one parent category (or use `parents`).")
    parents: list[Slug] = Field(
        default_factory=list,
        description="Several parent categories: the taxonomy is a DAG, and the category appears under each.",
    )

    @property
    def parent_slugs(self) -> tuple[str, ...]:
        """Every parent, whether written `parent: a` or `parents: [a, b]`, without repeats."""
        return tuple(dict.fromkeys([*([self.parent] if self.parent else []), *self.parents]))


class Taxonomy(Record):
    """The category tree. File: `records/taxonomy.yaml`."""

    categories: list[Category] = Field(description="Every category, each with its slug, title and parent(s).")


class Retraction(Record):
    id: str = Field(description="arXiv id of the retracted or withdrawn paper.")
    kind: Literal["retracted", "withdrawn"] = Field(
        description="Whether the source lists the paper as `retracted` or as `withdrawn`."
    )
    source: str = Field(min_length=1, description="Where the retraction was seen.")
    date: IsoDate
    note: str = Field(default="", description="Anything else the source says about the retraction.")


class RetractionSnapshot(Record):
    """Committed offline list of retractions. File: `records/retractions.yaml`."""

    retractions: list[Retraction] = Field(
        default_factory=list, description="Retracted or withdrawn papers, as seen at the source on the date given."
    )


# --- claim ledgers -------------------------------------------------------------


def _cell_vocabulary(vocabulary: Vocabulary, separator: str, stripped: bool) -> AfterValidator:
    """A ledger cell whose part before the first `separator` must be a value of `vocabulary`, reported like
    any enum field: `in-scope: taxonomy category match` (as written), `pass; full-text verified` (`stripped`)."""

    def check(cell: str) -> str:
        value = cell.partition(separator)[0]
        value = value.strip() if stripped else value
        if value not in vocabulary.values:
            raise PydanticCustomError(
                "literal_error",
                "{value!r} is not an allowed value",
                {"value": value, "expected": list(vocabulary.values)},
            )
        return cell

    return AfterValidator(check)


class LedgerRow(BaseModel):
    """One row of a claim ledger (`ledgers/*.csv`), every cell the text as written.

    The ledger's columns, their order in a new ledger, the data-release column docs, the methodology page
    and `schema/ledger.table-schema.json` all come from these fields.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    paper_id: PaperId = Field(
        description="Paper id of the paper the claim is about; for arXiv, with the version read (`2503.23007v1`)."
    )
    claim: str = Field(pattern=r"\S", description="The claim, worded as in the paper.")
    claim_status: ClaimStatus.type  # type: ignore[name-defined]
    evidence_status: EvidenceStatus.type  # type: ignore[name-defined]
    source_depth: SourceDepth.type  # type: ignore[name-defined]
    source_quote: str = Field(description="Verbatim quote from the source that backs the claim.")
    page_or_section: str = Field(description="Where the quote is, e.g. `p4` or `§3.1`.")
    taxonomy_fit: Annotated[str, _cell_vocabulary(TaxonomyFitVerdict, ":", stripped=False)] = Field(
        description=TaxonomyFitVerdict.doc,
        json_schema_extra={"vocabulary": "taxonomy_fit", "written": "verdict: reason", "separator": ":"},
    )
    audit_status: Annotated[str, _cell_vocabulary(AuditResult, ";", stripped=True)] = Field(
        description=AuditResult.doc,
        json_schema_extra={
            "vocabulary": "audit_status",
            "written": "result; note; key=value",
            "separator": ";",
            "stripped": True,
        },
    )
    claim_id: ClaimIdCell = Field(
        default="",
        description="Permanent claim id (`c-` and hex), filled in once by `kb ids`; never reused. "
        "Empty in a new row until `kb ids` runs.",
    )
    category: SlugCell = Field(
        default="", description="Taxonomy slug the claim belongs to, when narrower than the paper's."
    )


LEDGER_COLUMN_DOCS: dict[str, str] = {
    name: info.description or "" for name, info in LedgerRow.model_fields.items() if info.is_required()
}
OPTIONAL_LEDGER_COLUMNS: dict[str, str] = {
    name: info.description or "" for name, info in LedgerRow.model_fields.items() if not info.is_required()
}
LEDGER_COLUMNS: tuple[str, ...] = tuple(LEDGER_COLUMN_DOCS)


@dataclass(frozen=True)
class LedgerMeta:
    """A ledger's own title, description and sources, as its Frictionless Data Package descriptor
    (`ledgers/datapackage.json`) gives them; shown on the claim explorer and the data page."""

    path: str  # repository-relative, e.g. `ledgers/moe-ffn.csv`
    name: str
    title: str
    description: str
    sources: tuple[str, ...]  # source titles, verbatim
    schema: str  # the Table Schema the descriptor names, as written


"""The required columns, in the order a new ledger lists them; any order is read."""


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

    claim_id: ClaimId
    paper_id: PaperId
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

    @functools.cached_property
    def paper_base(self) -> str:
        """Cached: pages, checks and `kb serve` ask it about a million times at 100,000 claims."""
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
