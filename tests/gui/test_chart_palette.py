"""Charts follow the palette: white under a light theme, the palette's own colours under a
dark one (never a white block in a dark window)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from learnalytics_desktop.gui import charts


def dark_palette() -> QPalette:
    pal = QPalette()
    pal.setColor(QPalette.ColorRole.Window, QColor("#202124"))
    pal.setColor(QPalette.ColorRole.Base, QColor("#17181a"))
    pal.setColor(QPalette.ColorRole.Text, QColor("#e8e8e8"))
    pal.setColor(QPalette.ColorRole.WindowText, QColor("#e8e8e8"))
    return pal


def test_light_palette_keeps_white_charts(qapp):
    light = QPalette()
    light.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
    assert charts.palette_colours(light) == ("#ffffff", "#222222")


def test_a_dark_palette_gives_dark_charts_with_light_text(qtbot, qapp):
    old = QApplication.palette()
    try:
        QApplication.setPalette(dark_palette())
        charts.configure(force=True)
        plot = charts.make_plot("Weekly engagement", "Week", "Score")
        qtbot.addWidget(plot)
        assert plot.backgroundBrush().color().name() == "#17181a"
        assert charts.AXIS_TEXT == "#e8e8e8"
        title = plot.getPlotItem().titleLabel.item.defaultTextColor().name()
        axis = plot.getPlotItem().getAxis("left").textPen().color().name()
        assert title == axis == "#e8e8e8"
    finally:
        QApplication.setPalette(old)
        charts.configure(force=True)
    assert charts.palette_colours()[0] == charts.BACKGROUND
