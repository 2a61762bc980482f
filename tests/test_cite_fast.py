"""APA strings made from cached templates (cite.ApaFormatter.format) are exactly citeproc's, one run an item
(format_each): over every day of a year, years across 1000-9999, each date shape, text that reads like a stand-in, and
styles that write days as ordinals or with leading zeros (those keep one citeproc run a date)."""

from __future__ import annotations

import datetime
from pathlib import Path
from random import Random
from typing import Any

import pytest

from generator.publish import cite


def item(issued: list[int] | None, n: int = 0, csl_type: str = "dataset", **fields: str) -> dict[str, Any]:
    """A CSL item as cite.render_csl makes it for a claim (with `csl_type` "webpage", for a paper or synthesis)."""
    site = fields.pop("site", "KB")
    return {
        "id": f"kb:claim:c-{n:08x}", "type": csl_type, "title": f"Claim c-{n:08x}",
        "genre": f"Evidence-ledger claim about arXiv:2401.{n:05d}", "author": [{"literal": f"{site} maintainers"}],
        "container-title": site, "publisher": site, "URL": f"https://kb.example/claims/c-{n:08x}/",
        **({"issued": {"date-parts": [issued]}} if issued is not None else {}), **fields,
    }  # fmt: skip


def same_as_citeproc(apa: cite.ApaFormatter, items: list[dict[str, Any]]) -> None:
    assert [apa.format(each) for each in items] == [apa.format_each(each) for each in items]


@pytest.fixture(scope="module")
def apa() -> cite.ApaFormatter:
    return cite.ApaFormatter()


@pytest.mark.parametrize("csl_type", ["dataset", "webpage"])
def test_every_day_of_a_leap_year_reads_as_citeproc_writes_it(apa: cite.ApaFormatter, csl_type: str) -> None:
    first = datetime.date(2024, 1, 1)
    days = [first + datetime.timedelta(days=n) for n in range(366)]
    same_as_citeproc(apa, [item([day.year, day.month, day.day], n, csl_type) for n, day in enumerate(days)])


def test_years_months_and_date_shapes_read_as_citeproc_writes_them(apa: cite.ApaFormatter) -> None:
    years = [1000, 1001, 1099, 1987, 1999, 2000, 2022, 2043, 2222, 9998, 9999, *range(1003, 9999, 397)]
    dates = [[year, month, day] for year in years for month, day in ((1, 1), (2, 22), (12, 31))]
    dates += [[year] for year in years] + [[year, month] for year in years[:6] for month in range(1, 13)]
    # Not slotted: years citeproc writes with "AD"/"BC", impossible days; a range, a literal date, no date.
    dates += [[999, 5, 5], [12, 1, 2], [-44, 3, 15], [2026, 2, 30], [2026, 13, 1], [2026, 0, 1]]
    same_as_citeproc(apa, [item(date, n) for n, date in enumerate(dates)] + [item(None, 1)])
    same_as_citeproc(apa, [item(None, 2) | {"issued": {"date-parts": [[2025, 1, 2], [2026, 1, 9]]}}])
    same_as_citeproc(apa, [item(None, 3) | {"issued": {"literal": "spring 2026"}}])


def test_text_that_reads_like_a_stand_in_is_formatted_as_citeproc_writes_it(apa: cite.ApaFormatter) -> None:
    """Digits of the stand-in dates and tokens in the site name, the release, a title or a URL."""
    texts = ["1987", "22", "2043 1", "KBSLOT0X", "kbslot1x", "{0}", "{", "}}", "Claim 1987-22", "Ends with a period."]
    items = [item([2026, 3, 22], n, site=text) for n, text in enumerate(texts)]
    items += [item([1987, 2, 22], n, version=text) for n, text in enumerate(texts)]
    items += [item([2043, 12, 1], n, title=text) for n, text in enumerate(texts)]
    items += [item([2026, 7, 4], n, URL=f"https://kb.example/{text}/") for n, text in enumerate(texts)]
    same_as_citeproc(apa, items)


