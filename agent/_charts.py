"""Small inline SVG charts for the HTML reports, drawn without a plotting library.

Three shapes cover the reports: horizontal bars (one or more series per label, diverging around
zero when values are negative), points joined by lines on two numeric axes, and a heatmap of
counts. Each chart is one ``<svg>`` element with a ``viewBox`` (it scales with the page), axis
labels, and a ``<title>``/``<desc>`` pair referenced by ``aria-labelledby`` so a screen reader
announces what it shows. Every bar, point and cell carries its own ``<title>`` (a tooltip with the
exact value).

The tree is built with :mod:`xml.etree.ElementTree`, which escapes text and attribute values, so
labels taken from files (question ids, metric names) can never become markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.etree import ElementTree as ET

SVG_NS = "http://www.w3.org/2000/svg"
FONT = "system-ui, sans-serif"
#: Rough width of one character of the 11 px label font, to size the label column.
CHAR_WIDTH = 6.4
AXIS_COLOUR = "#555"
GRID_COLOUR = "#e5e5e5"
DASHES = "4 3"


@dataclass(frozen=True)
class BarSeries:
    """One value per label of a bar chart, drawn in one colour or one colour per value."""

    name: str
    values: Sequence[float]
    colour: str
    #: When set, one colour per value instead of ``colour`` (e.g. better or worse).
    colours: Sequence[str] | None = None


@dataclass(frozen=True)
class LineSeries:
    """Points joined in x order; ``dashed`` for a reference line, ``markers`` to show points."""

    name: str
    points: Sequence[tuple[float, float]]
    colour: str
    dashed: bool = False
    markers: bool = True


@dataclass(frozen=True)
class _Frame:
    """The plotting area inside the chart's margins, in viewBox units."""

    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height


def _fmt(value: float) -> str:
    """A coordinate: two decimals at most, no trailing zeros (small files, stable output)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _svg(chart_id: str, title: str, description: str, width: float, height: float) -> ET.Element:
    """The root element with its accessible name and description."""
    svg = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "viewBox": f"0 0 {_fmt(width)} {_fmt(height)}",
            "width": _fmt(width),
            "height": _fmt(height),
            "role": "img",
            "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
            "font-family": FONT,
            "font-size": "11",
            "class": "chart",
            "id": chart_id,
        },
    )
    ET.SubElement(svg, "title", id=f"{chart_id}-title").text = title
    ET.SubElement(svg, "desc", id=f"{chart_id}-desc").text = description
    heading = _text(svg, width / 2, 16, title, anchor="middle")
    heading.set("font-size", "13")
    heading.set("font-weight", "600")
    return svg


def _text(
    parent: ET.Element,
    x: float,
    y: float,
    content: str,
    *,
    anchor: str = "start",
    colour: str = "#222",
    **extra: str,
) -> ET.Element:
    node = ET.SubElement(
        parent,
        "text",
        {"x": _fmt(x), "y": _fmt(y), "text-anchor": anchor, "fill": colour, **extra},
    )
    node.text = content
    return node


def _line(parent: ET.Element, x1: float, y1: float, x2: float, y2: float, colour: str) -> None:
    ET.SubElement(
        parent,
        "line",
        {"x1": _fmt(x1), "y1": _fmt(y1), "x2": _fmt(x2), "y2": _fmt(y2), "stroke": colour},
    )


def _tooltip(node: ET.Element, text: str) -> None:
    ET.SubElement(node, "title").text = text


def _step(low: float, high: float, count: int) -> float:
    """A round step (1, 2, 2.5 or 5 x 10^k) giving about ``count`` ticks over [low, high]."""
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values within [low, high]."""
    if high <= low:
        return [low]
    step = _step(low, high, count)
    ticks = []
    value = math.ceil(low / step - 1e-9) * step
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10) + 0.0)  # + 0.0: no "-0" label
        value += step
    return ticks


def nice_range(low: float, high: float, count: int = 5) -> tuple[float, float]:
    """[low, high] widened to round tick values at both ends."""
    if high <= low:
        return low, low + 1.0
    step = _step(low, high, count)
    return math.floor(low / step + 1e-9) * step + 0.0, math.ceil(high / step - 1e-9) * step


