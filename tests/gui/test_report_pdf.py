"""The impact report printed to PDF: the estimates table spans the page with readable columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from learnalytics_desktop.core.impact import analyze_impact, render_report_html
from learnalytics_desktop.core.impact.report import ESTIMATE_WIDTHS


@pytest.fixture(scope="module")
def report_html():
    rng = np.random.default_rng(1)
    n = 120
    risk = rng.uniform(0, 1, n)
    treated = (risk > 0.5) ^ (rng.random(n) < 0.2)
    grade = 60 - 20 * risk + 3 * treated + rng.normal(0, 8, n)
    df = pd.DataFrame(
        {
            "group": np.where(treated, "treated", "control"),
            "final_grade": grade,
            "risk_score": risk,
            "active_days": rng.poisson(20 - 10 * risk),
        }
    )
    result = analyze_impact(
        df, outcome="final_grade", covariates=["risk_score", "active_days"], randomised=False, n_boot=100
    )
    return render_report_html(result)


def _estimate_table(doc):
    from PySide6.QtGui import QTextCursor

    cursor = QTextCursor(doc)
    while not cursor.atEnd():
        table = cursor.currentTable()
        if table is not None and table.cellAt(0, 0).firstCursorPosition().block().text() == "Estimate":
            return table
        cursor.movePosition(QTextCursor.MoveOperation.NextBlock)
    raise AssertionError("no estimates table in the report")


def test_estimates_table_has_page_wide_columns_in_the_pdf(qapp, report_html):
    from learnalytics_desktop.gui.report_pdf import RESOLUTION, _Pages, html_to_pdf

    assert sum(ESTIMATE_WIDTHS) == 100
    pages = _Pages(report_html, RESOLUTION)
    table = _estimate_table(pages.doc)
    layout = pages.doc.documentLayout()
    page_width = pages.body.width()
    frame = layout.frameBoundingRect(table)
    assert frame.width() > 0.95 * page_width  # the table spans the text area

    def cell_width(col):
        block = table.cellAt(1, col).firstCursorPosition().block()
        return layout.blockBoundingRect(block).width()

    # the labels' column is the one of the widths asked for, not a narrow strip
    assert cell_width(0) > 0.25 * page_width
    assert cell_width(5) > 0.25 * page_width
    # every label breaks only between words: no line of a label cell ends inside a word
    for row in range(1, table.rows()):
        block = table.cellAt(row, 0).firstCursorPosition().block()
        text, lines = block.text(), block.layout()
        for i in range(lines.lineCount() - 1):
            end = lines.lineAt(i).textStart() + lines.lineAt(i).textLength()
            assert text[end - 1] in " -" or not text[end - 1].isalnum() or not text[end].isalnum(), (
                row,
                text,
            )
    assert html_to_pdf(report_html).startswith(b"%PDF")


def _heading_pages(doc):
    """(heading text, its page, the next block's page) for every heading of the document."""
    layout, height = doc.documentLayout(), doc.pageSize().height()
    out, block = [], doc.begin()
    while block.isValid():
        nxt = block.next()
        if block.blockFormat().headingLevel() and nxt.isValid():
            top = layout.blockBoundingRect(block).top()
            out.append((block.text(), int(top // height), int(layout.blockBoundingRect(nxt).top() // height)))
        block = nxt
    return out


@pytest.mark.parametrize("filler", range(0, 60, 3))
def test_headings_stay_with_their_content_across_page_breaks(qapp, filler):
    from learnalytics_desktop.gui.report_pdf import RESOLUTION, _Pages

    # paragraphs of growing length push each heading through every position on the page
    html = "<html><body>" + "<p>Filler line.</p>" * filler
    for k in range(12):
        html += f"<h2>Section {k}</h2>" + "<table><tr><td>cell</td></tr></table>" + "<p>text</p>" * 6
    html += "</body></html>"
    pages = _Pages(html, RESOLUTION)
    found = _heading_pages(pages.doc)
    assert len(found) == 12
    for text, page, next_page in found:
        assert page == next_page, f"{text} ends page {page + 1}; its content starts on page {next_page + 1}"
