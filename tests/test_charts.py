"""The inline SVG charts of the HTML reports: real elements for known input, text escaped."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from agent._charts import (
    BarSeries,
    LineSeries,
    bar_chart,
    heatmap,
    line_chart,
    nice_range,
    nice_ticks,
)

NS = {"svg": "http://www.w3.org/2000/svg"}


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def _texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iterfind(".//svg:text", NS)]


def _accessible(root: ET.Element, chart_id: str, title: str) -> None:
    """The chart is an image named by its own title and description."""
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == f"{chart_id}-title {chart_id}-desc"
    assert root.get("viewBox", "").startswith("0 0 ")
    assert root.find(f"svg:title[@id='{chart_id}-title']", NS) is not None
    assert root.findtext("svg:title", namespaces=NS) == title
    assert root.find(f"svg:desc[@id='{chart_id}-desc']", NS) is not None


def test_a_bar_chart_has_one_bar_per_label_and_series_with_its_value() -> None:
    svg = bar_chart(
        "c",
        "Per question",
        ["alpha", "beta", "gamma"],
        [
            BarSeries("within", [1.0, 0.5, 0.25], "#00f"),
            BarSeries("exact", [0.5, 0.0, 0.1], "#f80"),
        ],
        value_label="agreement",
        value_range=(0.0, 1.0),
        description="three questions",
    )
    root = _parse(svg)
    _accessible(root, "c", "Per question")
    bars = root.findall(".//svg:rect[@class='bar']", NS)
    assert len(bars) == 6
    assert [(b.get("data-label"), b.get("data-series")) for b in bars[:2]] == [
        ("alpha", "within"),
        ("alpha", "exact"),
    ]
    widths = {(b.get("data-label"), b.get("data-series")): float(b.get("width", 0)) for b in bars}
    full = widths["alpha", "within"]
    assert abs(widths["beta", "within"] - full / 2) < 0.02, "bar length is proportional"
    assert abs(widths["gamma", "within"] - full / 4) < 0.02
    assert bars[0].findtext("svg:title", namespaces=NS) == "alpha, within: 1.000"
    texts = _texts(root)
    assert {"alpha", "beta", "gamma", "agreement", "within", "exact"} <= set(texts)
    assert {"0", "0.25", "0.5", "0.75", "1"} <= set(texts), "the value axis is labelled"


def test_negative_bars_grow_left_of_zero_in_their_own_colour() -> None:
    svg = bar_chart(
        "d",
        "Change",
        ["up", "down"],
        [BarSeries("change", [0.2, -0.1], "#999", colours=["#0a0", "#e00"])],
        value_label="delta",
        value_format="{:+.3f}",
    )
    root = _parse(svg)
    assert {"+0.200", "-0.100"} <= set(_texts(root)), "each value is written beside its bar"
    up, down = root.findall(".//svg:rect[@class='bar']", NS)
    assert (up.get("fill"), down.get("fill")) == ("#0a0", "#e00")
    zero = float(up.get("x", 0))
    assert float(down.get("x", 0)) + float(down.get("width", 0)) == zero
    assert abs(float(up.get("width", 0)) - 2 * float(down.get("width", 0))) < 0.02


def test_a_line_chart_has_one_point_per_value_and_axis_labels() -> None:
    svg = line_chart(
        "l",
        "Calibration",
        [
            LineSeries("perfect", [(1, 1), (5, 5)], "#999", dashed=True, markers=False),
            LineSeries("raw", [(3, 2.5), (1, 1.5), (2, 2.0)], "#f80"),
        ],
        x_label="grader score",
        y_label="mean human label",
        x_range=(1, 5),
        y_range=(1, 5),
    )
    root = _parse(svg)
    _accessible(root, "l", "Calibration")
    groups = {g.get("data-series"): g for g in root.iterfind(".//svg:g[@class='series']", NS)}
    assert groups["perfect"].findall("svg:circle", NS) == []
    assert groups["perfect"].find("svg:polyline", NS).get("stroke-dasharray") == "4 3"  # type: ignore[union-attr]
    points = groups["raw"].findall("svg:circle", NS)
    assert len(points) == 3
    xs = [float(p.get("cx", 0)) for p in points]
    assert xs == sorted(xs), "points are joined in x order"
    assert points[0].findtext("svg:title", namespaces=NS) == "raw: x 1, y 1.50"
    assert {"grader score", "mean human label", "perfect", "raw"} <= set(_texts(root))


def test_a_heatmap_has_a_cell_per_count_darker_for_more() -> None:
    svg = heatmap(
        "h",
        "Confusion",
        [[4, 0], [1, 2]],
        row_labels=["1", "2"],
        column_labels=["1", "2"],
        x_label="grader",
        y_label="human",
    )
    root = _parse(svg)
    cells = root.findall(".//svg:rect[@class='cell']", NS)
    assert [c.get("data-count") for c in cells] == ["4", "0", "1", "2"]
    assert cells[1].get("fill") == "#ffffff" and cells[0].get("fill") == "#08519c"
    assert ["4", "0", "1", "2"] == [t for t in _texts(root) if t in {"0", "1", "2", "4"}][:4]


def test_labels_from_files_are_escaped_not_markup() -> None:
    hostile = '<script>alert("x")</script>&'
    svg = bar_chart(
        "e", f"T {hostile}", [hostile], [BarSeries(hostile, [0.5], "#000")], value_label="v"
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    root = _parse(svg)
    assert root.find(".//svg:script", NS) is None
    assert hostile in _texts(root), "the text reads as written"
    assert root.find(".//svg:rect[@class='bar']", NS).get("data-label") == hostile  # type: ignore[union-attr]


def test_a_value_not_measured_draws_no_bar() -> None:
    svg = bar_chart(
        "n", "T", ["a", "b"], [BarSeries("s", [float("nan"), 0.5], "#000")], value_label="v"
    )
    root = _parse(svg)
    for node in root.iter():
        for name in ("x", "y", "width", "height"):
            assert node.get(name, "0").replace(".", "").replace("-", "").isdigit(), node.attrib
    first, _ = root.findall(".//svg:rect[@class='bar']", NS)
    assert float(first.get("width", 1)) == 0.5
    assert first.findtext("svg:title", namespaces=NS) == "a, s: not measured"


def test_nice_ticks() -> None:
    assert nice_ticks(0, 1) == [0, 0.25, 0.5, 0.75, 1]
    assert nice_ticks(1, 5) == [1, 2, 3, 4, 5]
    assert nice_ticks(-0.03, 0.1) == [0, 0.05, 0.1], "ticks stay within the range"
    assert nice_range(-0.03, 0.1) == (-0.05, 0.1), "an axis ends on round values"
    assert nice_range(0, 0) == (0, 1), "an empty range still has a scale"
