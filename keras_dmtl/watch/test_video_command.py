"""`keras-dmtl test-video`: a video of real faces with its true tracks."""


def add_test_video_arguments(parser):
    """The arguments of `keras-dmtl test-video`."""
    parser.add_argument("--utkface", required=True,
                        help="UTKFace folder: the faces that walk through")
    parser.add_argument("--photo", help="a photograph with one face that "
                                        "crosses too (its labels unknown)")
    parser.add_argument("--faces", type=int, default=8,
                        help="UTKFace faces drawn (default 8)")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--size", default="640x480", help="WIDTHxHEIGHT")
    parser.add_argument("--max-in-view", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True,
                        help="folder for video.mp4, truth.json, truth.csv")


def run_test_video(args):
    """Writes the video and its truth; prints where and how many people."""
    from keras_dmtl.watch.test_video import choose_faces
    from keras_dmtl.watch.test_video import make_test_video

    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        raise ValueError(f"--size takes WIDTHxHEIGHT, got {args.size!r}") \
            from None
    files = choose_faces(args.utkface, args.faces, args.seed)
    truth = make_test_video(args.out, files, photo=args.photo,
                            seconds=args.seconds, fps=args.fps,
                            size=(width, height),
                            max_in_view=args.max_in_view, seed=args.seed)
    print(f"{args.out}/video.mp4: {truth.frame_count} frames, "
          f"{truth.count} people (truth.json, truth.csv)")
    return truth