def _legend(
    svg: ET.Element, entries: Sequence[tuple[str, str, str | None]], x: float, y: float
) -> None:
    """Swatches and names in one row starting at (x, y). An entry is (name, colour, dashes):
    dashes ``None`` draws a square (a bar series), else a short line with that dash pattern
    ("" for solid)."""
    group = ET.SubElement(svg, "g", {"class": "legend"})
    for name, colour, dashes in entries:
        if dashes is None:
            ET.SubElement(
                group,
                "rect",
                {"x": _fmt(x), "y": _fmt(y - 9), "width": "10", "height": "10", "fill": colour},
            )
        else:
            swatch = ET.SubElement(
                group,
                "line",
                {"x1": _fmt(x - 2), "y1": _fmt(y - 4), "x2": _fmt(x + 12), "y2": _fmt(y - 4)},
            )
            swatch.set("stroke", colour)
            swatch.set("stroke-width", "2")
            if dashes:
                swatch.set("stroke-dasharray", dashes)
        _text(group, x + 16, y, name)
        x += 16 + CHAR_WIDTH * len(name) + 16


def bar_chart(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[BarSeries],
    *,
    value_label: str,
    value_range: tuple[float, float] | None = None,
    description: str = "",
    value_format: str | None = None,
    width: float = 640,
) -> str:
    """Horizontal bars: one row per label, one bar per series in the row.

    ``value_range`` fixes the axis (e.g. 0 to 1 for shares); by default it spans the values and
    zero, so negative values grow leftwards from a zero line. ``value_format`` (e.g. ``"{:+.3f}"``)
    writes each value beside its bar.
    """
    values = [v for s in series for v in s.values if math.isfinite(v)]
    low, high = value_range or nice_range(min(0.0, *values), max(0.0, *values))
    label_width = 12 + CHAR_WIDTH * max((len(label) for label in labels), default=4)
    bar_height, gap = 9.0, 7.0
    row_height = bar_height * len(series) + gap
    legend = len(series) > 1
    top = 30 + (18 if legend else 0)
    room = 40 + (CHAR_WIDTH * 7 if value_format is not None else 0)
    frame = _Frame(label_width, top, width - label_width - room, row_height * len(labels))
    svg = _svg(chart_id, title, description, width, frame.bottom + 44)
    if legend:
        _legend(svg, [(s.name, s.colour, None) for s in series], frame.left, 40)

    def x_of(value: float) -> float:
        return frame.left + (value - low) / (high - low) * frame.width

    axis = ET.SubElement(svg, "g", {"class": "axis"})
    for tick in nice_ticks(low, high):
        x = x_of(tick)
        _line(axis, x, frame.top, x, frame.bottom, GRID_COLOUR)
        _text(axis, x, frame.bottom + 14, f"{tick:g}", anchor="middle", colour=AXIS_COLOUR)
    zero = x_of(0.0) if low <= 0.0 <= high else frame.left
    _line(axis, zero, frame.top, zero, frame.bottom, AXIS_COLOUR)
    _text(axis, frame.left + frame.width / 2, frame.bottom + 34, value_label, anchor="middle")

    bars = ET.SubElement(svg, "g", {"class": "bars"})
    for row, label in enumerate(labels):
        y = frame.top + row * row_height + gap / 2
        _text(bars, frame.left - 6, y + row_height / 2 - 1, label, anchor="end")
        for k, s in enumerate(series):
            value = s.values[row]
            colour = s.colours[row] if s.colours else s.colour
            drawn = min(max(value, low), high) if math.isfinite(value) else 0.0  # NaN: no bar
            start, end = sorted((zero, x_of(drawn)))
            rect = ET.SubElement(
                bars,
                "rect",
                {
                    "class": "bar",
                    "x": _fmt(start),
                    "y": _fmt(y + k * bar_height),
                    "width": _fmt(max(end - start, 0.5)),
                    "height": _fmt(bar_height - 1),
                    "fill": colour,
                    "data-label": label,
                    "data-series": s.name,
                    "data-value": f"{value:.4f}",
                },
            )
            shown = f"{value:.3f}" if math.isfinite(value) else "not measured"
            _tooltip(rect, f"{label}, {s.name}: {shown}")
            if value_format is not None:
                left = value < 0
                _text(
                    bars,
                    start - 4 if left else end + 4,
                    y + k * bar_height + bar_height - 2,
                    value_format.format(value),
                    anchor="end" if left else "start",
                    colour=AXIS_COLOUR,
                    **{"font-size": "10"},
                )
    return ET.tostring(svg, encoding="unicode")


