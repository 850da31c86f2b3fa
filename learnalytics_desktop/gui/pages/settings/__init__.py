"""The Settings page: weights, risk levels, categories, privacy and records."""