@pytest.mark.parametrize(
    ("form", "options"),
    [
        ("ordinal", ""),
        ("numeric-leading-zeros", ""),
        ("ordinal", '<style-options limit-day-ordinals-to-day-1="true"/>'),
    ],
    ids=["ordinal", "leading zeros", "ordinal on day 1 only"],
)
def test_styles_whose_days_are_not_their_digits_format_each_date(tmp_path: Path, form: str, options: str) -> None:
    style = cite.STYLE_PATH.read_text(encoding="utf-8")
    style = style.replace('<date-part name="day" prefix=" "/>', f'<date-part name="day" form="{form}" prefix=" "/>')
    path = tmp_path / "style.csl"
    path.write_text(style.replace("</terms>", f"</terms>{options}"), encoding="utf-8")
    apa = cite.ApaFormatter(path)
    texts = [apa.format(item([2026, 5, day], day)) for day in range(1, 32)]
    assert texts == [apa.format_each(item([2026, 5, day], day)) for day in range(1, 32)]
    assert ("1st" in texts[0]) == (form == "ordinal") and ("2nd" in texts[1]) == (form == "ordinal" and not options)


def test_claims_of_a_year_take_two_citeproc_runs_a_month(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the templates are for: a writer of 100,000 claims dated by hundreds of days formats a few shapes."""
    apa = cite.ApaFormatter()
    runs: list[dict[str, Any]] = []
    format_each = apa.format_each
    monkeypatch.setattr(apa, "format_each", lambda each: runs.append(each) or format_each(each))
    first = datetime.date(2025, 1, 1)
    days = [first + datetime.timedelta(days=n) for n in range(365)]
    texts = [apa.format(item([day.year, day.month, day.day], n)) for n, day in enumerate(days)]
    assert len(runs) == 2 * 12
    assert texts[40] == (
        "KB maintainers. (2025, February 10). Claim c-00000028 [Evidence-ledger claim about arXiv:2401.00040]. KB."
        " https://kb.example/claims/c-00000028/"
    )


def test_text_in_any_script_reads_as_citeproc_writes_it(apa: cite.ApaFormatter) -> None:
    """Letters and digits of any script are slotted; marks at either end, quotes and markup are not."""
    titles = ["Möbius-4: Expert Specialisation", "Gödel-17", "Zéphyr 47", "Straße ß", "İstanbul ı", "ǅemal", "x² Ω",
              "Жук 中文", "e\u0301", "Why?", "¿Qué", "(a)", "a)", "end -", "“q”", "a\u200bb", "Ends.", "tab\tx", "a  b"]  # fmt: skip
    random = Random(7)
    alphabet = "aZ09 .:/_~+#%=,()-éßÖİıǅ²ΩЖ中\u0301\u200b?!;'\"“<>&"
    titles += ["".join(random.choice(alphabet) for _ in range(random.randint(1, 12))) for _ in range(300)]
    same_as_citeproc(apa, [item([2025, 6, n % 28 + 1], n, title=title) for n, title in enumerate(titles)])
    same_as_citeproc(apa, [item([2025, 6, 2], n, site=title) for n, title in enumerate(titles[:40])])


def test_a_site_name_that_reads_like_a_stand_in_date_costs_a_run_a_date_as_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ "Ledger 2022" holds the stand-in day 22: its dates are part of the shape, never one citeproc run a claim."""
    apa = cite.ApaFormatter()
    runs: list[dict[str, Any]] = []
    format_each = apa.format_each
    monkeypatch.setattr(apa, "format_each", lambda each: runs.append(each) or format_each(each))
    items = [item([2025, 1 + n % 2, 1 + n % 5], n, site="Ledger 2022") for n in range(200)]
    texts = [apa.format(each) for each in items]
    assert len(runs) == 2 * 2 + 10  # a failed template a month, then one run a date
    assert texts == [format_each(each) for each in items]
