"""The Qt-free core: ingest, store, features, model, interventions, impact, privacy.

Nothing under this package may import PySide6, pyqtgraph or ``learnalytics_desktop.gui``
(checked by ``tests/core/test_architecture.py``). The GUI and the command line are thin
layers over these functions.
"""
