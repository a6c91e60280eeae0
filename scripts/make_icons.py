"""Draws the app's icons (public/icons/*.png) from the favicon's design:
four squares in viridis colours on a blue rounded tile. Deterministic;
rerun after changing the design: python3 scripts/make_icons.py"""
from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "public" / "icons"
TILE = (0x31, 0x68, 0x8E)
CELLS = [((3, 3), (0xFD, 0xE7, 0x25)), ((9, 3), (0x35, 0xB7, 0x79)),
         ((3, 9), (0x26, 0x82, 0x8E)), ((9, 9), (0xFD, 0xE7, 0x25))]


def icon(size: int, maskable: bool) -> Image.Image:
    """The 16-unit favicon drawn at `size` px; a maskable icon fills the
    whole square and keeps the squares inside the central safe zone."""
    img = Image.new("RGB" if maskable else "RGBA", (size, size), TILE if maskable else (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    if maskable:
        unit, off = size * 0.6 / 16, size * 0.2
    else:
        unit, off = size / 16, 0.0
        d.rounded_rectangle((0, 0, size - 1, size - 1), radius=round(3 * unit), fill=TILE)
    for (x, y), colour in CELLS:
        d.rectangle((off + x * unit, off + y * unit, off + (x + 4) * unit - 1, off + (y + 4) * unit - 1), fill=colour)
    return img


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        icon(size, False).save(OUT / f"icon-{size}.png", optimize=True)
    icon(512, True).save(OUT / "maskable-512.png", optimize=True)
    icon(180, True).save(OUT / "apple-touch-icon.png", optimize=True)
    print("wrote", sorted(p.name for p in OUT.glob("*.png")))
