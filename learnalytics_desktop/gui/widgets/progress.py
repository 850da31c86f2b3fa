"""Progress of background tasks: a status-bar strip and, for modal tasks, a progress dialog.

Both listen to a :class:`~learnalytics_desktop.gui.workers.TaskRunner`; only tasks started
``.with_progress(label)`` are shown. The strip shows the newest running task (message,
progress bar, Cancel button) and hides itself when nothing runs.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QProgressDialog, QToolButton, QWidget

from learnalytics_desktop.gui.workers import Task, TaskRunner

STEPS = 1000


class StatusProgress(QWidget):
    """Message + progress bar + Cancel for the newest labelled task (lives in the status bar)."""

    message = Signal(str, int)  # outcome messages for the status bar ("Importing… cancelled")

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self._tasks: list[Task] = []
        self.label = QLabel()
        self.label.setMinimumWidth(160)
        self.bar = QProgressBar()
        self.bar.setRange(0, STEPS)
        self.bar.setFixedWidth(180)
        self.bar.setTextVisible(True)
        self.bar.setAccessibleName("Task progress")
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop the running task")
        self.cancel_button.setAccessibleName("Cancel the running task")
        self.cancel_button.clicked.connect(self.cancel_current)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 4, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        runner.started.connect(self._started)
        runner.progressed.connect(self._progressed)
        runner.finished.connect(self._finished)
        runner.cancelled.connect(self._cancelled)
        runner.failed.connect(self._failed)
        self.setVisible(False)

    @property
    def current(self) -> Task | None:
        """The task shown (the newest labelled one still running)."""
        return self._tasks[-1] if self._tasks else None

    def cancel_current(self) -> None:
        """Cancel the task shown."""
        task = self.current
        if task is not None:
            task.cancel()
            self.label.setText(f"{task.label} cancelling…")
            self.cancel_button.setEnabled(False)

    def _show(self) -> None:
        task = self.current
        if task is None:
            self.setVisible(False)
            return
        self.setVisible(True)
        text = task.label if not task.message else f"{task.label} {task.message}"
        self.label.setText(text if not task.cancel_requested else f"{task.label} cancelling…")
        self.label.setToolTip(text)
        if task.fraction <= 0.0 and not task.message:
            self.bar.setRange(0, 0)  # busy until the first progress report
        else:
            self.bar.setRange(0, STEPS)
            self.bar.setValue(round(task.fraction * STEPS))
        self.cancel_button.setEnabled(not task.cancel_requested)

    def _started(self, task: Task) -> None:
        if task.label:
            self._tasks.append(task)
            self._show()

    def _progressed(self, task: Task, fraction: float, message: str) -> None:
        if task is self.current:
            self._show()

    def _finished(self, task: Task) -> None:
        if task in self._tasks:
            self._tasks.remove(task)
            self._show()

    def _cancelled(self, task: Task) -> None:
        if task.label:
            self.message.emit(f"{task.label.rstrip('… .')}: cancelled.", 6000)

    def _failed(self, task: Task, exc: object) -> None:
        if task.label:
            self.message.emit(f"{task.label.rstrip('… .')}: failed.", 6000)


class ProgressDialogs:
    """Shows a window-modal progress dialog (with Cancel) for tasks started ``modal=True``."""

    def __init__(self, runner: TaskRunner, parent: QWidget) -> None:
        self.parent = parent
        self.dialogs: dict[int, QProgressDialog] = {}
        runner.started.connect(self._started)
        runner.progressed.connect(self._progressed)
        runner.finished.connect(self._finished)

    def _started(self, task: Task) -> None:
        if not task.modal:
            return
        dialog = QProgressDialog(task.label, "Cancel", 0, STEPS, self.parent)
        dialog.setWindowTitle(task.label.rstrip("… ."))
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setMinimumWidth(420)
        dialog.canceled.connect(task.cancel)
        dialog.setValue(0)
        dialog.show()
        self.dialogs[task.id] = dialog

    def _progressed(self, task: Task, fraction: float, message: str) -> None:
        dialog = self.dialogs.get(task.id)
        if dialog is not None:
            dialog.setValue(round(fraction * STEPS))
            if message:
                dialog.setLabelText(f"{task.label}\n{message}")

    def _finished(self, task: Task) -> None:
        dialog = self.dialogs.pop(task.id, None)
        if dialog is not None:
            dialog.canceled.disconnect()
            dialog.close()
            dialog.deleteLater()
