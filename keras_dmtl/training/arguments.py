"""The command-line arguments every training recipe shares."""

from keras_dmtl.layers.loss_weightings import LOSS_WEIGHTINGS
from keras_dmtl.models.backbones import BACKBONES

LEARNED_WEIGHTINGS = [name for name in LOSS_WEIGHTINGS if name != "fixed"]
"""The weightings a recipe can use without hand-chosen weights."""


def add_training_arguments(parser, out):
    """Adds the model and optimizer arguments, with DMTL's defaults.

    `--backbone` (EfficientNetB0), `--weights`, `--image-size` (224),
    `--start-from` (a trained model to continue from),
    `--epochs` (80), `--batch-size` (32), `--optimizer` (SGD),
    `--learning-rate` (1e-3), `--loss-weighting` (learned), `--schedule` (constant), `--momentum` (0.9), `--weight-decay` (5e-4),
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
    parser.add_argument("--epochs", type=int, default=80)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--optimizer", default="sgd", choices=["sgd", "adam"],
                        help="sgd (the paper's) or adam (AdamW: faster from "
                             "random weights)")
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--loss-weighting", default="learned",
                        choices=LEARNED_WEIGHTINGS,
                        help="how the task losses are weighed: learned "
                             "uncertainty (the paper's), started from the "
                             "first losses, bounded (Liebel and Koerner), "
                             "dynamic weight averaging or random weights")
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
