"""The command-line arguments every training recipe shares."""

import argparse

from keras_dmtl.layers.loss_weightings import LOSS_WEIGHTINGS
from keras_dmtl.models.backbones import BACKBONES

LEARNED_WEIGHTINGS = [name for name in LOSS_WEIGHTINGS if name != "fixed"]
"""The weightings a recipe can use without hand-chosen weights."""


def task_weights_argument(text):
    """`--task-weights age=0.01,gender=0.7,...` as a dict of floats."""
    import math

    weights = {}
    for item in text.split(","):
        name, _, weight = item.partition("=")
        name = name.strip()
        try:
            value = float(weight)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{item!r} is not NAME=WEIGHT (for example gender=0.7)"
            ) from None
        if not name:
            raise argparse.ArgumentTypeError(f"{item!r} names no task")
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{item!r}: not a finite "
                                             "weight")
        if name in weights:
            raise argparse.ArgumentTypeError(f"{name!r} is given twice")
        weights[name] = value
    return weights


def refuse_one_model_options(args, command):
    """Raises `ValueError` for `--teacher` or fixed weights on a recipe
    that trains models of other tasks and weightings (`tune_weights`,
    `face_behavior_study`): one teacher or one set of weights cannot fit
    them all."""
    if args.teacher:
        raise ValueError(f"--teacher does not apply to {command}: it trains "
                         "models of other tasks, compared on their own "
                         "losses")
    if args.loss_weighting == "fixed":
        raise ValueError(f"--loss-weighting fixed does not apply to "
                         f"{command}: it trains models of other tasks and "
                         "weightings")


def check_training_arguments(args):
    """Raises `ValueError` for shared training arguments that clash.

    `task_weights` given as text (`train(task_weights="age=1,gender=2")`
    from Python) becomes the dict the command line gives.
    """
    if isinstance(args.task_weights, str):
        try:
            args.task_weights = task_weights_argument(args.task_weights)
        except argparse.ArgumentTypeError as error:
            raise ValueError(f"--task-weights: {error}") from None
    fixed = args.loss_weighting == "fixed"
    if fixed and not args.task_weights:
        raise ValueError("--loss-weighting fixed needs --task-weights "
                         "NAME=WEIGHT,... with a weight for every task")
    teaching = [name for name in ("teacher_weight", "temperature")
                if getattr(args, name, None) is not None]
    if teaching and not getattr(args, "teacher", None):
        raise ValueError(f"--{teaching[0].replace('_', '-')} goes with "
                         "--teacher MODEL")
    if (args.teacher_weight is not None
            and not 0 < args.teacher_weight <= 1):
        raise ValueError("--teacher-weight must be in (0, 1], got "
                         f"{args.teacher_weight}")
    if args.temperature is not None and not 0 < args.temperature < float(
            "inf"):
        raise ValueError(f"--temperature must be positive and finite, got "
                         f"{args.temperature}")
    if args.task_weights and not fixed:
        raise ValueError("--task-weights gives fixed weights: use it with "
                         "--loss-weighting fixed")


