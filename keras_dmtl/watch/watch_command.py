"""`keras-dmtl watch`: video sources to tracks in a database."""

import datetime
import os

DEFAULT_DB = "sqlite:///keras_dmtl_watch.db"


def add_watch_arguments(parser):
    """The arguments of `keras-dmtl watch`."""
    parser.add_argument(
        "sources", nargs="+", metavar="SOURCE",
        help="[NAME=]WHAT: a camera index (0), a video file, an RTSP or "
             "HTTP stream URL, or a folder of images; several at once")
    parser.add_argument("--model", required=True,
                        help="an exported artifact (.tflite, .onnx, .keras, "
                             "SavedModel folder, TensorRT engine) with its "
                             "model_info.json")
    parser.add_argument("--db", default=DEFAULT_DB,
                        help="database URL: sqlite:///file.db (default "
                             f"{DEFAULT_DB}) or postgresql+psycopg://...")
    parser.add_argument("--detect-every", type=int, default=5,
                        help="run the face detector on one frame in this "
                             "many; faces are followed by optical flow "
                             "between (default 5)")
    parser.add_argument("--detect-side", type=int, default=320,
                        help="frames are shrunk to this long side for face "
                             "detection (default 320: faces from about 40 "
                             "px in a 640x480 frame are found; raise it "
                             "for smaller faces, at a cost in speed)")
    parser.add_argument("--min-seconds", type=float, default=1.0,
                        help="shorter tracks are not stored (default 1)")
    parser.add_argument("--min-confidence", type=float, default=0.9,
                        help="faces the detector is less sure of are "
                             "ignored (default 0.9)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--threads", type=int,
                        help="CPU threads for TFLite and ONNX Runtime")
    parser.add_argument("--save-faces", action="store_true",
                        help="store each track's best face crop (JPEG); "
                             "off by default for privacy")
    parser.add_argument("--keep-days", type=float,
                        help="delete tracks older than this many days, at "
                             "start and every hour")
    parser.add_argument("--max-buffered", type=int, default=10000,
                        help="tracks kept in memory while the database is "
                             "unavailable; older ones beyond are dropped "
                             "and counted (default 10000)")
    parser.add_argument("--flush-seconds", type=float, default=300.0,
                        help="at the end, how long to wait for a database "
                             "that is unavailable to take the buffered "
                             "tracks (default 300)")
    parser.add_argument("--max-frames", type=int,
                        help="stop after this many frames (all sources)")
    parser.add_argument("--start-time",
                        help="ISO time of a video file's first frame "
                             "(default: now); live sources use the clock")


def run_watch(args):
    """Runs the watcher until its sources end or Ctrl-C; prints a summary."""
    from keras_dmtl.data.alignment import FaceAligner
    from keras_dmtl.export.runtimes import load_artifact
    from keras_dmtl.store import LiveWriter
    from keras_dmtl.store import ModelRecord
    from keras_dmtl.store import TrackWriter
    from keras_dmtl.store import open_database
    from keras_dmtl.watch.retention import Retention
    from keras_dmtl.watch.sources import open_source
    from keras_dmtl.watch.watcher import Watcher

    for name in ("detect_every", "detect_side", "batch_size",
                 "max_buffered"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be at least "
                             f"1, got {getattr(args, name)}")
    start = _start_time(args.start_time)
    database = open_database(args.db)  # schema checked before any video
    runtime = load_artifact(args.model, num_threads=args.threads)
    sources = [open_source(spec, log=_log, start=start)
               for spec in args.sources]
    names = [s.name for s in sources]
    if len(set(names)) != len(names):
        raise ValueError(f"two sources share a name ({', '.join(names)}): "
                         "give each one as NAME=SOURCE")
    aligner = FaceAligner(runtime.image_size, min_confidence=args.min_confidence,
                          cache=False, detect_side=args.detect_side)
    retention = Retention(database, args.keep_days, log=_log)
    writer = TrackWriter(args.db, _model_record(ModelRecord, runtime),
                         max_buffered=args.max_buffered, log=_log)
    live = LiveWriter(args.db, log=_log)
    watcher = Watcher(runtime, sources, aligner, sink=writer,
                      detect_every=args.detect_every,
                      batch_size=args.batch_size,
                      min_seconds=args.min_seconds,
                      min_confidence=args.min_confidence,
                      save_faces=args.save_faces, live=live, log=_log)
    _log(f"watching {', '.join(f'{s.name} ({s.uri})' for s in sources)} "
         f"with {args.model}; writing to {_masked(args.db)}")
    try:
        stats = watcher.run(max_frames=args.max_frames,
                            every_round=retention.tick)
    finally:
        if writer.buffered:
            _log(f"waiting up to {args.flush_seconds:g} s to write "
                 f"{writer.buffered} buffered tracks")
        written = writer.close(timeout=args.flush_seconds)
        live.close()
        database.dispose()
    _log(f"{stats['frames']} frames at {stats['frames_per_second']} frames/s, "
         f"{stats['faces']} face sightings, {stats['tracks_stored']} tracks "
         f"stored, {stats['tracks_too_short']} too short to store")
    _log(f"database: {written['written']} tracks written, "
         f"{written['dropped']} dropped, {written['buffered_left']} not "
         "written")
    _log(f"live view: {live.writes} updates of the tracks in view")
    for stage, spent in stats["stages"].items():
        _log(f"  {stage}: {spent['seconds']:.2f} s in {spent['calls']} calls")
    return stats


def _masked(url):
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True)


def _log(line):
    stamp = datetime.datetime.now().strftime("%H:%M:%S")
    print(f"{stamp} {line}", flush=True)


def _start_time(text):
    if text is None:
        return None
    try:
        when = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--start-time: not an ISO time: {text!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return when.timestamp()


def _model_record(record_class, runtime):
    """The model row of the tracks: the artifact, its hash and tasks."""
    from keras_dmtl.file_digest import sha256_of

    path = os.path.abspath(runtime.path)
    return record_class(name=os.path.basename(path.rstrip(os.sep)), path=path,
                        sha256=sha256_of(path),
                        runtime=runtime.name or type(runtime).__name__,
                        tasks=[t.describe() for t in runtime.tasks])
