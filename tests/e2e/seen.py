"""What a person sees in the browser: element boxes, colours and their contrast, pixels."""

import struct
import zlib


def box(locator) -> dict:
    """The element's box in CSS pixels relative to the viewport (x, y, width, height)."""
    return locator.evaluate(
        "el => { const r = el.getBoundingClientRect();"
        " return {x: r.x, y: r.y, width: r.width, height: r.height}; }"
    )


def inside(inner: dict, outer: dict, slack: float = 0.5) -> bool:
    return (
        inner["x"] >= outer["x"] - slack
        and inner["y"] >= outer["y"] - slack
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + slack
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + slack
    )


def viewport_box(page) -> dict:
    size = page.viewport_size
    return {"x": 0, "y": 0, "width": size["width"], "height": size["height"]}


def page_overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when it is not)."""
    return page.evaluate(
        "() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)"
    )


# The colour a text is painted in and the first opaque background behind it, as sRGB.
_COLOURS_JS = """
els => els.map(el => {
  const rgb = s => s.match(/[\\d.]+/g).map(Number);
  let bg = null;
  for (let node = el; node && !bg; node = node.parentElement) {
    const c = rgb(getComputedStyle(node).backgroundColor);
    if (c.length < 4 || c[3] === 1) bg = c.slice(0, 3);
  }
  return {text: el.textContent, colour: rgb(getComputedStyle(el).color).slice(0, 3),
          background: bg || [255, 255, 255]};
})
"""


def colours(locator) -> list[dict]:
    """For each matched element: its text, colour and effective background colour."""
    return locator.evaluate_all(_COLOURS_JS)


def luminance(rgb) -> float:
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b) -> float:
    """WCAG 2 contrast ratio of two sRGB colours."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def png_grey(png: bytes) -> tuple[memoryview, int, int]:
    """A screenshot (8-bit RGB or RGBA PNG, as Chromium writes them) as grey pixels, one byte
    each, with its width and height: what a barcode reader takes."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
        data = png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", data)
        elif kind == b"IDAT":
            idat += data
        pos += 12 + length
    width, height, depth, colour_type, _, _, interlace = header
    assert depth == 8 and colour_type in (2, 6) and not interlace
    channels = 3 if colour_type == 2 else 4
    stride = width * channels
    raw = zlib.decompress(idat)
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        row = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        _unfilter(kind, row, previous, channels)
        rows.append(row)
        previous = row
    grey = bytearray(width * height)
    for y, row in enumerate(rows):
        reds, greens, blues = row[0::channels], row[1::channels], row[2::channels]
        grey[y * width : (y + 1) * width] = bytes(
            (r * 299 + g * 587 + b * 114) // 1000
            for r, g, b in zip(reds, greens, blues, strict=True)
        )
    return memoryview(grey).cast("B", (height, width)), width, height


def _unfilter(kind: int, row: bytearray, previous: bytearray, bpp: int) -> None:
    if kind == 0:
        return
    for i in range(len(row)):
        left = row[i - bpp] if i >= bpp else 0
        up = previous[i]
        if kind == 1:
            row[i] = (row[i] + left) & 0xFF
        elif kind == 2:
            row[i] = (row[i] + up) & 0xFF
        elif kind == 3:
            row[i] = (row[i] + (left + up) // 2) & 0xFF
        else:
            corner = previous[i - bpp] if i >= bpp else 0
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            predictor = left if pa <= pb and pa <= pc else up if pb <= pc else corner
            row[i] = (row[i] + predictor) & 0xFF