def add_training_arguments(parser, out):
    """Adds the model and optimizer arguments, with DMTL's defaults.

    `--backbone` (EfficientNetB0), `--weights`, `--image-size` (224),
    `--start-from` (a trained model to continue from), `--teacher` (a
    trained model that teaches, with `--teacher-weight` and
    `--temperature`), `--test-time-flip` (answers averaged over each face
    and its mirror image),
    `--epochs` (80), `--batch-size` (32), `--optimizer` (SGD),
    `--learning-rate` (1e-3), `--loss-weighting` (learned; fixed with
    `--task-weights`), `--schedule` (constant), `--momentum` (0.9),
    `--weight-decay` (5e-4),
    `--seed`, `--out`, `--overwrite`, `--strategy` (how to spread training
    over devices and machines) and `--quiet` (no progress bars).

    Args:
        parser: an `argparse.ArgumentParser`.
        out: the default run folder.
    """
    parser.add_argument("--backbone", default="efficientnet_b0",
                        choices=BACKBONES)
    parser.add_argument("--weights", help="backbone weights file (no top)")
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--start-from", metavar="MODEL",
                        help="a trained model (.keras) with the same tasks, "
                             "backbone and image size whose weights this run "
                             "starts from: to train it longer or on another "
                             "mix; the optimizer starts afresh")
    parser.add_argument("--teacher", metavar="MODEL",
                        help="a trained keras-dmtl model (.keras) that "
                             "teaches the tasks it shares with this one "
                             "(distillation; for example a model of one "
                             "task trained alone); it is not saved with "
                             "the model")
    # None unless given, so that runs from before the options resume.
    parser.add_argument("--teacher-weight", type=float,
                        help="the share of the teacher's term in each "
                             "taught task's loss, in (0, 1] (default 0.5)")
    parser.add_argument("--temperature", type=float,
                        help="the distillation temperature T (default 2)")
    parser.add_argument("--test-time-flip",
                        action=argparse.BooleanOptionalAction,
                        help="the model answers as the mean over each face "
                             "and its mirror image outside training "
                             "(evaluation, every export): twice the "
                             "computation per face (default: as the "
                             "--start-from model, else off)")
    parser.add_argument("--epochs", type=int, default=80)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--optimizer", default="sgd", choices=["sgd", "adam"],
                        help="sgd (the paper's) or adam (AdamW: faster from "
                             "random weights)")
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--loss-weighting", default="learned",
                        choices=list(LOSS_WEIGHTINGS),
                        help="how the task losses are weighed: learned "
                             "uncertainty (the paper's), started from the "
                             "first losses, bounded (Liebel and Koerner), "
                             "dynamic weight averaging, random weights, or "
                             "fixed weights (--task-weights)")
    parser.add_argument("--task-weights", type=task_weights_argument,
                        metavar="NAME=W,...",
                        help="the weights of --loss-weighting fixed, one "
                             "per task (as the tuning recipe's best), for "
                             "example age=0.01,gender=0.7,race=0.2,"
                             "expression=0.5")
    parser.add_argument("--schedule", default="constant",
                        choices=["constant", "cosine"],
                        help="learning rate: constant (the paper's) or a "
                             "cosine decay to zero over all epochs")
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=out,
                        help="run folder: an unfinished run in it resumes; a "
                             "finished one is left as it is")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the run in --out when its settings "
                             "differ (only the files that run wrote)")
    parser.add_argument("--strategy", default="default",
                        choices=["default", "mirrored", "multi_worker"],
                        help="default: one device; mirrored: every GPU of "
                             "this machine; multi_worker: the machines of "
                             "TF_CONFIG. --batch-size is the global batch, "
                             "split evenly among the replicas")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress bars (they are off anyway when "
                             "the output is not a terminal)")
    return parser


def add_align_argument(parser):
    """Adds `--align` (re-align the faces as `watch` does, before
    training; see `keras_dmtl.data.align_examples`) to a recipe's parser."""
    parser.add_argument("--align", action="store_true",
                        help="re-align the UTKFace faces on five landmarks "
                             "(MTCNN) as `watch` and `predict` do, before "
                             "training; the crops are cached, faces not "
                             "found are skipped and counted")


def add_split_argument(parser):
    """Adds `--split-seed` (the seed of the train/test split; default
    `--seed`) to a recipe that holds out test faces."""
    parser.add_argument("--split-seed", type=int,
                        help="the seed of the train/test split (default: "
                             "--seed): keep a run's test faces while "
                             "another --seed varies the training, as a run "
                             "that goes on from a model (--start-from) must")


def split_seed(args):
    """The seed of the run's train/test split: `--split-seed`, else
    `--seed`.

    Args:
        args: a recipe's `argparse.Namespace`, or a run's recorded
            settings (the dict under `"settings"` in `run.json`).
    """
    settings = args if isinstance(args, dict) else vars(args)
    seed = settings.get("split_seed")
    return settings.get("seed") if seed is None else seed


def add_branch_arguments(parser):
    """Adds `--shared-stages` and `--branch-by` (`DMTLModel`'s
    `shared_stages` and `branch_by`) to a recipe's parser."""
    from keras_dmtl.models.dmtl_model import BRANCH_BY

    parser.add_argument("--shared-stages", type=int, default=None,
                        help="backbone stages shared by all tasks (default: "
                             "all); the stages above are copied per branch")
    # Default None, not "category": the settings of runs from before the
    # option have no branch_by, and a rerun must resume them.
    parser.add_argument("--branch-by", default=None, choices=BRANCH_BY,
                        help="with --shared-stages: one branch per kind of "
                             "task (category, the default and the paper's) "
                             "or one per task")