def line_chart(
    chart_id: str,
    title: str,
    series: Sequence[LineSeries],
    *,
    x_label: str,
    y_label: str,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    description: str = "",
    width: float = 420,
    height: float = 340,
) -> str:
    """Points on two numeric axes, each series joined by a line in x order, with a legend."""
    frame = _Frame(52, 48, width - 52 - 20, height - 48 - 46)
    svg = _svg(chart_id, title, description, width, height)
    _legend(svg, [(s.name, s.colour, DASHES if s.dashed else "") for s in series], frame.left, 36)
    (x0, x1), (y0, y1) = x_range, y_range

    def at(point: tuple[float, float]) -> tuple[float, float]:
        x, y = point
        return (
            frame.left + (x - x0) / (x1 - x0) * frame.width,
            frame.bottom - (y - y0) / (y1 - y0) * frame.height,
        )

    axis = ET.SubElement(svg, "g", {"class": "axis"})
    for tick in nice_ticks(x0, x1):
        x, _ = at((tick, y0))
        _line(axis, x, frame.top, x, frame.bottom, GRID_COLOUR)
        _text(axis, x, frame.bottom + 14, f"{tick:g}", anchor="middle", colour=AXIS_COLOUR)
    for tick in nice_ticks(y0, y1):
        _, y = at((x0, tick))
        _line(axis, frame.left, y, frame.right, y, GRID_COLOUR)
        _text(axis, frame.left - 6, y + 4, f"{tick:g}", anchor="end", colour=AXIS_COLOUR)
    _line(axis, frame.left, frame.bottom, frame.right, frame.bottom, AXIS_COLOUR)
    _line(axis, frame.left, frame.top, frame.left, frame.bottom, AXIS_COLOUR)
    _text(axis, frame.left + frame.width / 2, frame.bottom + 34, x_label, anchor="middle")
    middle = frame.top + frame.height / 2
    _text(axis, 14, middle, y_label, anchor="middle", transform=f"rotate(-90 14 {_fmt(middle)})")

    for s in series:
        group = ET.SubElement(svg, "g", {"class": "series", "data-series": s.name})
        ordered = sorted(s.points)
        line = ET.SubElement(
            group,
            "polyline",
            {
                "points": " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in map(at, ordered)),
                "fill": "none",
                "stroke": s.colour,
                "stroke-width": "1" if s.dashed else "2",
            },
        )
        if s.dashed:
            line.set("stroke-dasharray", DASHES)
        if not s.markers:
            continue
        for point in ordered:
            x, y = at(point)
            dot = ET.SubElement(
                group,
                "circle",
                {"class": "point", "cx": _fmt(x), "cy": _fmt(y), "r": "3.5", "fill": s.colour},
            )
            _tooltip(dot, f"{s.name}: x {point[0]:g}, y {point[1]:.2f}")
    return ET.tostring(svg, encoding="unicode")


def _shade(share: float) -> str:
    """White to dark blue as ``share`` goes from 0 to 1."""
    low, high = (255, 255, 255), (8, 81, 156)
    red, green, blue = (round(a + (b - a) * share) for a, b in zip(low, high, strict=True))
    return f"#{red:02x}{green:02x}{blue:02x}"


def heatmap(
    chart_id: str,
    title: str,
    matrix: Sequence[Sequence[int]],
    *,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    x_label: str,
    y_label: str,
    description: str = "",
    cell: float = 44,
) -> str:
    """A grid of counts, darker for larger ones, each cell labelled with its count."""
    frame = _Frame(56, 30, cell * len(column_labels), cell * len(row_labels))
    svg = _svg(chart_id, title, description, frame.right + 20, frame.bottom + 44)
    top = max((max(row, default=0) for row in matrix), default=0) or 1
    cells = ET.SubElement(svg, "g", {"class": "cells"})
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            x, y = frame.left + j * cell, frame.top + i * cell
            rect = ET.SubElement(
                cells,
                "rect",
                {
                    "class": "cell",
                    "x": _fmt(x),
                    "y": _fmt(y),
                    "width": _fmt(cell),
                    "height": _fmt(cell),
                    "fill": _shade(count / top),
                    "stroke": "#fff",
                    "data-count": str(count),
                },
            )
            _tooltip(rect, f"{y_label} {row_labels[i]}, {x_label} {column_labels[j]}: {count}")
            colour = "#fff" if count / top > 0.55 else "#222"
            _text(cells, x + cell / 2, y + cell / 2 + 4, str(count), anchor="middle", colour=colour)
    axis = ET.SubElement(svg, "g", {"class": "axis"})
    for j, label in enumerate(column_labels):
        x = frame.left + (j + 0.5) * cell
        _text(axis, x, frame.bottom + 14, label, anchor="middle", colour=AXIS_COLOUR)
    for i, label in enumerate(row_labels):
        y = frame.top + (i + 0.5) * cell + 4
        _text(axis, frame.left - 6, y, label, anchor="end", colour=AXIS_COLOUR)
    _text(axis, frame.left + frame.width / 2, frame.bottom + 34, x_label, anchor="middle")
    middle = frame.top + frame.height / 2
    _text(axis, 20, middle, y_label, anchor="middle", transform=f"rotate(-90 20 {_fmt(middle)})")
    return ET.tostring(svg, encoding="unicode")
