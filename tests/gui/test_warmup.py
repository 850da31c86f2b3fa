"""The warm-up after start-up (``gui.warmup``): numpy and pandas load in the background,
pyqtgraph on the GUI thread once both are in; nothing heavy before the window is shown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys, threading
from learnalytics_desktop.app import main
from learnalytics_desktop.core.store.db import open_db
from PySide6.QtWidgets import QApplication

HEAVY = ("numpy", "pandas", "pyqtgraph", "sklearn", "scipy")
db = sys.argv[1]
open_db(db, create=True).close()
out = {}

def loaded():
    return sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY))

def shown(window):
    out["at_shown"] = loaded()
    warm = window.warmup
    main_thread = threading.get_ident()
    seen = {}
    import importlib
    real = importlib.import_module

    def spy(name, *a, **k):  # which thread imports pyqtgraph
        if name == "pyqtgraph":
            seen["pyqtgraph_on_gui_thread"] = threading.get_ident() == main_thread
        return real(name, *a, **k)

    importlib.import_module = spy

    def done():
        out["after"] = loaded()
        out["timings"] = warm.timings
        out.update(seen)
        out["background_joined"] = warm.wait_background(10)
        import gc
        out["frozen"] = gc.get_freeze_count()
        window.confirm_close = lambda running: True
        window.close()
        QApplication.quit()

    warm.finished.connect(done)

code = main([db], on_shown=shown)
print(json.dumps(out))
sys.exit(code)
"""


def test_warmup_loads_numpy_pandas_pyqtgraph_after_the_window_is_shown(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", LEARNALYTICS_HOME=str(tmp_path / "home"))
    env.pop("PYTHONPATH", None)
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "w.db")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["at_shown"] == []  # the first window pays for none of them
    assert result["after"] == ["numpy", "pandas", "pyqtgraph"]  # never scikit-learn or scipy
    assert result["pyqtgraph_on_gui_thread"] is True
    assert result["background_joined"] is True and result["frozen"] > 0
    timings = result["timings"]
    assert {"numpy_background_ms", "pandas_background_ms", "qt_types_ms", "pyqtgraph_gui_ms"} <= set(timings)
