"""Privacy: erasure, subject access, small cells, backup and restore (the database lock
lives in :mod:`learnalytics_desktop.core.store.lock`)."""
