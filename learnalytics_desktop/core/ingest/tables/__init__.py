"""Table sources (Moodle logs, plain event tables): a streaming reader and their converters."""
