"""Step 1 of the impact wizard: which groups to compare, and on which outcome.

The comparison comes from the interventions log (students who got a message vs the
randomised hold-out, or vs everyone not treated) or from a groups CSV (``student``,
``group`` and optionally ``date`` and ``eligible``). Counts for each choice come from
``core.impact.sources.source_info``, loaded on the database thread when the page is
shown and when the course changes.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from learnalytics_desktop.core.impact.runs import AnalysisSpec
from learnalytics_desktop.core.impact.sources import source_info
from learnalytics_desktop.core.impact.wording import OUTCOME_TEXT
from learnalytics_desktop.core.text import plural
from learnalytics_desktop.gui.dialogs import files
from learnalytics_desktop.gui.workers import db_job

if TYPE_CHECKING:  # pragma: no cover
    from learnalytics_desktop.gui.pages.impact.wizard import ImpactWizard

SOURCE_KEYS = ("holdout", "untreated", "csv")


class ChoosePage(QWizardPage):
    """See the module docstring."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("1. Who is compared, on what")
        self.setSubTitle(
            "Choose the intervention group and the comparison group, then the outcome to compare."
        )
        self.info: Any = None
        self.course = QComboBox()
        self.course.setAccessibleName("Course")
        self.course.currentIndexChanged.connect(self._course_changed)

        self.buttons = QButtonGroup(self)
        self.radios: dict[str, QRadioButton] = {}
        self.notes: dict[str, QLabel] = {}
        box = QGroupBox("Comparison")
        grid = QVBoxLayout(box)
        titles = {
            "holdout": "Students who got a message vs the randomised hold-out (from the log)",
            "untreated": "Students who got a message vs everyone else in the course (from the log)",
            "csv": "Groups from a CSV file (student, group; optionally date and eligible)",
        }
        for key in SOURCE_KEYS:
            radio = QRadioButton(titles[key])
            radio.toggled.connect(self._changed)
            self.buttons.addButton(radio)
            note = QLabel()
            note.setWordWrap(True)
            note.setIndent(24)
            note.setStyleSheet("color: palette(placeholder-text);")
            self.radios[key], self.notes[key] = radio, note
            grid.addWidget(radio)
            grid.addWidget(note)
            if key == "csv":
                self.path = QLineEdit()
                self.path.setPlaceholderText("groups.csv")
                self.path.setAccessibleName("Groups CSV file")
                self.path.textChanged.connect(self._changed)
                self.browse = QPushButton("Choose…")
                self.browse.clicked.connect(self._browse)
                row = QHBoxLayout()
                row.setContentsMargins(24, 0, 0, 0)
                row.addWidget(self.path, 1)
                row.addWidget(self.browse)
                grid.addLayout(row)
                self.randomised = QCheckBox("Chance decided who was in which group (a randomised experiment)")
                self.randomised.setToolTip("Only tick this if the groups were drawn at random, e.g. by lot")
                self.randomised.setStyleSheet("margin-left: 24px;")
                self.randomised.toggled.connect(self._changed)
                grid.addWidget(self.randomised)
                self.threshold = QCheckBox("A risk threshold decided who was treated: everyone at or above")
                self.threshold.setToolTip(
                    "Compares students just either side of the cut-off (regression discontinuity); the answer "
                    "is about students near the threshold"
                )
                self.threshold.setStyleSheet("margin-left: 24px;")
                self.threshold.toggled.connect(self._changed)
                self.cutoff = QDoubleSpinBox()
                self.cutoff.setRange(0.0, 1.0)
                self.cutoff.setDecimals(2)
                self.cutoff.setSingleStep(0.05)
                self.cutoff.setValue(0.6)
                self.cutoff.setAccessibleName("Risk cut-off")
                self.cutoff.valueChanged.connect(self._changed)
                cut_row = QHBoxLayout()
                cut_row.addWidget(self.threshold)
                cut_row.addWidget(self.cutoff)
                cut_row.addStretch(1)
                grid.addLayout(cut_row)

        self.outcome = QComboBox()
        self.outcome.setAccessibleName("Outcome")
        self.outcome.currentIndexChanged.connect(self._changed)
        self.outcome_note = QLabel()
        self.outcome_note.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Course", self.course)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(box)
        oform = QFormLayout()
        oform.addRow("Outcome", self.outcome)
        layout.addLayout(oform)
        layout.addWidget(self.outcome_note)
        steps = QLabel(
            "<b>What happens next.</b> Step 2 checks whether the two groups were alike <i>before</i> the "
            "intervention (risk score and activity). Step 3 estimates the difference the intervention made, with "
            "its uncertainty, and says which estimate to believe. Step 4 puts it in plain words with a chart, "
            "and exports a report."
        )
        steps.setWordWrap(True)
        steps.setStyleSheet("color: palette(placeholder-text); margin-top: 12px;")
        layout.addWidget(steps)
        layout.addStretch(1)

    @property
    def wiz(self) -> ImpactWizard:
        return self.wizard()  # type: ignore[return-value]

    # -- data --------------------------------------------------------------------------------------
    def set_courses(self, courses: list[Any], current: int | None) -> None:
        """Fill the course list (``core.courses.Course`` objects)."""
        self.course.blockSignals(True)
        self.course.clear()
        for c in courses:
            self.course.addItem(getattr(c, "label", None) or getattr(c, "name", "") or str(c.id), int(c.id))
        index = self.course.findData(current) if current is not None else 0
        self.course.setCurrentIndex(max(index, 0))
        self.course.blockSignals(False)

    def initializePage(self) -> None:
        self._course_changed()

    def _course_changed(self, *_: Any) -> None:
        course_id = self.course.currentData()
        if course_id is None or self.wiz is None:
            return
        self.info = None
        self._changed()
        self.wiz.runner.submit(db_job(source_info), self.wiz.db_path, int(course_id)).keyed(
            "impact.sources"
        ).on_success(self._show_info)

    def _show_info(self, info: Any) -> None:
        if info.course_id != self.course.currentData():
            return
        self.info = info
        self.notes["holdout"].setText(
            f"{plural(info.holdout_treated, 'student')} got messages and {info.holdout_control} were held back by chance, in "
            f"{info.holdout_batches} batch(es). The fair comparison: chance decided who got a message."
            if info.holdout_batches
            else "No batch of this course was drafted with a hold-out yet."
        )
        self.notes["untreated"].setText(
            f"{plural(info.treated, 'student')} had an intervention exported or marked sent. Not randomised: the students "
            "who got messages were chosen because they were at risk, so the groups are checked and adjusted."
            if info.treated
            else "No intervention of this course has been exported or marked sent yet."
        )
        self.notes["csv"].setText(
            "For interventions run outside the app. Students are matched like the Students at "
            "risk page names them."
        )
        self.radios["holdout"].setEnabled(info.holdout_batches > 0)
        self.radios["untreated"].setEnabled(info.treated > 0)
        if not any(r.isChecked() and r.isEnabled() for r in self.radios.values()):
            first = next(k for k in SOURCE_KEYS if self.radios[k].isEnabled())
            self.radios[first].setChecked(True)
        keep = self.outcome.currentData()
        self.outcome.blockSignals(True)
        self.outcome.clear()
        for name, n in info.outcomes.items():
            kind = "yes/no" if info.kinds.get(name) == "binary" else "number"
            self.outcome.addItem(f"{OUTCOME_TEXT.get(name, name)} ({kind}; {n} students with a value)", name)
        index = self.outcome.findData(keep if keep is not None else self.wiz.preset_outcome)
        self.outcome.setCurrentIndex(max(index, 0))
        self.outcome.blockSignals(False)
        self._changed()

    def _browse(self) -> None:
        path = files.ask_open_file(self, "Groups CSV", files.CSV_FILTER)
        if path is not None:
            self.path.setText(str(path))
            self.radios["csv"].setChecked(True)

    def _changed(self, *_: Any) -> None:
        csv = self.radios["csv"].isChecked()
        self.path.setEnabled(csv)
        self.browse.setEnabled(csv)
        self.randomised.setEnabled(csv)
        self.threshold.setEnabled(csv and not self.randomised.isChecked())
        self.cutoff.setEnabled(csv and self.threshold.isChecked() and not self.randomised.isChecked())
        name = self.outcome.currentData()
        if self.info is not None and name is not None and self.info.outcomes.get(name, 0) == 0:
            self.outcome_note.setText(
                f"<span style='color:#a00000'>No student of this course has a value for "
                f"{escape(str(name))} yet: import the gradebook first.</span>"
            )
        else:
            self.outcome_note.setText(
                "Final grade compares averages; passed and withdrew compare shares of students."
            )
        self.completeChanged.emit()

    def source(self) -> str | None:
        """The chosen comparison key."""
        return next((k for k, r in self.radios.items() if r.isChecked()), None)

    def spec(self) -> AnalysisSpec | None:
        """The choices as an :class:`AnalysisSpec` (None while incomplete)."""
        source, outcome, course = self.source(), self.outcome.currentData(), self.course.currentData()
        if source is None or outcome is None or course is None or self.info is None:
            return None
        if source == "csv" and not self.path.text().strip():
            return None
        if not self.info.outcomes.get(outcome):
            return None
        return AnalysisSpec(
            course_id=int(course),
            source=source,
            outcome=str(outcome),
            groups_path=self.path.text().strip() if source == "csv" else None,
            randomised=(True if self.randomised.isChecked() else None) if source == "csv" else None,
            test=self.wiz.test,
            cutoff=float(self.cutoff.value())
            if source == "csv" and self.threshold.isEnabled() and self.threshold.isChecked()
            else None,
        )

    def isComplete(self) -> bool:
        return self.spec() is not None

    def validatePage(self) -> bool:
        spec = self.spec()
        if spec is None:
            return False
        self.wiz.start(spec)
        return True


__all__ = ["ChoosePage"]
