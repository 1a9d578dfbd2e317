"""How a stored track reads on the page and in the exports."""

import math

EXPORT_COLUMNS = ("key", "source", "first_seen", "last_seen", "duration_s",
                  "frames", "detections", "confidence", "age", "gender",
                  "race", "expression", "model")
MAX_SERIES = 12


def finite(value, digits=4):
    """A float rounded, or None for a missing or non-finite one (JSON has
    no NaN; PostgreSQL, unlike SQLite, keeps it)."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def export_row(track, attributes=False):
    """A track as a flat dict of `EXPORT_COLUMNS` (times in ISO 8601), with
    every aggregated output under `attributes` if asked.

    Example:

    ```python
    rows = [export_row(t) for t in tracks]
    ```
    """
    row = {
        "key": track.key, "source": track.source.name,
        "first_seen": track.first_seen.isoformat(),
        "last_seen": track.last_seen.isoformat(),
        "duration_s": finite(track.duration_s, 3), "frames": track.frames,
        "detections": track.detections,
        "confidence": finite(track.confidence),
        "age": finite(track.age, 2),
        "gender": track.gender, "race": track.race,
        "expression": track.expression,
        "model": track.model.name if track.model is not None else None,
    }
    if attributes:
        row["attributes"] = track.attributes
    return row


def attribute_lines(attributes):
    """`(task, text)` pairs describing a track's aggregated outputs.

    Each task's summary is read by its keys, whatever its kind: a value
    (age), a label with its probabilities (classes), the active labels
    (action units) or means (valence, arousal).
    """
    lines = []
    for task, summary in sorted((attributes or {}).items()):
        if not isinstance(summary, dict):
            lines.append((task, str(summary)))
            continue
        parts = []
        if "value" in summary:
            parts.append(f"{summary['value']:g}")
            if "interquartile" in summary:
                low, high = summary["interquartile"]
                parts.append(f"(middle half {low:g} to {high:g})")
        elif "label" in summary:
            parts.append(str(summary["label"]))
        if "active" in summary:
            parts.append(", ".join(summary["active"]) or "none active")
        for key in ("probabilities", "mean"):
            values = summary.get(key)
            if isinstance(values, dict) and values:
                top = sorted(values.items(), key=lambda kv: -kv[1])[:4]
                parts.append(f"{key}: " + ", ".join(
                    f"{name} {value:.2f}" for name, value in top))
        lines.append((task, " ".join(parts) if parts else str(summary)))
    return lines


def time_series(track):
    """The numbers that vary along a track, for a line chart.

    Returns:
        `(times, series)`: seconds from the track's start, and a dict
        `"task name"` -> values (the first `MAX_SERIES` numeric outputs of
        the observations; missing frames repeat the previous value).
    """
    observations = track.observations
    if not observations:
        return [], {}
    start = observations[0].time
    times, series = [], {}
    for index, observation in enumerate(observations):
        times.append((observation.time - start).total_seconds())
        for name, value in _numbers(observation.values):
            if name not in series:
                if len(series) >= MAX_SERIES:
                    continue
                series[name] = [value] * index
            series[name].append(value)
        for values in series.values():
            if len(values) < len(times):
                values.append(values[-1] if values else 0.0)
    return times, series


def _numbers(values, prefix=""):
    """`(name, float)` for every number in nested dicts."""
    if isinstance(values, bool):
        return
    if isinstance(values, (int, float)):
        yield prefix, float(values)
    elif isinstance(values, dict):
        for key, value in values.items():
            if key == "probabilities":  # "aus AU12", not "aus probabilities AU12"
                name = prefix
            else:
                name = f"{prefix} {key}" if prefix else key
            yield from _numbers(value, name)
