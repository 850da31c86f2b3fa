"""How long a newcomer takes from ``./dev demo`` to an exported draft, and how many clicks.

Runs the real app (``learnalytics_desktop.app.main(["--demo"])``) on a fresh data folder
(a first launch: no demo database yet, the welcome not answered) and drives it the way a
new advisor would, one user action at a time, each a real mouse click or key press on the
widget a person would use (``QTest``), waiting for what they would wait for:

1. the welcome: "Open the demo and take the tour" (the demo is built: a progress dialog);
2. the guided tour: Next through every stop;
3. Students at risk: click the first row, then "Draft interventions for 1 student";
4. the Draft dialog: Draft;
5. the draft: select it, Approve;
6. Export ▸ "Approved drafts as e-mail drafts (.eml)", choose a folder.

Prints the clicks and the time of each step and the total. Run it under a real X server to
see the windows (``xvfb-run -s "-screen 0 1280x720x24" python bench/newcomer.py``); with
``QT_QPA_PLATFORM=offscreen`` it runs without one. Reading time is not simulated: the figures
are the machine's part (building the demo, loading pages) plus the number of actions; the
README adds a person's reading time per step.

    python bench/newcomer.py [--students N]   # N per offering (default: the demo's 300)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=None)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="learnalytics-newcomer-"))
    os.environ["LEARNALYTICS_HOME"] = str(home)
    outbox = home / "outbox"
    outbox.mkdir()

    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QDialog

    import learnalytics_desktop.gui.jobs as gui_jobs
    from learnalytics_desktop import app as app_module
    from learnalytics_desktop.gui.dialogs import files

    if args.students:
        gui_jobs.DEMO_STUDENTS = args.students
    # The folder chooser is the platform's dialog; a person picks a folder and presses Choose
    # (counted as 2 actions below); the driver answers it with the outbox.
    files.ask_folder = lambda *a, **k: outbox  # type: ignore[assignment]

    log: list[tuple[str, int, float]] = []
    clicks = 0
    started = time.perf_counter()
    mark = [started]

    def step(name: str, n: int) -> None:
        nonlocal clicks
        now = time.perf_counter()
        clicks += n
        log.append((name, n, now - mark[0]))
        mark[0] = now
        print(f"{now - started:7.1f} s  +{n} action(s)  {name}", flush=True)

    def click(widget: Any) -> None:
        QTest.mouseClick(widget, Qt.MouseButton.LeftButton)

    def when(cond: Callable[[], Any], then: Callable[[], None], timeout: float = 600.0) -> None:
        """Run ``then`` once ``cond()`` is true (polled every 50 ms)."""
        deadline = time.perf_counter() + timeout

        def poll() -> None:
            try:
                ok = cond()
            except Exception:
                ok = False
            if ok:
                then()
            elif time.perf_counter() > deadline:
                print("timed out waiting", file=sys.stderr)
                QApplication.instance().exit(3)
            else:
                QTimer.singleShot(50, poll)

        QTimer.singleShot(50, poll)

    def modal(kind: type) -> Any:
        w = QApplication.activeModalWidget()
        return w if isinstance(w, kind) else None

    def on_shown(window: Any) -> None:
        state: dict[str, Any] = {"window": window}

        def welcome() -> None:
            dialog = modal(QDialog)
            click(dialog.tour_button)
            step("welcome: Open the demo and take the tour", 1)
            when(lambda: window.first_run.tour is not None and window.first_run.tour.active, tour)

        def tour() -> None:
            t = window.first_run.tour
            n = 0
            while t.active:
                click(t.overlay.next_button)
                QApplication.processEvents()
                n += 1
            step(f"demo built and opened; the tour: Next x{n}", n)
            page = window.navigate("at_risk")
            step("Students at risk (a click in the list on the left)", 1)
            when(
                lambda: page.frame is not None and page.model.rowCount() > 0 and not window.runner.is_busy(),
                lambda: pick(page),
            )

        def pick(page: Any) -> None:
            view = page.view
            rect = view.visualRect(page.model.index(0, 1))
            QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            step(f"first row selected: {page.model.value(0, 'name')}", 1)
            state["actor"] = int(page.model.value(0, "actor"))
            QTimer.singleShot(0, lambda: click(page.draft_button))
            when(lambda: modal(QDialog) is not None, draft_dialog)

        def draft_dialog() -> None:
            dialog = modal(QDialog)
            step("Draft interventions for 1 student", 1)
            click(dialog.draft_button)
            step("Draft dialog: Draft", 1)
            page = window.page("interventions")
            when(lambda: page.model.rowCount() > 0 and not window.runner.is_busy(), lambda: review(page))

        def review(page: Any) -> None:
            rect = page.view.visualRect(page.model.index(0, 0))
            QTest.mouseClick(page.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            step("the draft selected (read it)", 1)
            editor = page.editor
            if not editor.approve_button.isEnabled():
                print("Approve is disabled:", editor.approve_reason.text(), file=sys.stderr)
                QApplication.instance().exit(4)
                return
            click(editor.approve_button)
            step("Approve", 1)
            when(
                lambda: "approved" in set(page.state.frame["status"]) and not window.runner.is_busy(),
                lambda: export(page),
            )

        def export(page: Any) -> None:
            page.export_eml()  # Export ▸ Approved drafts as e-mail drafts (.eml)
            step("Export ▸ Approved drafts as e-mail drafts (.eml)", 2)
            step("choose a folder and press Choose", 2)
            when(lambda: any(outbox.glob("*.eml")) and not window.runner.is_busy(), done)

        def done() -> None:
            emls = sorted(outbox.glob("*.eml"))
            text = emls[0].read_text(encoding="utf-8")
            to = next((line for line in text.splitlines() if line.startswith("To:")), "To: (none)")
            step(f"exported {len(emls)} draft ({to})", 0)
            total = time.perf_counter() - started
            print(f"\nTOTAL {total:.1f} s, {clicks} actions from ./dev demo to an exported draft")
            print(f"(the demo build and first open were {log[1][2] + log[0][2]:.1f} s of it)")
            QTimer.singleShot(0, window.close)

        when(lambda: modal(QDialog) is not None and hasattr(modal(QDialog), "tour_button"), welcome)

    return app_module.main(["--demo"], on_shown=on_shown)


if __name__ == "__main__":
    sys.exit(main())
