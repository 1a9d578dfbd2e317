"""Watching video: sources, face tracks, the watcher, a test video.

- `open_source(spec)`: a camera, video file, stream or image folder;
- `FaceTracker`, `Track`: faces followed between detections;
- `Watcher`: frames to tracks to `keras_dmtl.store.TrackRecord`s;
- `make_test_video`, `TestVideoTruth`: a video of real faces with its
  true tracks, and `match_tracks` / `attribute_scores` to check a run
  against it.
"""

from keras_dmtl.watch.sources import open_source
from keras_dmtl.watch.test_video import TestVideoTruth
from keras_dmtl.watch.test_video import make_test_video
from keras_dmtl.watch.track import Track
from keras_dmtl.watch.track_matching import attribute_scores
from keras_dmtl.watch.track_matching import match_tracks
from keras_dmtl.watch.tracker import FaceTracker
from keras_dmtl.watch.watcher import Watcher
