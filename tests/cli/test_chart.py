"""The per-stage latency chart is a real PNG of the documented size."""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image

from cli import chart
from cli.stages import Span


def test_the_chart_is_a_png_of_the_expected_size(tmp_path: Path) -> None:
    rng = random.Random(1)
    series = [
        (
            name,
            [
                Span("submitted → queued", [rng.uniform(20, 90) * scale for _ in range(50)]),
                Span("queued → reserved", [rng.uniform(100, 900) * scale for _ in range(50)]),
                Span("decided → delivered", []),
            ],
        )
        for name, scale in (("0.5/s", 1), ("1/s", 3))
    ]
    path = chart.render(tmp_path / "sub" / "e2e.png", "title", "subtitle", series)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == chart.SIZE
        colours = {image.getpixel((chart.LEFT + 3, y)) for y in range(chart.TOP, image.size[1])}
    assert len(colours) > 2  # bars were drawn, not just the white page
