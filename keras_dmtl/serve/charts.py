"""Charts drawn on the server as SVG: no script, no network.

Each function returns safe markup (`markupsafe.Markup`) to put in a page;
every label is escaped.
"""

from markupsafe import Markup
from markupsafe import escape

WIDTH = 640
BAR_HEIGHT = 22


def _nice_top(value):
    """A round axis top at or above `value`."""
    if value <= 0:
        return 1
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000,
                 5000, 10000, 20000, 50000, 100000):
        top = step * 5
        if top >= value:
            return top
    return value


def column_chart(title, labels, values, label_every=1):
    """Vertical columns over an ordered axis (e.g. visitors per hour).

    Args:
        title: str, the chart's accessible name and heading.
        labels: list of str, one per column (shown every `label_every`).
        values: list of numbers.

    Returns:
        `Markup`, an `<svg>` element.

    Example:

    ```python
    svg = column_chart("Visitors per hour", ["09:00", "10:00"], [3, 7])
    ```
    """
    height, left, bottom, top_pad = 220, 40, 40, 10
    count = max(len(values), 1)
    top = _nice_top(max(values, default=0))
    plot_w, plot_h = WIDTH - left - 10, height - bottom - top_pad
    step = plot_w / count
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for i in range(6):
        y = top_pad + plot_h * (1 - i / 5)
        parts.append(f'<line class="grid" x1="{left}" x2="{WIDTH - 10}" '
                     f'y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text class="axis" x="{left - 4}" y="{y + 4:.1f}" '
                     f'text-anchor="end">{top * i / 5:g}</text>')
    for i, (label, value) in enumerate(zip(labels, values)):
        h = plot_h * value / top
        x = left + i * step
        parts.append(
            f'<rect class="bar" x="{x + step * 0.1:.1f}" '
            f'y="{top_pad + plot_h - h:.1f}" width="{step * 0.8:.1f}" '
            f'height="{h:.1f}"><title>{escape(label)}: {value:g}</title>'
            '</rect>')
        if i % max(label_every, 1) == 0:
            parts.append(f'<text class="axis" x="{x + step / 2:.1f}" '
                         f'y="{height - bottom + 16}" text-anchor="middle">'
                         f'{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(title, labels, values):
    """Horizontal bars for categories (e.g. the gender split), with each
    bar's count and share.

    Example:

    ```python
    svg = bar_chart("Gender", ["female", "male"], [12, 9])
    ```
    """
    left, right = 130, 90
    height = BAR_HEIGHT * max(len(values), 1) + 10
    total = sum(values) or 1
    top = max(values, default=0) or 1
    plot_w = WIDTH - left - right
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    if not values:
        parts.append('<text class="axis" x="10" y="20">no tracks</text>')
    for i, (label, value) in enumerate(zip(labels, values)):
        y = 5 + i * BAR_HEIGHT
        w = plot_w * value / top
        parts.append(
            f'<text class="axis" x="{left - 6}" y="{y + 15}" '
            f'text-anchor="end">{escape(label)}</text>'
            f'<rect class="bar" x="{left}" y="{y + 3}" width="{w:.1f}" '
            f'height="{BAR_HEIGHT - 6}"/>'
            f'<text class="value" x="{left + w + 6:.1f}" y="{y + 15}">'
            f'{value:g} ({100 * value / total:.0f} %)</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(title, times, series):
    """Lines over time (a track's valence, arousal or action units).

    Args:
        title: str.
        times: list of float seconds from the track's start.
        series: dict name -> list of float, one per time, in [-1, 1] or
            [0, 1].
    """
    height, left, bottom, top_pad = 200, 40, 30, 10
    plot_w, plot_h = WIDTH - left - 120, height - bottom - top_pad
    low = min((min(v) for v in series.values() if v), default=0)
    low = -1.0 if low < 0 else 0.0
    span = max(times[-1] if times else 1, 1e-6)
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for value in (low, (low + 1) / 2, 1.0):
        y = top_pad + plot_h * (1 - (value - low) / (1 - low))
        parts.append(f'<line class="grid" x1="{left}" x2="{left + plot_w}" '
                     f'y1="{y:.1f}" y2="{y:.1f}"/><text class="axis" '
                     f'x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">'
                     f'{value:g}</text>')
    for k, (name, values) in enumerate(series.items()):
        points = " ".join(
            f"{left + plot_w * t / span:.1f},"
            f"{top_pad + plot_h * (1 - (v - low) / (1 - low)):.1f}"
            for t, v in zip(times, values))
        parts.append(f'<polyline class="line line{k % 6}" fill="none" '
                     f'points="{points}"/><text class="axis line{k % 6}" '
                     f'x="{left + plot_w + 8}" y="{top_pad + 14 * k + 10}">'
                     f'{escape(name)}</text>')
    parts.append(f'<text class="axis" x="{left + plot_w / 2:.1f}" '
                 f'y="{height - 6}" text-anchor="middle">seconds</text>'
                 "</svg>")
    return Markup("".join(parts))
