#!/usr/bin/env python3
"""The integration's brand images, in its own brand/ folder.

From Home Assistant 2026.3 a custom integration's icon and logo are served from
custom_components/<domain>/brand/ (the brands proxy); home-assistant/brands no longer takes
custom integrations. They travel in the release zip. The mark: a house with a heart in it, teal
and white, on a transparent background. Drawn large and scaled down, so edges stay smooth at
every size.

    .venv/bin/python scripts/brand_images.py      # rewrites integrations/eldercare/brand

The logo's word mark needs DejaVu Sans Bold (Debian's fonts-dejavu-core).
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "integrations" / "eldercare" / "brand"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")

TEAL = (15, 118, 110, 255)  # the house
WHITE = (255, 255, 255, 255)  # the heart
INK = (17, 94, 89, 255)  # the word mark, a shade darker than the house
SUPERSAMPLE = 4


def _heart(cx: float, cy: float, size: float) -> list[tuple[float, float]]:
    """The classic heart curve, `size` wide, centred on (cx, cy)."""
    points = []
    for step in range(720):
        t = 2 * math.pi * step / 720
        x = 16 * math.sin(t) ** 3
        y = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
        points.append((cx + x * size / 34, cy - (y + 2.5) * size / 34))
    return points


def mark(side: int) -> Image.Image:
    """The square mark, `side` pixels."""
    big = side * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    u = big / 100  # drawing units: the canvas is 100 x 100
    # Roof: a wide triangle with a rounded apex; body: a rounded rectangle under it.
    # Edge to edge (brand images are trimmed).
    roof = [(0, 45 * u), (50 * u, 0), (100 * u, 45 * u)]
    draw.polygon(roof, fill=TEAL)
    draw.rounded_rectangle((13 * u, 36 * u, 87 * u, 100 * u), radius=8 * u, fill=TEAL)
    # A chimney, so it reads as a home and not an arrow.
    draw.rectangle((70 * u, 9 * u, 80 * u, 30 * u), fill=TEAL)
    draw.polygon(_heart(50 * u, 64 * u, 46 * u), fill=WHITE)
    return image.resize((side, side), Image.Resampling.LANCZOS)


def logo(height: int) -> Image.Image:
    """The mark beside the word mark "Eldercare", trimmed, `height` pixels high."""
    big = height * SUPERSAMPLE
    font = ImageFont.truetype(str(FONT), int(big * 0.5))
    text = "Eldercare"
    left, top, right, bottom = font.getbbox(text)
    gap = int(big * 0.18)
    width = big + gap + (right - left)
    image = Image.new("RGBA", (width, big), (0, 0, 0, 0))
    image.alpha_composite(mark(big))
    draw = ImageDraw.Draw(image)
    text_y = (big - (bottom - top)) // 2 - top + int(big * 0.06)
    draw.text((big + gap - left, text_y), text, font=font, fill=INK)
    box = image.getbbox()
    if box is not None:
        image = image.crop(box)
    size = (round(image.width * height / image.height), height)
    return image.resize(size, Image.Resampling.LANCZOS)


def main() -> None:
    if not FONT.is_file():
        raise SystemExit(f"{FONT} is missing: apt-get install fonts-dejavu-core")
    OUT.mkdir(parents=True, exist_ok=True)
    images = {
        "icon.png": mark(256),
        "icon@2x.png": mark(512),
        "logo.png": logo(128),
        "logo@2x.png": logo(256),
    }
    for name, image in images.items():
        image.save(OUT / name, optimize=True)
        print(f"{OUT.relative_to(ROOT) / name}: {image.width}x{image.height}")


if __name__ == "__main__":
    main()
