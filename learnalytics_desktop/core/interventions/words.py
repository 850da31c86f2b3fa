"""The words people read for an intervention's status, arm and channel.

Kept in one place, next to the data, so the Interventions page, its tests, the exports and
any later report say the same thing.
"""

from __future__ import annotations

STATUS_TEXT = {
    "draft": "Draft",
    "approved": "Approved",
    "dismissed": "Dismissed",
    "exported": "Exported (not sent yet)",
    "done": "Sent",
    "held_out": "Held out (no message)",
    "comparison": "Comparison (outside)",
}
ARM_TEXT = {
    "treated": "Message",
    "holdout": "Hold-out",
    "external": "Done outside the app",
    "control": "Comparison (outside)",
}
CHANNEL_TEXT = {
    "email": "E-mail",
    "content": "Content recommendation",
    "instructor_alert": "Instructor alert",
    "external": "Outside the app",
}
REVIEW_STATUSES = ("draft", "approved")
"""Rows an advisor still has to act on."""


__all__ = ["ARM_TEXT", "CHANNEL_TEXT", "REVIEW_STATUSES", "STATUS_TEXT"]
