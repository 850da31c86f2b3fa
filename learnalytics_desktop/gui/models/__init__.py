"""Qt item models over pandas data (FrameTableModel and its column formats)."""
