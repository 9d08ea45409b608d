"""The per-stage latency chart as a PNG (Pillow): one row per stage, one bar per series (a
simulation run, or one rate of the benchmark) to its p50, a whisker on to its p99, on a
logarithmic axis because the stages run from tens of milliseconds to minutes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from cli.stages import Span
from cli.textout import percentile

SIZE = (1200, 720)
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")
FONT_FILES = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",)
LEFT, RIGHT, TOP, BOTTOM = 230, 130, 110, 70  # the right margin holds the figures

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def font(size: int) -> Font:
    for candidate in FONT_FILES:
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size=size)


def label_ms(ms: float) -> str:
    if ms >= 10_000:
        return f"{ms / 1000:.0f} s"
    if ms >= 1000:
        return f"{ms / 1000:.1f} s"
    if ms >= 1:
        return f"{ms:.0f} ms"
    return f"{ms:.1f} ms"


def render(path: Path, title: str, subtitle: str, series: Sequence[tuple[str, Sequence[Span]]]) -> Path:
    """Writes the chart; every series must list the same stages in the same order."""
    if not series:
        raise ValueError("nothing to chart")
    stages = [s.label for s in series[0][1]]
    image = Image.new("RGB", SIZE, "white")
    draw = ImageDraw.Draw(image)
    big, small = font(20), font(13)
    draw.text((20, 16), title, fill="black", font=big)
    draw.text((20, 46), subtitle, fill="#444444", font=small)
    values = [v for _, spans in series for s in spans for v in s.samples_ms if v > 0]
    low = 10 ** math.floor(math.log10(min(values))) if values else 1.0
    high = 10 ** math.ceil(math.log10(max(values))) if values else 10.0
    high = max(high, low * 10)
    width = SIZE[0] - LEFT - RIGHT

    def x(ms: float) -> float:
        ms = min(max(ms, low), high)
        return LEFT + width * (math.log10(ms) - math.log10(low)) / (math.log10(high) - math.log10(low))

    plot_bottom = SIZE[1] - BOTTOM
    decade = low
    while decade <= high:  # the axis: one grid line per power of ten
        draw.line([(x(decade), TOP - 8), (x(decade), plot_bottom)], fill="#dddddd")
        draw.text((x(decade) - 14, plot_bottom + 6), label_ms(decade), fill="#444444", font=small)
        decade *= 10
    row = (plot_bottom - TOP) / max(1, len(stages))
    bar = max(4.0, min(22.0, (row - 10) / len(series)))
    for i, stage in enumerate(stages):
        top = TOP + i * row
        draw.text((20, top + row / 2 - 8), stage, fill="black", font=small)
        for j, (_, spans) in enumerate(series):
            samples = next((s.samples_ms for s in spans if s.label == stage), [])
            y0 = top + (row - bar * len(series)) / 2 + j * bar
            colour = COLOURS[j % len(COLOURS)]
            if not samples:
                draw.text((LEFT + 4, y0), "no journeys", fill="#999999", font=small)
                continue
            p50, p99 = percentile(samples, 50), percentile(samples, 99)
            draw.rectangle([LEFT, y0 + 1, max(LEFT + 1, x(p50)), y0 + bar - 2], fill=colour)
            middle = y0 + bar / 2
            draw.line([(x(p50), middle), (x(p99), middle)], fill=colour, width=2)
            draw.line([(x(p99), y0 + 2), (x(p99), y0 + bar - 3)], fill=colour, width=2)
            figures = f"{label_ms(p50)} / {label_ms(p99)}"
            left = min(x(p99) + 6, SIZE[0] - 4 - draw.textlength(figures, font=small))
            draw.text((left, middle - 7), figures, fill="#222222", font=small)
    legend_x = LEFT
    for j, (name, _) in enumerate(series):
        colour = COLOURS[j % len(COLOURS)]
        draw.rectangle([legend_x, 78, legend_x + 14, 92], fill=colour)
        draw.text((legend_x + 20, 77), name, fill="black", font=small)
        legend_x += 30 + int(draw.textlength(name, font=small))
    draw.text((SIZE[0] - 330, 77), "bar: p50   whisker: p99   (log scale)", fill="#444444", font=small)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "PNG")
    return path
