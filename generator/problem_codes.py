"""The registry of problem codes: every code `kb` can print, documented once.

`Problems.add` refuses a code that is not listed here, tests fail when the
source raises an unlisted code, and the site's Problems page and the README's
"What the validator catches" are generated from this list.

To add a code, append a `Code(...)` to the section of its stage:

    Code("dag-cycle", ERROR, "links",
         message="<what> forms a cycle: <a> -> <b> -> <a>",
         hint="break the cycle by removing one of the links",
         explanation="One paragraph: what the check protects and why it matters to a reader."),

`message` is a template of what the contributor sees (`<…>` marks the parts that
vary); `hint` is the usual hint. The code itself is stable: rename one only by
keeping the old name in `aliases`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


ERROR, WARNING = Severity.ERROR, Severity.WARNING

STAGES: dict[str, str] = {
    "files": "Files and folders",
    "yaml": "YAML syntax",
    "text": "Text in records and ledgers",
    "records": "Records",
    "ledgers": "Claim ledgers",
    "bibtex": "BibTeX",
    "links": "References between records",
    "publishing": "Publishing: quotes, corrections, URLs",
    "settings": "Settings",
    "content": "Content pages",
    "fmt": "`kb fmt`",
}


@dataclass(frozen=True)
class Code:
    """One problem code: what it says, what to do, and why the check exists."""

    code: str
    severity: Severity
    stage: str
    message: str
    hint: str
    explanation: str
    aliases: tuple[str, ...] = ()


class UnregisteredProblemCodeError(LookupError):
    """A stage raised a code that generator/problem_codes.py does not list: a bug in `kb`, not in the data."""


_CODES: tuple[Code, ...] = (
    # --- files ------------------------------------------------------------------------------------
    Code(
        "file-symlink", ERROR, "files",
        message="symbolic links are not allowed here (points to <target>)",
        hint="commit the file itself",
        explanation="A symbolic link under `records/` or `ledgers/`, or either folder being a link, could make the "
        "build read files from outside the repository. Links are refused and never followed.",
    ),
    Code(
        "file-unknown-type", ERROR, "files",
        message="`<name>` is not a record, ledger or bibliography",
        hint="records are .yaml, ledgers .csv, bibliographies .bib, source texts records/sources/*.txt",
        explanation="Every file under `records/` and `ledgers/` is either used or reported, so a record saved "
        "with the wrong extension is never silently left out of the site.",
    ),
    Code(
        "file-yml-extension", WARNING, "files",
        message="record uses the `.yml` extension",
        hint="rename it to `.yaml`; it is read all the same",
        explanation="Records use one extension so that tools and globs find them all; a `.yml` record is still "
        "read.",
    ),
    Code(
        "file-too-large", ERROR, "files",
        message="file is <size> bytes; the limit is <limit>",
        hint="split it",
        explanation="A record over 1 MB or a ledger over 20 MB is refused before it is parsed, so one oversized "
        "or hostile file cannot exhaust memory or time.",
    ),
    Code(
        "encoding", ERROR, "files",
        message="not UTF-8: byte <0x..> at offset <n>",
        hint="save the file as UTF-8 (Excel: 'CSV UTF-8'); Windows-1252 quotes and dashes are the usual cause",
        explanation="Records and ledgers are read as UTF-8 (a byte-order mark is allowed). Bytes in another "
        "encoding would show as garbage on the site, so the file is refused and the line of the first bad byte "
        "is named.",
        aliases=("csv-encoding",),
    ),
    # --- YAML syntax ------------------------------------------------------------------------------
    Code(
        "yaml-syntax", ERROR, "yaml",
        message="<what the YAML parser found>, e.g. this quoted value is never closed (the file ends at line <n>)",
        hint='a value containing `: ` must be quoted, e.g. title: "Topic: subtitle"',
        explanation="The file is not valid YAML: an unquoted `: `, a tab used for indentation or an unclosed "
        "quote. The location is where the problem starts, not where the parser gave up.",
    ),
    Code(
        "yaml-multiple-documents", ERROR, "yaml",
        message="a record file holds exactly one YAML document",
        hint="remove the `---` separator and split the records into files",
        explanation="Each record has its own file, named after its id, so a `---` separator that starts a "
        "second document is refused rather than silently ignored.",
    ),
    Code(
        "yaml-empty", ERROR, "yaml",
        message="the file is empty",
        hint="add the record's fields, or delete the file",
        explanation="An empty record file would publish nothing; it is reported so it is filled or removed.",
    ),
    Code(
        "yaml-duplicate-key", ERROR, "yaml",
        message="duplicate key `<key>` (first set on line <n>)",
        hint="keep one of the two; YAML would silently use the last",
        explanation="Most YAML readers keep the last of two equal keys without a word; records refuse the "
        "duplicate, at any depth, so no value is lost unnoticed.",
    ),
    Code(
        "yaml-tag", ERROR, "yaml",
        message="tags such as <tag> are not allowed in records",
        hint="remove the tag; quote the value if it must be text",
        explanation="Tags (`!!python/object`, `!!binary`, …) can ask a YAML reader to build objects or run "
        "code. Records never need them, so the first one is refused.",
    ),
    Code(
        "yaml-anchor", ERROR, "yaml",
        message="anchors (&<name>) are not allowed in records",
        hint="remove the anchor",
        explanation="Anchors and aliases let one value be repeated, which is how alias bombs blow up memory. "
        "They are refused at the first one, before anything is built.",
    ),
    Code(
        "yaml-alias", ERROR, "yaml",
        message="aliases (*name) are not allowed in records",
        hint="write the value out in full",
        explanation="See `yaml-anchor`: every value in a record is written out where it is used.",
    ),
    Code(
        "yaml-merge-key", ERROR, "yaml",
        message="merge keys (<<) are not allowed",
        hint="write the keys out",
        explanation="Merge keys copy fields from elsewhere in the file, so a field's value would not be where "
        "it is read. Records spell every field out.",
    ),
    Code(
        "yaml-key", ERROR, "yaml",
        message="a key must be plain text, not a list or mapping",
        hint="write `field: value`; a `?` or `[` before the colon makes a complex key",
        explanation="Field names are plain words; a complex key is almost always a typo.",
    ),
    Code(
        "yaml-too-deep", ERROR, "yaml",
        message="values are nested more than <n> levels deep",
        hint="records nest a few levels at most; check the brackets and indentation",
        explanation="Records nest four levels at most; deeper input is refused before it can exhaust the stack.",
    ),
    Code(
        "yaml-value-too-large", ERROR, "yaml",
        message="value is <n> characters long; the limit is 50,000",
        hint="keep long texts out of records: quote only what the page needs",
        explanation="No field of a record needs more than 50,000 characters (arXiv abstracts stay under 2,000); "
        "the limit keeps pages and the search index a sensible size.",
    ),
    Code(
        "yaml-implicit-type", ERROR, "yaml",
        message="YAML reads the unquoted value `<raw>` as a <type>",
        hint='quote it: "<raw>"',
        explanation="Unquoted `no`, `off`, `yes`, `1.10` or `2025-01-01` are read by YAML as booleans, numbers "
        "or dates, so a title of `No` would become `false`. Text fields must hold text as written.",
    ),
    Code(
        "text-control-char", ERROR, "text",
        message="text contains control characters (<U+0000>)",
        hint="delete them; they are invisible in editors and invalid on web pages",
        explanation="Control characters such as NUL, ESC or BEL are invisible in an editor and invalid in HTML "
        "and XML. Tab and newline are allowed.",
    ),
    Code(
        "text-invisible-char", WARNING, "text",
        message="text contains invisible control characters (<U+202E>)",
        hint="they are shown as visible codes on the site; delete them unless they are intended",
        explanation="Bidirectional overrides and zero-width characters can make text read differently from "
        "what it is (the 'trojan source' trick). They are kept, but shown on the site as visible `U+…` codes.",
    ),
    # --- records ----------------------------------------------------------------------------------
    Code(
        "record-not-mapping", ERROR, "records",
        message="a record must be a mapping of `field: value` lines",
        hint='start with the id, e.g. `id: "2503.23007"`',
        explanation="A record file holds one mapping of fields; a list or a bare value cannot be a record.",
    ),
    Code(
        "id-invalid", ERROR, "records",
        message="<value> is not a paper id",
        hint="use an arXiv id (`2503.23007`, old style `hep-th/9901001`), `doi:10.1145/…`, `openreview:<id>` "
        "or `acl:<Anthology id>`; external works use `ext:slug`",
        explanation="An id names the page's URL and the record's file. Anything that is not exactly a paper id "
        "(arXiv, `doi:`, `openreview:` or `acl:`), `SRCH:` or `ext:` id is refused before it can become a path, "
        "including `../`, backslashes and invisible characters. In a ledger, an arXiv `paper_id` carries the "
        "version read, e.g. `2503.23007v1`.",
    ),
    Code(
        "id-not-canonical", ERROR, "records",
        message="<id> is not written in its canonical form",
        hint='write id: "<canonical id>"',
        explanation="One paper must have one id and one URL. DOIs are case-insensitive, so a `doi:` id is kept in "
        "lower case; a DOI of the form `10.48550/arXiv.<id>` is an arXiv paper and takes its arXiv id.",
    ),
    Code(
        "file-name-mismatch", WARNING, "records",
        message="the file of the record `<id>` is named `<name>`",
        hint="rename it to `<expected>.yaml`",
        explanation="A record's file is named after its id (`:` written `-`, `/` written `_`, DOI characters "
        "outside a-z 0-9 . - as `_` and two hex digits), so a reader can find a record's file from its URL, and a "
        "file that holds another record's id stands out in review.",
    ),
    Code(
        "id-unquoted", ERROR, "records",
        message="YAML reads the unquoted id `<raw>` as a number",
        hint='quote it: id: "<raw>"',
        explanation="Unquoted, `2409.02060` is a number to YAML and `2409.1000` loses its trailing zero; ids are "
        "always quoted.",
    ),
    Code(
        "id-versioned", ERROR, "records",
        message="paper id `<id>` carries a version",
        hint='one record per paper: id: "<base>" and versions: ["<version>"]',
        explanation="A paper has one record and one page whatever its arXiv version; the versions read go in "
        "`versions`.",
    ),
    Code(
        "id-duplicate", ERROR, "records",
        message="id `<id>` is used by both <first file> and <second file>; <second file> is left out",
        hint="each record needs its own id; the record with this id belongs in `<expected>.yaml`",
        explanation="Two records with one id would compete for the same page; the second is refused.",
    ),
    Code(
        "field-missing", ERROR, "records",
        message="required field `<field>` is missing",
        hint="add `<field>:`",
        explanation="The record's schema (see `schema/`) requires the field; the message names it.",
    ),
    Code(
        "field-null", ERROR, "records",
        message="`<field>` is empty",
        hint="give it a value, or remove the line if it is optional",
        explanation="A field written with no value is null in YAML; a required field must have a value, and an "
        "optional one can simply be left out.",
    ),
    Code(
        "field-empty", ERROR, "records",
        message="`<field>` is empty",
        hint="give it a value",
        explanation="The field is written as empty text, but a page cannot be published without it (a title, "
        "for example).",
    ),
    Code(
        "field-type", ERROR, "records",
        message="`<field>` must be <expected>, not <found>",
        hint="write it as a list, or remove the quotes around a number or true/false",
        explanation="Each field has one type (text, whole number, true/false, list, mapping). Values are taken "
        "as written and never converted, so `\"2024\"` is not a year.",
    ),
    Code(
        "field-unknown", ERROR, "records",
        message="unknown field `<field>`",
        hint="did you mean `<closest field>`?",
        explanation="A misspelt field (`summery`) would otherwise be ignored and its text never published. The "
        "hint names the closest allowed field.",
    ),
    Code(
        "field-pattern", ERROR, "records",
        message="<value> does not have the required form",
        hint="links must start with https://; slugs are lower-case words joined by hyphens, e.g. `moe-routing`",
        explanation="The value must have a fixed form: an https link (so `javascript:` and `data:` links never "
        "reach a page), a DOI without resolver, a slug, a version such as `v1`, a claim id or a record id.",
    ),
    Code(
        "field-invalid", ERROR, "records",
        message="<what is wrong with the value>",
        hint="",
        explanation="A value failed a check of its field not covered by a more specific code; the message says "
        "which.",
    ),
    Code(
        "enum-invalid", ERROR, "records",
        message="'<value>' is not an allowed value",
        hint="did you mean `<closest value>`? (check case and spaces)",
        explanation="The field takes one value from a closed vocabulary (listed on the methodology page). Case "
        "and spaces matter; the hint names the intended value.",
    ),
    Code(
        "date-invalid", ERROR, "records",
        message="'<date>' is not a real calendar date (YYYY-MM-DD)",
        hint='write a real date, quoted, as "YYYY-MM-DD"',
        explanation="Dates are ISO calendar dates; impossible dates such as `2025-02-30` are refused.",
    ),
    Code(
        "correction-count-mismatch", ERROR, "records",
        message="correction_count is <n> but <m> correction event(s) are listed",
        hint="set correction_count to the number of events",
        explanation="A synthesis states how many corrections it has; the count must match the events listed, "
        "so the page never shows two different numbers.",
    ),
    Code(
        "category-duplicate", ERROR, "records",
        message="category `<slug>` is defined twice",
        hint="",
        explanation="Each category slug is one page, `/taxonomy/<slug>/`; the second definition is refused.",
    ),
    Code(
        "ledger-package-invalid", ERROR, "ledgers",
        message="<what is wrong with ledgers/datapackage.json>",
        hint="see https://specs.frictionlessdata.io/data-package/ and the example in ledgers/datapackage.json",
        explanation="`ledgers/datapackage.json` gives each ledger its own title, description and sources, shown "
        "on the claim explorer and the data page. A descriptor that cannot be read, or names a ledger that does "
        "not exist, would leave a ledger without its own words or credit the wrong file.",
    ),
    Code(
        "abstract-duplicate", WARNING, "records",
        message="<synthesis> has the same abstract as <other syntheses>",
        hint="check the source; if it really gives this abstract, keep it and add "
        "`source_flags: {abstract: {suspect: <why>}}` to the record",
        explanation="Two synthesis reports with one abstract word for word usually means a copy error, in the "
        "source or in the record. Each page says which reports share the abstract; the warning stays until a "
        "maintainer has checked the source and flagged the abstract as suspect.",
    ),
    # --- ledgers ----------------------------------------------------------------------------------
    Code(
        "csv-syntax", ERROR, "ledgers",
        message="cannot read the CSV row starting on this line: <reason>",
        hint='a quote inside a quoted cell must be doubled (""), and a quoted cell must end with a quote',
        explanation="The ledger is not valid CSV, most often because of an unbalanced quote. The location is "
        "the physical line where the broken row starts.",
    ),
    Code(
        "csv-empty", ERROR, "ledgers",
        message="the ledger is empty",
        hint="add the header row",
        explanation="A ledger starts with its header row; an empty file is reported rather than skipped.",
    ),
    Code(
        "csv-delimiter", ERROR, "ledgers",
        message="the header uses `;` as delimiter",
        hint="ledgers are comma-separated",
        explanation="Spreadsheets in some locales save CSV with semicolons; ledgers are comma-separated.",
    ),
    Code(
        "csv-unknown-column", ERROR, "ledgers",
        message="unknown column `<name>`",
        hint="did you mean `<closest column>`?",
        explanation="Every header name must be a ledger column (see the ledger schema); a typo would otherwise "
        "drop the column's values.",
    ),
    Code(
        "csv-missing-column", ERROR, "ledgers",
        message="required column `<name>` is missing",
        hint="the header is: paper_id,claim,claim_status,…",
        explanation="The nine required columns must all be in the header, in any order.",
    ),
    Code(
        "csv-duplicate-column", ERROR, "ledgers",
        message="column `<name>` appears twice",
        hint="keep one",
        explanation="With two columns of one name it is unclear which value counts.",
    ),
    Code(
        "csv-header-whitespace", WARNING, "ledgers",
        message="column name `<name>` has surrounding spaces",
        hint="remove them",
        explanation="Spaces around a column name are ignored, but other CSV tools may not ignore them.",
    ),
    Code(
        "csv-line-endings", WARNING, "ledgers",
        message="the ledger uses CR or CRLF line endings",
        hint="run `kb fmt` to rewrite it with \\n line endings",
        explanation="Mixed line endings make every line show as changed in a diff; the ledger is read all the "
        "same.",
    ),
    Code(
        "csv-blank-row", WARNING, "ledgers",
        message="row has no values and is skipped",
        hint="delete the empty row (spreadsheets leave these when a row's contents are cleared)",
        explanation="A row of empty cells holds no claim; it is skipped and reported.",
    ),
    Code(
        "csv-field-count", ERROR, "ledgers",
        message="row has <n> field(s), the header has <m>",
        hint='a cell containing a comma must be quoted: "like, this"',
        explanation="A ragged row cannot be matched to its columns, usually because of an unquoted comma. The "
        "row is left out and named by its physical line.",
    ),
    Code(
        "csv-cell-too-large", ERROR, "ledgers",
        message="cell is <n> characters long; the limit is 50,000",
        hint="quote only the passage that backs the claim",
        explanation="No ledger cell needs more than 50,000 characters; an oversized cell is refused with its "
        "row and column.",
    ),
    Code(
        "cell-empty", ERROR, "ledgers",
        message="`claim` is empty",
        hint="every row states one claim",
        explanation="A ledger row without the claim's text has nothing to publish.",
    ),
    Code(
        "claim-id-invalid", ERROR, "ledgers",
        message="<value> is not a claim id",
        hint="claim ids look like `c-1a2b3c4d`; run `kb ids` to assign one",
        explanation="Claim ids name permanent URLs (`/claims/<id>/`), so they have one fixed form: `c-` and 8 to "
        "12 lower-case hex digits.",
    ),
    Code(
        "claim-id-missing", WARNING, "ledgers",
        message="row has no permanent claim_id yet",
        hint="run `kb ids` to assign one; until then its anchor may change when the text changes",
        explanation="A new row is published under a provisional id derived from its text until `kb ids` writes "
        "a permanent one into the ledger; the provisional id changes when the claim's text does.",
    ),
    Code(
        "claim-id-duplicate", ERROR, "ledgers",
        message="claim id `<id>` is also used at <ledger>:<row>",
        hint="claim ids are never reused: clear this cell and run `kb ids`",
        explanation="A claim id names one claim forever; a copied row must get its own id.",
    ),
    Code(
        "claim-text-duplicate", WARNING, "ledgers",
        message="rows <rows> state the same claim about `<paper>`; without claim ids they share the anchor <id>",
        hint="run `kb ids`: it gives each row its own permanent id (or delete the copy if it is a mistake)",
        explanation="Before `kb ids` runs, a row's anchor is derived from its paper and claim text, so two rows "
        "with the same text (say, one claim with two evidence rows) would share it. This is expected and "
        "harmless once `kb ids` has given each row its own id.",
    ),
    # --- BibTeX -----------------------------------------------------------------------------------
    Code(
        "bib-read", ERROR, "bibtex",
        message="cannot read the BibTeX file: <reason>",
        hint="",
        explanation="The `.bib` file exists but could not be read from disk.",
    ),
    Code(
        "bib-encoding", ERROR, "bibtex",
        message="the file is not UTF-8; nothing was read from it",
        hint='re-save the file as UTF-8 (or write accents as LaTeX, e.g. {\\"u})',
        explanation="BibTeX files are read as UTF-8; a file in another encoding is not read at all rather than "
        "read wrongly.",
    ),
    Code(
        "bib-parse", ERROR, "bibtex",
        message="cannot parse this block (<reason>): `<first line>`",
        hint="check that braces are balanced and that fields are separated by commas",
        explanation="One entry could not be parsed (often unbalanced braces); it is ignored and named by line, "
        "and the rest of the file is still read.",
    ),
    Code(
        "bib-duplicate-key", ERROR, "bibtex",
        message="duplicate entry key `<key>` (first used on line <n>); this entry is ignored",
        hint="give each entry its own key, or delete the copy",
        explanation="Records refer to entries by key, so two entries with one key are ambiguous; the second is "
        "ignored.",
    ),
    Code(
        "bib-duplicate-field", ERROR, "bibtex",
        message="entry `<key>` sets the field(s) <names> more than once; the entry is ignored",
        hint="keep one value for each field",
        explanation="With a field set twice it is unclear which value counts, so the entry is not used.",
    ),
    Code(
        "bib-author-commas", WARNING, "bibtex",
        message="entry `<key>`: names are separated by commas, not `and`; this part is read as <n> authors: <names>",
        hint="separate authors with ` and `; BibTeX itself reads commas as `Last, First`",
        explanation="BibTeX separates authors with `and`. A list joined by commas (a common export quirk) is "
        "split at the commas and reported, so the reading can be checked.",
    ),
    Code(
        "bib-unsafe-url", WARNING, "bibtex",
        message="entry `<key>`: link `<url>` is not an http(s) URL and is not kept",
        hint="use an https:// address",
        explanation="Only http(s) links from BibTeX reach a page; `javascript:` and `data:` links are dropped.",
    ),
    Code(
        "bib-doi", WARNING, "bibtex",
        message="entry `<key>`: `<doi>` is not a DOI and is not kept",
        hint="write the DOI as `10.1234/abc`",
        explanation="A DOI field that is not a DOI would make a broken link; it is dropped.",
    ),
    Code(
        "bib-year", WARNING, "bibtex",
        message="entry `<key>`: year `<text>` has no four-digit year; it is left empty",
        hint="",
        explanation="The year is used for sorting and citations; a year field without one is left empty.",
    ),
    Code(
        "bib-arxiv-id", WARNING, "bibtex",
        message="entry `<key>`: eprint `<value>` is not a valid arXiv id",
        hint="",
        explanation="The entry says it is an arXiv eprint but its id cannot be read, so it cannot be matched to "
        "a paper record.",
    ),
    # --- links ------------------------------------------------------------------------------------
    Code(
        "ref-unknown-paper", ERROR, "links",
        message="unknown paper `<id>`",
        hint="did you mean `<closest id>`? or add a record with `kb new paper <id>`",
        explanation="A ledger row or a synthesis names a paper the corpus has no record of. Claims are only "
        "published on their paper's page, so the paper must exist.",
    ),
    Code(
        "ref-unknown-category", ERROR, "links",
        message="unknown category `<slug>`",
        hint="did you mean `<closest slug>`?",
        explanation="A record, ledger row or category parent names a slug that `records/taxonomy.yaml` does not "
        "define.",
    ),
    Code(
        "ref-unknown-target", ERROR, "links",
        message="unknown cited work `<id>`",
        hint="did you mean `<closest id>`?",
        explanation="A citation's target must be a paper of the corpus or a declared external work "
        "(`records/**/ext-<slug>.yaml`), so that every citation links somewhere.",
    ),
    Code(
        "ref-unknown-bibtex-key", ERROR, "links",
        message="unknown BibTeX key `<key>`",
        hint="did you mean `<closest key>`?",
        explanation="The paper's `bibtex_key` names no entry of `records/*.bib`.",
    ),
    Code(
        "ref-alias", WARNING, "links",
        message="`<old id>` is another id (an alias) of `<new id>`",
        hint="write `<new id><version>` in the ledger",
        explanation="The ledger still uses a paper's former id; the claim is published on the renamed paper's "
        "page all the same.",
    ),
    Code(
        "claim-version-unknown", WARNING, "links",
        message="version `<v>` is not in the record's versions (<versions>)",
        hint="add `<v>` to versions in the paper's record",
        explanation="The ledger says which arXiv version a claim was read in; the paper's record should list "
        "that version.",
    ),
    Code(
        "cite-self", ERROR, "links",
        message="a paper cannot cite itself",
        hint="remove this entry",
        explanation="A self-citation would count a paper among its own citers on hub pages.",
    ),
    Code(
        "tombstone-missing", ERROR, "links",
        message="a withdrawn record needs a tombstone",
        hint="add tombstone: {reason, date, see_instead}",
        explanation="A withdrawn record's URL keeps answering with a tombstone page that says why and where to "
        "read instead; that text comes from the record's `tombstone`.",
    ),
    Code(
        "category-cycle", ERROR, "links",
        message="categories form a cycle: <a> -> <b> -> <a>",
        hint="remove one link of the cycle, e.g. `<a>` from the parents of `<b>`",
        explanation="A category may have several parents (the taxonomy is a DAG), but never be its own "
        "ancestor: breadcrumbs and counts would be endless. The link that closes the cycle is left out.",
    ),
    Code(
        "alias-invalid", ERROR, "links",
        message="<value> is not a paper or SRCH id",
        hint="aliases are other ids of the record (former ids, or a DOI beside an arXiv id)",
        explanation="Each alias becomes a redirect at the URL of the former id, so it must have an id's form.",
    ),
    Code(
        "paper-two-records", ERROR, "links",
        message="this paper's DOI is also the id of the record `<doi id>`: one paper, two records",
        hint="keep one record: move what `<doi id>` holds here and delete it (its URL then redirects here)",
        explanation="A paper known by an arXiv id and a DOI has one record: the DOI in `links.doi` is its second "
        "id, and `/papers/doi/…/` redirects to the record's page. Two records would split its claims.",
    ),
    Code(
        "alias-shadows-record", ERROR, "links",
        message="alias `<alias>` is the id of a live record",
        hint="remove the alias",
        explanation="A redirect cannot stand where a live record's page is.",
    ),
    Code(
        "alias-duplicate", ERROR, "links",
        message="alias `<alias>` is already claimed by <record>",
        hint="",
        explanation="One former id can redirect to one record only.",
    ),
    # --- publishing -------------------------------------------------------------------------------
    Code(
        "quote-not-found", WARNING, "publishing",
        message="the quote of claim `<id>` is not in the source text. <where it diverges>",
        hint="copy the passage exactly from the source; Unicode, ligatures, quote and dash styles, line-break hyphens, "
        "spacing and case are already ignored",
        explanation="When the source text is committed (`records/sources/<id>.txt`, or the record's abstract for "
        "abstract-depth claims), every `source_quote` is looked up in it; the claim page shows the result.",
    ),
    Code(
        "correction-id-duplicate", ERROR, "publishing",
        message="correction event id `<id>` is used twice in <synthesis>",
        hint="event ids are never reused: give this event a new id",
        explanation="Correction events are permanent and referred to by id.",
    ),
    Code(
        "correction-claim-unknown", WARNING, "publishing",
        message="correction event `<id>` names claim `<claim>`, which no ledger row has",
        hint="check the id against the ledger's claim_id column",
        explanation="A correction event that names a claim should name one that exists, or existed.",
    ),
    Code(
        "correction-removed", ERROR, "publishing",
        message="correction event `<id>` (<date>, <type>) of <synthesis> was published in <base> and is missing now",
        hint="corrections are additive: restore the event as published; to amend it, add a new event",
        explanation="Corrections are only ever added: an event, or a synthesis with its history, that was "
        "published on the base branch may not disappear.",
    ),
    Code(
        "correction-rewritten", ERROR, "publishing",
        message="correction event `<id>` of <synthesis> was changed after publication in <base>; changed: <fields>",
        hint="restore the published event and add a new event (e.g. type `clarification`) that corrects it",
        explanation="A published correction event is a public record; amend it with a new event instead.",
    ),
    Code(
        "claim-change-uncorrected", ERROR, "publishing",
        message="published claim `<id>` changed (<what>) since <base> without a correction event",
        hint="add an event with `claim_id: <id>` to the correction_record.corrections of a synthesis record",
        explanation="Readers cite claims by their permanent URL; a published claim whose status or text changes "
        "must say so in a correction event.",
    ),
    Code(
        "base-ref-unknown", ERROR, "publishing",
        message="KB_BASE_REF is set but unusable: <reason>",
        hint="fetch the published branch (`git fetch origin main`) or unset KB_BASE_REF",
        explanation="Corrections are checked against the published state named by `KB_BASE_REF`; when it is set "
        "but cannot be read, the check cannot run and the build says so.",
    ),
    Code(
        "base-unreadable", WARNING, "publishing",
        message="cannot read the published state <base>: <reason>",
        hint="check the repository (`git status`), or set KB_BASE_REF to a commit that exists",
        explanation="The published state could not be read, so correction checks were skipped for this build.",
    ),
    Code(
        "url-lost", ERROR, "publishing",
        message="published URL `<url>` is no longer served by any page, redirect or tombstone",
        hint='if the record was renamed, add `aliases: ["<old id>"]` to the new record; if it was removed, restore '
        "it with `status: withdrawn` and a `tombstone:`",
        explanation="Every URL in `urls.lock` was published and may be cited. It must keep answering: with its "
        "page, a redirect (a record's `aliases`) or a tombstone (`status: withdrawn`).",
    ),
    Code(
        "url-unlocked", WARNING, "publishing",
        message="<n> published URL(s) are not in urls.lock yet: <urls>",
        hint="run `kb check-urls --update` and commit urls.lock",
        explanation="New pages must be added to `urls.lock` so their URLs are protected from then on; "
        "`kb build --strict` fails until they are.",
    ),
    # --- settings ---------------------------------------------------------------------------------
    Code(
        "config-invalid", ERROR, "settings",
        message="must be a whole number of at least 1",
        hint="e.g. 3",
        explanation="A setting under `extra.kb` in `mkdocs.yml` has an impossible value; the default is used.",
    ),
    Code(
        "config-placeholder", WARNING, "settings",
        message="still the placeholder `<value>`",
        hint="set it in mkdocs.yml, or let the deploy workflow fill KB_SITE_URL and KB_REPO_URL from GITHUB_REPOSITORY",
        explanation="Citations, edit links and report links are built from `site_url` and `repo_url`; while they "
        "name the placeholder `example-org`, every one of them points at a site that is not this one. "
        "`kb build --strict` fails until they are real.",
    ),
    # --- kb fmt -----------------------------------------------------------------------------------
    Code(
        "fmt-symlink", ERROR, "fmt",
        message="symbolic link; not followed, left alone",
        hint="",
        explanation="`kb fmt` only rewrites files inside the repository and never follows a link.",
    ),
    Code(
        "fmt-read", ERROR, "fmt",
        message="cannot read: <reason>",
        hint="",
        explanation="The file could not be read from disk, so it was not formatted.",
    ),
    Code(
        "fmt-encoding", ERROR, "fmt",
        message="not UTF-8; left alone",
        hint="re-save as UTF-8",
        explanation="`kb fmt` rewrites only UTF-8 files, so it never changes bytes it cannot read.",
    ),
    Code(
        "fmt-parse", ERROR, "fmt",
        message="<why the file could not be parsed>",
        hint="fix the file by hand, then run `kb fmt`",
        explanation="The file has a problem `kb validate` reports too; `kb fmt` leaves it as it is.",
    ),
    # --- the trust boundary (issue #12): file names, content pages, published history, caps ---------------
    Code(
        "file-name-control-char", ERROR, "files",
        message="the name `<name>` contains control or invisible characters (<U+XXXX>)",
        hint="rename it using letters, digits, `.`, `-` and `_` only",
        explanation="A newline or escape character in a file name forges lines in the build log (GitHub Actions "
        "reads `::` lines as workflow commands) and hides what a pull request changes.",
    ),
    Code(
        "file-name-hidden", ERROR, "files",
        message="`<name>` starts with a dot, which hides it from most file listings",
        hint="rename it without the leading dot, or delete it",
        explanation="Hidden files are easy to miss in a review; nothing under `records/` or `ledgers/` may be one.",
    ),
    Code(
        "file-extension-case", ERROR, "files",
        message="`<name>` has an upper-case extension `<.EXT>`",
        hint="rename it to `<name>.<ext>`: extensions are lower case (.yaml, .csv, .bib, .txt)",
        explanation="One rule for file names is shared by validation, the published-state loader, `kb fmt` and "
        "`kb ids`; a file that one of them skipped could carry published history past the permanence checks.",
    ),
    Code(
        "content-shadows-file", ERROR, "content",
        message="this file has the same path as <theme, override or generated file>, which it would replace",
        hint="rename or move the content file; theme, override and generated files cannot be replaced from content/",
        explanation="A file under `content/` with the path of the site's own script, a theme template or a "
        "generated page would silently replace it on every page.",
    ),
    Code(
        "content-macros-not-allowed", ERROR, "content",
        message="this page asks for macros, but `<page>` is not listed in extra.kb.macro_pages in mkdocs.yml",
        hint="remove `render_macros`, or have a maintainer add the page to extra.kb.macro_pages",
        explanation="Macros are Jinja templates run at build time. Only pages a maintainer listed in mkdocs.yml "
        "run them, in a sandbox; any other page's text is published as written.",
    ),
    Code(
        "url-lock-line-removed", ERROR, "publishing",
        message="published URL `<url>` (listed in urls.lock at <base>) was removed from urls.lock",
        hint="restore the line: urls.lock only grows",
        explanation="urls.lock is compared with the published one, like corrections: deleting a page together "
        "with its lock lines would otherwise pass, and a cited URL would stop answering.",
    ),
    Code(
        "alias-merge-uncorrected", ERROR, "publishing",
        message="`<old>` was a published paper of its own at <base>; its URL now redirects to paper `<new>`",
        hint="keep `<old>` as `status: withdrawn` with `tombstone: see_instead: <new>`, so the page says why",
        explanation="An alias is for a renamed record. Pointing a removed paper's URL at a different, already "
        "published paper would change what a citation resolves to with no record of why.",
    ),
    Code(
        "date-in-future", ERROR, "records",
        message="<field>: <date> is later than the build date <today>",
        hint="use the date the change was made",
        explanation="A future date would pin an entry at the top of the Atom feed and misdate the history.",
    ),
    Code(
        "quote-check-limit", WARNING, "publishing",
        message="the quote check reached its limit of <n> characters scanned; from here on, quotes are not checked",
        hint="this needs very many quotes that almost match very long sources: check the ledgers and records/sources/",
        explanation="The quote check builds one index per source, so a quote with a piece the source lacks costs "
        "no scan of the text; only near matches do, and their total is capped so every build ends in bounded time.",
    ),
    Code(
        "input-too-large", ERROR, "files",
        message="<what> is <size>; the limit is <limit>",
        hint="split or shorten it",
        explanation="Caps on source texts, the number of ledgers and the total input keep every build bounded "
        "in time and memory, whatever a pull request adds.",
    ),
)  # fmt: skip

CODES: dict[str, Code] = {entry.code: entry for entry in _CODES}
ALIASES: dict[str, str] = {alias: entry.code for entry in _CODES for alias in entry.aliases}


def lookup(code: str) -> Code:
    """The registered entry for a code or one of its aliases."""
    entry = CODES.get(code) or CODES.get(ALIASES.get(code, ""))
    if entry is None:
        raise UnregisteredProblemCodeError(f"problem code `{code}` is not listed in generator/problem_codes.py")
    return entry
