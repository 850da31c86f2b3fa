"""Render resources/icon.svg to the PNG and ICO files the build and the window use.

Run once after changing the SVG: ``.venv/bin/python packaging/make_icons.py``. Uses Qt's own
SVG renderer and image writers, so no extra tool is needed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parents[1]


def render(size: int) -> QImage:
    renderer = QSvgRenderer(str(ROOT / "resources" / "icon.svg"))
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    app = QGuiApplication(sys.argv)  # noqa: F841 - needed for the image plugins
    render(256).save(str(ROOT / "resources" / "icon.png"))
    render(256).save(str(ROOT / "learnalytics_desktop" / "assets" / "icons" / "app.png"))
    if not render(256).save(str(ROOT / "resources" / "icon.ico")):
        print("this Qt has no ICO writer; the Windows build converts icon.png instead", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
