import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(REPO), "shared")
MOBILENET_WEIGHTS = os.path.join(
    SHARED, "weights", "mobilenet_v2_1.0_224_no_top_imagenet.weights.h5"
)


def shared_path(*parts):
    """A path in ../shared, or skip the test with a message if it is absent."""
    path = os.path.join(SHARED, *parts)
    if not os.path.exists(path):
        pytest.skip(f"needs the shared data: {path} is absent")
    return path
