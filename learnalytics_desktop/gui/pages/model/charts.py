"""The Model page's charts: ROC curve, calibration plot and feature importance.

All three come from the model card (no recomputation): the ROC and calibration points that
``core.model.metrics`` stored for both candidates on out-of-fold predictions, and the
permutation importance of the chosen model. The chosen model is drawn solid, the other
candidate dashed for comparison, with the chance diagonal / perfect-calibration line as a
grey dashed reference; series differ by line style and symbol, not only by colour.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from learnalytics_desktop.gui import charts
from learnalytics_desktop.gui.pages.model.card import KIND_SHORT, feature_label, num

MAX_FEATURES = 12
OTHER = {"hgb": "logreg", "logreg": "hgb"}


class ModelCharts(QWidget):
    """ROC and calibration side by side, feature importance below."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.roc = charts.make_plot(
            "ROC curve (validation)",
            "False-positive rate (not at risk, flagged)",
            "True-positive rate (at risk, found)",
            accessible_name="ROC curve",
        )
        self.calibration = charts.make_plot(
            "Calibration (validation)",
            "Predicted risk (10 equal-size groups)",
            "Observed share at risk",
            accessible_name="Calibration plot",
        )
        self.importance = charts.make_plot(
            "Feature importance",
            "Drop in ROC AUC when shuffled (mean ± sd)",
            "Feature",
            accessible_name="Feature importance chart",
        )
        for plot in (self.roc, self.calibration):
            charts.unit_square(plot)
        self.roc_legend = QLabel()
        self.calibration_legend = QLabel()
        for label, name in (
            (self.roc_legend, "ROC curve legend"),
            (self.calibration_legend, "Calibration legend"),
        ):
            label.setWordWrap(True)
            label.setAccessibleName(name)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(_with_legend(self.roc, self.roc_legend), 0, 0)
        grid.addWidget(_with_legend(self.calibration, self.calibration_legend), 0, 1)
        grid.addWidget(self.importance, 1, 0, 1, 2)
        self.importance.setMinimumHeight(270)
        grid.setRowStretch(0, 1)
        grid.setRowStretch(1, 1)
        self.card: Mapping[str, Any] | None = None
        self.clear("No model to show yet.")

    def clear(self, message: str) -> None:
        """Empty charts with ``message`` in each."""
        self.card = None
        self.roc_legend.setText("")
        self.calibration_legend.setText("")
        for plot in (self.roc, self.calibration, self.importance):
            charts.clear_data(plot)
        for plot in (self.roc, self.calibration):
            charts.unit_square(plot)
            charts.empty_message(plot, message)
        self.importance.getPlotItem().getAxis("left").setTicks(None)
        self.importance.getPlotItem().setYRange(0, 1)
        self.importance.getPlotItem().setXRange(0, 1)
        charts.empty_message(self.importance, message)

    def show_card(self, card: Mapping[str, Any]) -> None:
        """Draw the three charts of ``card``."""
        self.card = card
        for plot in (self.roc, self.calibration, self.importance):
            charts.clear_data(plot)
        validation = card.get("validation") or {}
        chosen = (card.get("chosen") or {}).get("kind", card.get("kind", "hgb"))
        order = [chosen, OTHER.get(chosen, "")]
        styles = {
            chosen: ("blue", Qt.PenStyle.SolidLine, "o", "solid", "●"),
            OTHER.get(chosen, ""): ("vermillion", Qt.PenStyle.DashLine, "t", "dash", "▼"),
        }

        charts.reference_line(self.roc, [0, 1], [0, 1])
        charts.reference_line(self.calibration, [0, 1], [0, 1])
        roc_legend, cal_legend = [], []
        for kind in order:
            m = validation.get(kind)
            if not m:
                continue
            colour, style, symbol, sample, mark = styles[kind]
            tag = " (chosen)" if kind == chosen else ""
            name = KIND_SHORT[kind]
            roc = m.get("roc") or []
            if roc:
                self.roc.plot(
                    [p["fpr"] for p in roc],
                    [p["tpr"] for p in roc],
                    pen=charts.pen(colour, 2.5 if kind == chosen else 1.8, style),
                )
                roc_legend.append((colour, sample, f"{name}{tag}: AUC {num(m.get('roc_auc'), 2)}"))
            cal = [
                p
                for p in m.get("calibration") or []
                if p.get("predicted") is not None and p.get("observed") is not None
            ]
            if cal:
                self.calibration.plot(
                    [p["predicted"] for p in cal],
                    [p["observed"] for p in cal],
                    pen=charts.pen(colour, 2.0 if kind == chosen else 1.5, style),
                    symbol=symbol,
                    symbolSize=8,
                    symbolBrush=charts.color(colour),
                    symbolPen=charts.color(colour),
                )
                cal_legend.append((colour, mark, f"{name}{tag}"))
        self.roc_legend.setText(charts.legend_html([*roc_legend, (charts.GREY, "dash", "chance (AUC 0.50)")]))
        self.calibration_legend.setText(
            charts.legend_html([*cal_legend, (charts.GREY, "dash", "perfect calibration")])
        )
        for plot in (self.roc, self.calibration):
            charts.unit_square(plot)

        features = (card.get("importance") or {}).get("features") or []
        top = features[:MAX_FEATURES]
        if top:
            labels = [feature_label(f["feature"]) for f in top]
            means = [float(f.get("mean") or 0.0) for f in top]
            sds = [float(f.get("sd") or 0.0) for f in top]
            charts.horizontal_bars(self.importance, labels, means, sds, colour="blue")
            lo = min(0.0, min(m - s for m, s in zip(means, sds, strict=True)))
            hi = max(0.01, max(m + s for m, s in zip(means, sds, strict=True)))
            self.importance.getPlotItem().setXRange(lo, hi, padding=0.05)
            title = (
                f"Feature importance: top {len(top)} of {len(features)}"
                if len(features) > len(top)
                else "Feature importance"
            )
            self.importance.getPlotItem().setTitle(title, size=charts.TITLE_SIZE, color=charts.AXIS_TEXT)
        else:
            charts.empty_message(self.importance, "No importance in this card.")


def _with_legend(plot: QWidget, legend: QLabel) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(plot, 1)
    layout.addWidget(legend)
    return box
