"""Render the application icon set from ``hotline-console.svg``.

    QT_QPA_PLATFORM=offscreen python installer/icons/render.py

Writes ``png/hotline-console-SIZE.png`` (the sizes the Linux icon theme, Windows and macOS use),
``hotline-console.ico`` (Windows: 16–256 px) and ``hotline-console.icns`` (macOS: 16–1024 px).
The results are committed, so building an installer needs no renderer; run this again after
changing the SVG.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "hotline-console.svg"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(renderer: QSvgRenderer, size: int) -> Image.Image:
    """The SVG drawn at ``size`` pixels square, antialiased, on a transparent background."""
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return Image.open(io.BytesIO(bytes(data))).convert("RGBA")


def main() -> int:
    QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        print(f"error: cannot read {SOURCE.name}", file=sys.stderr)
        return 1
    images = {size: render(renderer, size) for size in PNG_SIZES}
    folder = HERE / "png"
    folder.mkdir(exist_ok=True)
    for size, image in images.items():
        image.save(folder / f"hotline-console-{size}.png", optimize=True)
    largest = images[max(ICO_SIZES)]
    largest.save(HERE / "hotline-console.ico", sizes=[(s, s) for s in ICO_SIZES],
                 append_images=[images[s] for s in ICO_SIZES if s != max(ICO_SIZES)])
    # Pillow builds the ICNS from the largest image and the ones appended at the other sizes.
    images[1024].save(HERE / "hotline-console.icns",
                      append_images=[images[s] for s in (16, 32, 64, 128, 256, 512)])
    print(f"wrote {len(images)} PNG sizes, hotline-console.ico and hotline-console.icns")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
