"""Settings tab: the weights of the engagement score (``core.features.engagement``).

Each component gets a relative weight (a spin box); the bar beside it shows its share of
the score after renormalisation, which is what the core stores (the weights always sum to
100 %, so the score stays between 0 and 1). Typing 2, 1, 1, 0, 0, 0 is therefore the same as
50 %, 25 %, 25 %: the shares say so before saving.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDoubleSpinBox, QGridLayout, QLabel, QProgressBar, QPushButton, QWidget

from learnalytics_desktop.gui.pages.settings.base import SettingsSection
from learnalytics_desktop.gui.pages.settings.jobs import load_weights, save_weights

# component -> (label, plain explanation); the order is the order shown
COMPONENTS: dict[str, tuple[str, str]] = {
    "regularity_score": ("Regular study", "How evenly the student's active days are spread (0-1)."),
    "video_completion_rate": ("Videos completed", "Share of started videos the student completed."),
    "quiz_avg_score": ("Quiz average", "Mean quiz score (0-1); 0 when no quiz was scored."),
    "forum_posts_normalized": ("Forum posts", "Forum posts, counted up to 20 (20 or more = full marks)."),
    "total_time_normalized": (
        "Study time",
        "Study time relative to the course's top 5 % (as of the same date).",
    ),
    "days_since_last_normalized": (
        "Recent activity",
        "1 when active today, falling to 0 after 14 days without activity.",
    ),
}
DECIMALS = 4
BAR_STEPS = 1000


class WeightsSection(SettingsSection):
    """Relative weight per component, with the renormalised share shown as a bar."""

    key = "weights"
    title = "Engagement weights"

    def __init__(self, page: Any, parent: QWidget | None = None) -> None:
        super().__init__(page, parent)
        intro = QLabel(
            "<b>Engagement score</b> (0 to 1) is a weighted sum of six components, each scaled to 0-1 "
            "(1 = more engaged). Give each component a relative weight: the weights are renormalised to "
            "sum to 100 %, and the bars show each component's share after that. The score is shown on "
            "the Overview, Students at risk and Student pages; it is <i>not</i> a model input, so "
            "changing the weights never changes the risk model."
        )
        intro.setWordWrap(True)
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        for col, text in enumerate(("Component", "What it measures", "Weight", "Share of the score")):
            head = QLabel(f"<b>{text}</b>")
            grid.addWidget(head, 0, col)
        self.spins: dict[str, QDoubleSpinBox] = {}
        self.bars: dict[str, QProgressBar] = {}
        for row, (name, (label, text)) in enumerate(COMPONENTS.items(), start=1):
            caption = QLabel(label)
            spin = QDoubleSpinBox()
            spin.setRange(0.0, 1000.0)
            spin.setDecimals(1)
            spin.setSingleStep(1.0)
            spin.setAccessibleName(f"Weight of {label}")
            spin.setToolTip(f"Relative weight of {label.lower()} ({name})")
            spin.valueChanged.connect(self._spin_changed)
            caption.setBuddy(spin)
            explain = QLabel(text)
            explain.setWordWrap(True)
            bar = QProgressBar()
            bar.setRange(0, BAR_STEPS)
            bar.setMinimumWidth(180)
            bar.setAccessibleName(f"Share of {label}")
            grid.addWidget(caption, row, 0)
            grid.addWidget(explain, row, 1)
            grid.addWidget(spin, row, 2)
            grid.addWidget(bar, row, 3)
            self.spins[name] = spin
            self.bars[name] = bar
        grid.setColumnStretch(1, 1)
        self.total_label = QLabel()
        self.defaults_button = QPushButton("Use the &default weights")
        self.defaults_button.setToolTip(
            "The seed design's weights: 20, 15, 20, 10, 15, 20 (save to keep them)"
        )
        self.defaults_button.clicked.connect(self.use_defaults)
        self.body.addWidget(intro)
        self.body.addSpacing(8)
        self.body.addLayout(grid)
        self.body.addWidget(self.total_label)
        self.body.addStretch(1)
        self._buttons.insertWidget(0, self.defaults_button)

    # -- SettingsSection -------------------------------------------------------------------------
    def load_job(self) -> Any:
        return load_weights

    def save_job(self) -> tuple[Any, tuple[Any, ...]]:
        return save_weights, (self.raw(),)

    def show_value(self, stored: dict[str, float]) -> None:
        for name, spin in self.spins.items():
            spin.blockSignals(True)
            spin.setValue(round(100.0 * float(stored.get(name, 0.0)), 1))
            spin.blockSignals(False)
        self._update_shares()

    def raw(self) -> dict[str, float]:
        """The relative weights as typed."""
        return {name: float(spin.value()) for name, spin in self.spins.items()}

    def value(self) -> dict[str, float]:
        """The shares the typed weights give (what would be stored), rounded."""
        raw = self.raw()
        total = sum(raw.values())
        if total <= 0:
            return {name: 0.0 for name in raw}
        return {name: round(v / total, DECIMALS) for name, v in raw.items()}

    def stored_value(self) -> Any:
        if self.stored is None:
            return None
        shown = {name: round(100.0 * float(self.stored.get(name, 0.0)), 1) for name in self.spins}
        total = sum(shown.values())
        return {name: round(v / total, DECIMALS) if total > 0 else 0.0 for name, v in shown.items()}

    def problems(self) -> list[str]:
        if sum(self.raw().values()) <= 0:
            return ["At least one weight must be above 0 (all zero would give every student the same score)."]
        return []

    def saved_message(self, stored: dict[str, float]) -> str:
        shares = ", ".join(
            f"{COMPONENTS[n][0].lower()} {100 * v:.1f} %" for n, v in stored.items() if n in COMPONENTS
        )
        return f"Saved (renormalised to 100 %): {shares}."

    # -- widgets ---------------------------------------------------------------------------------
    def _spin_changed(self) -> None:
        self._update_shares()
        self.changed()

    def _update_shares(self) -> None:
        raw = self.raw()
        total = sum(raw.values())
        for name, bar in self.bars.items():
            share = raw[name] / total if total > 0 else 0.0
            bar.setValue(round(share * BAR_STEPS))
            bar.setFormat(f"{100 * share:.1f} %")
        self.total_label.setText(
            f"Weights typed add up to {total:g}; shares always add up to 100 %."
            if total > 0
            else "All weights are 0: give at least one component a weight."
        )

    def use_defaults(self) -> None:
        """Put the default weights in the spin boxes (Save keeps them)."""
        from learnalytics_desktop.core.features import DEFAULT_WEIGHTS

        for name, spin in self.spins.items():
            spin.blockSignals(True)
            spin.setValue(round(100.0 * DEFAULT_WEIGHTS.get(name, 0.0), 1))
            spin.blockSignals(False)
        self._update_shares()
        self.changed()
