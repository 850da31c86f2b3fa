"""Privacy and reliability: erasure, subject access, small cells, locks, backup and restore."""
