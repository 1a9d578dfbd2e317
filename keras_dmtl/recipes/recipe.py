"""A training recipe: its command line, and the training it drives."""

import argparse
import inspect

from keras_dmtl.training.arguments import add_training_arguments
from keras_dmtl.training.arguments import check_training_arguments


class Recipe:
    """Base class of the training recipes `keras-dmtl train NAME` runs.

    A recipe is a complete training job, from folders of faces to a run
    folder (`--out`) with the model, its history and its metrics. Each
    subclass names itself (`name`), gives its default run folder (`out`),
    adds its own arguments to the training arguments every recipe shares
    (`add_training_arguments`: backbone, weights, optimizer, epochs,
    `--strategy`, `--quiet` and the others), may change their defaults
    (`defaults`), and trains in `run(args)`.

    The same recipe runs from the command line (`keras-dmtl train NAME
    ARGS`, or `main(argv)`) and from Python, with the options as keyword
    arguments named like the command-line options (`train(epochs=2)` for
    `--epochs 2`).

    Example:

    ```python
    from keras_dmtl.recipes import UTKFaceRecipe

    out = UTKFaceRecipe().train(backbone="mobilenet_v2_0.35", image_size=32,
                                epochs=1, synthetic_size=96,
                                out="runs/tiny")
    ```
    """

    name = None
    """The recipe's name on the command line."""
    out = None
    """The default run folder."""
    defaults = {}
    """Defaults of the shared training arguments that this recipe changes."""

    @property
    def description(self):
        """The first line of the recipe's docstring."""
        return inspect.getdoc(self).split("\n")[0]

    def add_arguments(self, parser):
        """Adds the recipe's own arguments to `parser`."""

    def check_arguments(self, args):
        """Raises `ValueError` for missing arguments or ones that clash.

        Recipes check required arguments here rather than with argparse's
        `required=True`, so that `options()` can start from the defaults.
        """

    def run(self, args):
        """Trains with the parsed arguments; returns the run folder's path."""
        raise NotImplementedError

    def parser(self, prog=None):
        """The recipe's `argparse.ArgumentParser`."""
        parser = argparse.ArgumentParser(
            prog=prog or f"keras-dmtl train {self.name}",
            description=inspect.getdoc(self),
            formatter_class=argparse.RawDescriptionHelpFormatter)
        self.add_arguments(parser)
        add_training_arguments(parser, out=self.out)
        parser.add_argument("--debug", action="store_true",
                            help="show the full Python traceback of an error")
        parser.set_defaults(**self.defaults)
        return parser

    def parse(self, argv, prog=None):
        """The `argparse.Namespace` of command-line arguments `argv`."""
        parser = self.parser(prog)
        args = parser.parse_args(argv)
        try:
            check_training_arguments(args)
            self.check_arguments(args)
        except ValueError as error:
            parser.error(str(error))
        return args

    def options(self, **options):
        """The `argparse.Namespace` of keyword options, over the defaults.

        Raises:
            TypeError: for an option the recipe does not have.
        """
        args = self.parser().parse_args([])
        unknown = sorted(set(options) - set(vars(args)))
        if unknown:
            raise TypeError(
                f"Recipe {self.name!r} has no option(s) {unknown}; it has "
                f"{sorted(vars(args))}.")
        vars(args).update(options)
        check_training_arguments(args)
        self.check_arguments(args)
        return args

    def train(self, **options):
        """Trains with keyword options, named like the command-line ones.

        Returns:
            The path of the run folder.
        """
        return self.start(self.options(**options))

    def main(self, argv=None, prog=None):
        """Runs the recipe on command-line arguments, as a command does.

        Errors end the process with one line (see `keras_dmtl.cli`).
        """
        from keras_dmtl.command_errors import run_guarded

        args = self.parse(argv, prog)
        run_guarded(lambda: self.start(args), f"train {self.name}",
                    debug=args.debug)

    def strategy(self, args):
        """The `tf.distribute` strategy of `--strategy`, made first.

        Raises:
            ValueError: when `--batch-size` (the global batch) does not
                split evenly among the strategy's replicas.
        """
        from keras_dmtl.training.distribution import distribution_strategy
        from keras_dmtl.training.distribution import per_replica_batch_size

        strategy = distribution_strategy(args.strategy)
        per_replica_batch_size(args.batch_size, strategy)
        return strategy

    def build_model(self, args, strategy, tasks, steps_per_epoch,
                    learning_rate=None, **kwargs):
        """A `DMTLModel` of `tasks` with the arguments' backbone, compiled
        with their optimizer, both inside `strategy.scope()`; with
        `--start-from`, its weights are the trained model's
        (`keras_dmtl.training.start_from`), and a quantization-aware model
        stays one.

        Args:
            args: the parsed arguments.
            strategy: the run's `tf.distribute.Strategy`.
            tasks: the model's tasks.
            steps_per_epoch: int, the training steps of one epoch, for
                `--schedule cosine` (which decays over all epochs' steps).
            learning_rate: float, instead of `--learning-rate`.
            **kwargs: more `DMTLModel` arguments (`coupling`, ...);
                `shared_stages`, `branch_by`, `loss_weighting`,
                `test_time_flip` (unless given, the start model's) and
                (for fixed weights) `task_weights` default to the
                arguments'.
        """
        from keras_dmtl.models import DMTLModel
        from keras_dmtl.training.optimizers import make_optimizer
        from keras_dmtl.training.start_from import StartFromError
        from keras_dmtl.training.start_from import load_start_model
        from keras_dmtl.training.start_from import start_from
        from keras_dmtl.training.start_from import start_model_settings
        from keras_dmtl.training.teaching import attach_teacher

        kwargs.setdefault("loss_weighting", args.loss_weighting)
        if kwargs["loss_weighting"] == "fixed":
            kwargs.setdefault("task_weights", args.task_weights)
        for name in ("shared_stages", "branch_by"):  # recipes that have them
            if getattr(args, name, None) is not None:
                kwargs.setdefault(name, getattr(args, name))
        starting = None
        if getattr(args, "start_from", None):
            starting = load_start_model(args.start_from)
            kwargs.update(start_model_settings(starting))
        flip = getattr(args, "test_time_flip", None)
        if flip is None and starting is not None:  # as the model it goes on
            flip = starting.test_time_flip
        kwargs.setdefault("test_time_flip", bool(flip))
        with strategy.scope():
            try:
                model = DMTLModel(tasks, backbone=args.backbone,
                                  weights=args.weights,
                                  image_size=args.image_size, **kwargs)
            except ValueError as error:
                if starting is None or starting.int8_ranges is None:
                    raise
                # What a quantization-aware model cannot be (branches).
                raise StartFromError(f"--start-from {args.start_from}: it is "
                                     f"quantization-aware: {error}") from None
            if starting is not None:
                start_from(model, args.start_from, starting)
            if getattr(args, "teacher", None):
                attach_teacher(model, args)
            decay_steps = None
            if args.schedule == "cosine":
                decay_steps = max(1, int(steps_per_epoch)) * args.epochs
            model.compile(optimizer=make_optimizer(
                args.optimizer, learning_rate or args.learning_rate,
                args.momentum, args.weight_decay, decay_steps))
        return model

    def hold_out(self, run, args, test):
        """Records the run's test faces (`RunFolder.check_split`) and, with
        `--start-from`, checks them against those of the run that trained
        the start model (`check_start_split`): faces it trained on must not
        be among this run's test faces.
        """
        from keras_dmtl.training.start_from import check_start_split

        digest = run.check_split(test)
        if getattr(args, "start_from", None):
            check_start_split(args.start_from, digest)

    def open_run(self, args, strategy):
        """The run folder `--out`, or None when its run finished before.

        An unfinished run with the same settings resumes; a folder holding
        another run is refused unless `--overwrite` (`RunFolder`). Of the
        workers of a multi-worker run, only the chief writes the folder.
        """
        from keras_dmtl.training.distribution import is_chief
        from keras_dmtl.training.run_folder import RunFolder

        run = RunFolder(args.out, vars(args), overwrite=args.overwrite,
                        chief=is_chief(strategy))
        print(run.status)
        if run.finished:
            run.close()
            return None
        return run

    def start(self, args):
        """`run(args)` after the settings every recipe shares."""
        import keras

        from keras_dmtl.progress import set_quiet
        from keras_dmtl.file_digest import sha256_of
        from keras_dmtl.training.start_from import check_start_file
        from keras_dmtl.training.teaching import check_teacher_file

        set_quiet(args.quiet)
        if getattr(args, "start_from", None):  # before the data are read
            check_start_file(args.start_from, args.out)
            # A setting of the run: a rerun resumes only from the same file.
            args.start_from_sha256 = sha256_of(args.start_from)
        if getattr(args, "teacher", None):
            check_teacher_file(args.teacher, args.out)
            args.teacher_sha256 = sha256_of(args.teacher)
        keras.utils.set_random_seed(args.seed)
        return self.run(args)


def epoch_steps(count, batch_size):
    """The steps of one epoch over `count` faces: the last batch may be
    short."""
    return -(-int(count) // int(batch_size))
