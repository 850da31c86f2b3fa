"""HTML to PDF with Qt's own text engine (QTextDocument printed on a QPdfWriter), offline.

The impact report is one HTML string (``core.impact.report`` keeps to what QTextDocument
renders: tables, headings, simple CSS, images as ``data:`` URIs). :func:`html_to_pdf` lays it
out on A4 pages with page numbers and returns the PDF bytes; :func:`write_pdf` writes them
atomically (``core.export.atomic_write_bytes``: a crash leaves the old file or the new one,
never half a PDF).

Run it on the GUI thread: QTextDocument and QPdfWriter use fonts, which Qt only guarantees
there. Laying out a report of a few pages takes well under a second.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QFont,
    QGuiApplication,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextCursor,
    QTextDocument,
)

RESOLUTION = 300  # dots per inch of the PDF's coordinate system
MARGIN_MM = 18.0
FOOTER_PT = 8


def screen_dpi() -> float:
    """The logical dots per inch QTextDocument lays fonts out with (96 without a screen)."""
    screen = QGuiApplication.primaryScreen()
    dpi = screen.logicalDotsPerInch() if screen is not None else 0.0
    return float(dpi) if dpi and dpi > 0 else 96.0


def _page_layout() -> QPageLayout:
    return QPageLayout(
        QPageSize(QPageSize.PageSizeId.A4),
        QPageLayout.Orientation.Portrait,
        QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM),
        QPageLayout.Unit.Millimeter,
    )


def keep_headings_with_content(doc: QTextDocument) -> int:
    """Move every heading that would end a page away from its content to the next page.

    Qt's text engine knows ``page-break-before`` but not "keep with next", so after laying
    the document out we look at each heading: when the block after it starts on a later page,
    the heading gets a page break before it and the layout is redone. Returns how many
    headings were moved.
    """
    from PySide6.QtGui import QTextFormat

    height = doc.pageSize().height()
    if height <= 0:
        return 0
    layout = doc.documentLayout()
    moved = 0
    block = doc.begin()
    while block.isValid():
        following = block.next()
        if block.blockFormat().headingLevel() > 0 and following.isValid():
            top = layout.blockBoundingRect(block).top()
            nxt = layout.blockBoundingRect(following).top()
            if int(nxt // height) > int(top // height):
                fmt = block.blockFormat()
                fmt.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
                cursor = QTextCursor(block)
                cursor.setBlockFormat(fmt)
                moved += 1
        block = following
    return moved


class _Pages:
    """The document laid out on the A4 text area, and how to paint each page at
    ``dpi`` (the PDF and the preview image share this, so the preview shows the PDF)."""

    def __init__(self, html: str, dpi: int) -> None:
        self.dpi = dpi
        self.paint_rect = _page_layout().paintRectPixels(dpi)
        self.footer = int(dpi * FOOTER_PT / 72 * 2.2)  # room for one footer line
        # QTextDocument measures fonts in the screen's logical pixels (a 10 pt font is 13.3
        # units at 96 dpi), so one document unit is 1/screen_dpi inch on paper.
        self.scale = dpi / screen_dpi()
        self.doc = QTextDocument()
        self.doc.setDocumentMargin(0)
        font = QFont()
        font.setPointSizeF(10)
        self.doc.setDefaultFont(font)
        self.body = QSizeF(
            self.paint_rect.width() / self.scale, (self.paint_rect.height() - self.footer) / self.scale
        )
        self.doc.setPageSize(self.body)
        self.doc.setHtml(html)
        keep_headings_with_content(self.doc)
        self.count = max(1, self.doc.pageCount())

    def paint(self, painter: QPainter, number: int, title: str) -> None:
        """Paint page ``number`` (0-based) with its footer; (0, 0) is the text area's corner."""
        h = self.body.height()
        painter.save()
        painter.scale(self.scale, self.scale)
        painter.translate(QPointF(0, -number * h))
        self.doc.drawContents(painter, QRectF(0, number * h, self.body.width(), h))
        painter.restore()
        painter.save()
        footer_font = QFont(self.doc.defaultFont())
        footer_font.setPointSizeF(FOOTER_PT)
        painter.setFont(footer_font)
        painter.setPen(Qt.GlobalColor.darkGray)
        box = QRectF(
            0, self.paint_rect.height() - self.footer * 0.6, self.paint_rect.width(), self.footer * 0.6
        )
        painter.drawText(
            box,
            int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
            f"{title} · page {number + 1} of {self.count}",
        )
        painter.restore()


def html_to_pdf(html: str, *, title: str = "Report", creator: str = "Learnalytics Desktop") -> bytes:
    """Render ``html`` to an A4 PDF (page numbers in the footer); returns the file's bytes."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setTitle(title)
    writer.setCreator(creator)
    writer.setResolution(RESOLUTION)
    writer.setPageLayout(_page_layout())
    pages = _Pages(html, RESOLUTION)
    painter = QPainter()
    if not painter.begin(writer):
        buffer.close()
        raise OSError("Could not start the PDF (the PDF writer refused to paint).")
    try:
        for number in range(pages.count):
            if number:
                writer.newPage()
            pages.paint(painter, number, title)
    finally:
        painter.end()
        buffer.close()
    return bytes(data.data())


def preview_page(html: str, number: int = 0, *, title: str = "Report", dpi: int = 96) -> QImage:
    """Page ``number`` as the PDF lays it out, as an image with the page margins (for a look
    at the PDF without a PDF viewer: tests and screenshots)."""
    pages = _Pages(html, dpi)
    full = _page_layout().fullRectPixels(dpi)
    image = QImage(full.width(), full.height(), QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    try:
        painter.translate(pages.paint_rect.left(), pages.paint_rect.top())
        pages.paint(painter, min(number, pages.count - 1), title)
    finally:
        painter.end()
    return image


def write_pdf(path: str | os.PathLike[str], html: str, *, title: str = "Report") -> Path:
    """Write ``html`` as a PDF to ``path`` atomically; returns the path."""
    from learnalytics_desktop.core.export import atomic_write_bytes

    return atomic_write_bytes(path, html_to_pdf(html, title=title))


__all__ = ["keep_headings_with_content", "html_to_pdf", "preview_page", "write_pdf"]
