"""The Import page: sources, the import report, the quarantine, gradebook and class lists."""
