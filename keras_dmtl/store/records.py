"""What the watcher hands to the store: plain dataclasses, no SQLAlchemy.

A `TrackRecord` is one finished track; a `ModelRecord` the model artifact
of a watch run. `TrackWriter` turns them into rows.
"""

import dataclasses
import datetime
import math
from collections.abc import Mapping
from typing import Any
from typing import Optional
from typing import Sequence


@dataclasses.dataclass(frozen=True)
class ModelRecord:
    """The model artifact a watch run uses.

    Args:
        name: str, a short name (the artifact's file or folder name).
        path: str, the artifact's absolute path.
        sha256: str, the hex SHA-256 of the artifact's bytes.
        runtime: str, the runtime that runs it, e.g. `"tflite"`, `"onnx"`.
        tasks: JSON-ready list (or dict) describing the tasks: names,
            kinds, classes.

    Example:

    ```python
    model = ModelRecord(name="face.tflite", path="/models/face.tflite",
                        sha256="9f86d0...", runtime="tflite",
                        tasks=[{"name": "gender", "kind": "nominal",
                                "classes": ["female", "male"]}])
    ```
    """

    name: str
    path: str
    sha256: str
    runtime: str
    tasks: Any


@dataclasses.dataclass
class TrackRecord:
    """One finished track, as the watcher hands it to `TrackWriter.put`.

    Times are timezone-aware `datetime`s (UTC preferred); a naive one is
    refused with `ValueError`, since its zone is unknown.

    Args:
        key: str, unique per track (a UUID); a key already stored is not
            written again.
        source: str, the source's name, e.g. `"door"`.
        source_uri: str, the camera index, file, URL or folder.
        first_seen: `datetime`, the first frame the face was in.
        last_seen: `datetime`, the last one.
        frames: int, frames the face was in view.
        detections: int, frames it was detected in (not only tracked).
        confidence: float, the mean detection confidence.
        age: float or None, the aggregated age.
        gender: str or None, the winning gender class.
        race: str or None, the winning race class.
        expression: str or None, the winning expression class.
        attributes: JSON-ready dict of every aggregated output.
        boxes: list of `[seconds, x, y, w, h]`.
        face_jpeg: bytes or None, a face crop (only when asked for).
        observations: sequence of `(datetime, dict)`: per-frame outputs.

    Example:

    ```python
    now = datetime.datetime.now(datetime.timezone.utc)
    record = TrackRecord(
        key=str(uuid.uuid4()), source="door", source_uri="0",
        first_seen=now - datetime.timedelta(seconds=3), last_seen=now,
        frames=90, detections=18, confidence=0.98, age=34.0,
        gender="male", race=None, expression="happy",
        attributes={"gender": {"female": 0.1, "male": 0.9}},
        boxes=[[0.0, 12, 30, 80, 80]],
        observations=[(now, {"valence": 0.4, "arousal": 0.2})])
    ```
    """

    key: str
    source: str
    source_uri: str
    first_seen: datetime.datetime
    last_seen: datetime.datetime
    frames: int
    detections: int
    confidence: float
    age: Optional[float]
    gender: Optional[str]
    race: Optional[str]
    expression: Optional[str]
    attributes: Mapping
    boxes: Sequence
    face_jpeg: Optional[bytes] = None
    observations: Sequence = ()

    def __post_init__(self):
        if not isinstance(self.key, str) or not self.key:
            raise ValueError(f"a track key must be a non-empty str, got "
                             f"{self.key!r}")
        if not isinstance(self.source, str) or not self.source:
            raise ValueError(f"track {self.key}: the source name must be a "
                             f"non-empty str, got {self.source!r}")
        _check_aware(self.first_seen, f"track {self.key}: first_seen")
        _check_aware(self.last_seen, f"track {self.key}: last_seen")
        for item in self.observations:
            if not isinstance(item, (tuple, list)) or len(item) != 2:
                raise ValueError(f"track {self.key}: an observation must be "
                                 f"a (datetime, dict) pair, got {item!r}")
            _check_aware(item[0], f"track {self.key}: an observation time")

    @property
    def duration_s(self):
        """float, seconds from the first to the last sighting."""
        return (self.last_seen - self.first_seen).total_seconds()


def _check_aware(value, what):
    if not isinstance(value, datetime.datetime):
        raise ValueError(f"{what} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} is a naive datetime ({value.isoformat()}): "
                         "give a timezone-aware (UTC) time")


def json_ready(value):
    """A copy of `value` that `json.dumps` takes and every database keeps.

    Tuples become lists, mapping keys strings, NumPy scalars and arrays
    (anything with `tolist()`) Python values, and NaN or infinite floats
    `None` (PostgreSQL's JSON refuses them).

    Args:
        value: nested dicts, lists, tuples, numbers, strings, None.

    Returns:
        The same structure made of plain JSON types.

    Example:

    ```python
    json_ready({"p": numpy.float32(0.5), "box": (1, 2), "x": float("nan")})
    # {"p": 0.5, "box": [1, 2], "x": None}
    ```
    """
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if hasattr(value, "tolist"):  # NumPy scalars and arrays
        return json_ready(value.tolist())
    if hasattr(value, "item"):
        return json_ready(value.item())
    raise TypeError(f"not JSON-ready: {type(value).__name__} {value!r}")
