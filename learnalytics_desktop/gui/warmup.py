"""Warm the heavy imports once the first window is up, so the first chart page opens at once.

Opening the first chart page used to import numpy, pandas and pyqtgraph on the GUI thread
(1.6 s measured cold; 0.4-0.55 s in ``bench/gui_latency.py``, where opening the database had
already loaded numpy). Start-up must stay light (``tests/gui/test_startup.py``), so they are
loaded a moment after the window is shown, in three steps:

1. **numpy and pandas on a background thread** (plain Python imports; they create no Qt
   object), then the standard-library modules pyqtgraph uses. The longest GUI stall this
   causes is the longest single C-extension initialisation, measured ~25 ms.
2. **PySide6's lazy types, on the GUI thread in idle slices.** PySide6 creates a class the
   first time it is looked up; pyqtgraph looks up every class of QtCore, QtGui and
   QtWidgets when it is imported (~125 ms). Looking them up here, at most
   :data:`SLICE_S` per event-loop turn, spreads that cost; the Qt modules pyqtgraph adds
   (QtSvg, QtOpenGL, QtOpenGLWidgets, QtTest) are imported the same way. This stays on the
   GUI thread: type creation is Qt's business.
3. **pyqtgraph on the GUI thread, in idle time** (brief of issue 4: it is a Qt library; its
   import defines Qt subclasses and Qt values). What is left of it after steps 1-2 is one
   stall of ~55-120 ms (measured), paid once, about a second after start-up, instead of on
   the first chart page. (Measured alternative, not taken: importing it on the background thread
   stalls the GUI thread ≤ ~35 ms, but runs pyqtgraph's module code, Qt subclass creation
   included, off the GUI thread, which neither pyqtgraph nor PySide6 documents as safe.)

The objects these imports create live as long as the app, so the cyclic garbage collector is
paused during step 3 (a full collection in the middle of it added 60-120 ms to the stall) and
everything alive at the end is moved out of its reach (``gc.freeze()``): later full
collections, which stop every thread, then only scan what the app creates afterwards.

Nothing here is needed for correctness: a page that needs a module before it is warm simply
imports it (waiting for the background import if it is under way). :attr:`Warmup.timings`
holds what each step took (``bench/gui_latency.py`` prints them).
"""

from __future__ import annotations

import gc
import importlib
import logging
import sys
import threading
import time
from collections.abc import Iterator

from PySide6.QtCore import QObject, QTimer, Signal, Slot

log = logging.getLogger(__name__)

DELAY_MS = 300  # after the window is shown: let the first paint and the database open go first
SLICE_S = 0.005  # GUI-thread budget per event-loop turn for step 2
BACKGROUND = ("numpy", "pandas")
#: standard-library (and optional) modules pyqtgraph imports: plain imports, done in step 1 too
CHART_LIB_DEPS = (
    "array",
    "cProfile",
    "multiprocessing",
    "pydoc",
    "socket",
    "xml.etree.ElementTree",
    "colorama",
)
QT_MODULES = ("PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets")
QT_EXTRA = ("PySide6.QtSvg", "PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets", "PySide6.QtTest")
CHART_LIB = "pyqtgraph"
THREAD_NAME = "learnalytics-warmup"


class Warmup(QObject):
    """The three steps of the module docstring; :meth:`start` schedules them."""

    finished = Signal()
    _background_done = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timings: dict[str, float] = {}  # step -> milliseconds
        self.done = False
        self._thread: threading.Thread | None = None
        self._steps: Iterator[None] | None = None
        self._bg_ready = False
        self._slices_ready = False
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._slice)
        self._background_done.connect(self._on_background_done)

    def start(self, delay_ms: int = DELAY_MS) -> None:
        """Begin ``delay_ms`` after now (call once the window is shown)."""
        QTimer.singleShot(delay_ms, self, self._begin)

    @Slot()
    def _begin(self) -> None:
        self._t0 = time.perf_counter()
        self._thread = threading.Thread(target=self._background, name=THREAD_NAME, daemon=True)
        self._thread.start()
        self._steps = self._qt_lookups()
        self._timer.start()

    # -- step 1 ------------------------------------------------------------------------------
    def _background(self) -> None:
        for name in BACKGROUND:
            t = time.perf_counter()
            try:
                importlib.import_module(name)
            except Exception:
                log.exception("warm-up: importing %s failed", name)
            self.timings[f"{name}_background_ms"] = round((time.perf_counter() - t) * 1000, 1)
        t = time.perf_counter()
        for name in CHART_LIB_DEPS:
            try:
                importlib.import_module(name)
            except ImportError:  # optional ones (colorama) may be missing: pyqtgraph copes
                pass
        self.timings[f"{CHART_LIB}_deps_background_ms"] = round((time.perf_counter() - t) * 1000, 1)
        try:
            self._background_done.emit()  # queued to the GUI thread
        except RuntimeError:  # the window (and this object) closed meanwhile: nothing left to do
            pass

    @Slot()
    def _on_background_done(self) -> None:
        self._bg_ready = True
        self._maybe_chart_lib()

    # -- step 2 ------------------------------------------------------------------------------
    def _qt_lookups(self) -> Iterator[None]:
        for name in QT_EXTRA:
            try:
                importlib.import_module(name)
            except ImportError:  # an optional Qt module missing: pyqtgraph copes too
                pass
            yield
        for name in QT_MODULES:
            module = sys.modules.get(name) or importlib.import_module(name)
            for attr in dir(module):
                getattr(module, attr, None)
                yield

    @Slot()
    def _slice(self) -> None:
        assert self._steps is not None
        t = time.perf_counter()
        deadline = t + SLICE_S
        try:
            while time.perf_counter() < deadline:
                next(self._steps)
        except StopIteration:
            self._timer.stop()
            self._slices_ready = True
        self.timings["qt_types_ms"] = round(
            self.timings.get("qt_types_ms", 0.0) + (time.perf_counter() - t) * 1000, 1
        )
        if self._slices_ready:
            self._maybe_chart_lib()

    # -- step 3 ------------------------------------------------------------------------------
    def _maybe_chart_lib(self) -> None:
        if not (self._bg_ready and self._slices_ready) or self.done:
            return
        QTimer.singleShot(0, self, self._chart_lib)

    @Slot()
    def _chart_lib(self) -> None:
        if self.done:
            return
        t = time.perf_counter()
        already = CHART_LIB in sys.modules
        collecting = gc.isenabled()
        gc.disable()
        try:
            importlib.import_module(CHART_LIB)
        except Exception:
            log.exception("warm-up: importing %s failed", CHART_LIB)
        finally:
            if collecting:
                gc.enable()
        gc.freeze()  # modules, classes, the window: alive until the end, never worth scanning
        if not already:
            self.timings[f"{CHART_LIB}_gui_ms"] = round((time.perf_counter() - t) * 1000, 1)
        self.timings["total_ms"] = round((time.perf_counter() - self._t0) * 1000, 1)
        self.done = True
        self.finished.emit()

    def wait_background(self, timeout: float | None = None) -> bool:
        """Join the background thread (tests); True when it has finished."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()


def start_warmup(parent: QObject, delay_ms: int = DELAY_MS) -> Warmup:
    """Schedule the warm-up (owned by ``parent``, e.g. the main window); returns it."""
    warm = Warmup(parent)
    warm.start(delay_ms)
    return warm


__all__ = ["Warmup", "start_warmup"]
