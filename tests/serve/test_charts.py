import xml.etree.ElementTree as ElementTree

from keras_dmtl.serve.charts import bar_chart
from keras_dmtl.serve.charts import column_chart
from keras_dmtl.serve.charts import line_chart

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup):
    return ElementTree.fromstring(str(markup).replace(
        "<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))


def test_columns_are_as_high_as_their_values():
    svg = _parse(column_chart("Visitors", ["09:00", "10:00", "11:00"],
                              [2, 8, 0]))
    bars = svg.findall(f"{SVG}rect")
    heights = [float(b.get("height")) for b in bars]
    assert len(bars) == 3
    assert heights[0] * 4 == heights[1] and heights[2] == 0
    assert svg.get("aria-label") == "Visitors"
    # The axis top is a round number at or above the largest value.
    assert [t.text for t in svg.findall(f"{SVG}text")][:6] == [
        "0", "2", "4", "6", "8", "10"]


def test_bars_show_counts_and_shares_and_escape_labels():
    markup = bar_chart("Race", ["<script>", "white"], [1, 3])
    svg = _parse(markup)
    texts = [t.text for t in svg.findall(f"{SVG}text")]
    assert texts == ["<script>", "1 (25 %)", "white", "3 (75 %)"]
    assert "<script>" not in str(markup)
    widths = [float(r.get("width")) for r in svg.findall(f"{SVG}rect")]
    assert widths[1] == 3 * widths[0]


def test_an_empty_chart_says_so():
    svg = _parse(bar_chart("Expression", [], []))
    assert [t.text for t in svg.findall(f"{SVG}text")] == ["no tracks"]


def test_lines_follow_their_values():
    svg = _parse(line_chart("Along", [0.0, 1.0, 2.0],
                            {"valence": [-1.0, 0.0, 1.0]}))
    (line,) = svg.findall(f"{SVG}polyline")
    points = [tuple(map(float, p.split(",")))
              for p in line.get("points").split()]
    assert points[0][0] < points[1][0] < points[2][0]
    assert points[0][1] > points[1][1] > points[2][1]  # up is smaller y
