"""The PySide6 layer: main window, task runner, pages, models, dialogs (see docs/ARCHITECTURE.md)."""
