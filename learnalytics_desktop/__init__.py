"""Learnalytics Desktop: offline learning analytics for advisors and data officers."""

__version__ = "0.1.0"
