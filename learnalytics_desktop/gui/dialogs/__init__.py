"""Dialogs: the error dialog and the file choosers (tests monkeypatch the latter)."""
