"""Widgets the shell shares: course/week pickers, task progress, page scroll areas."""
