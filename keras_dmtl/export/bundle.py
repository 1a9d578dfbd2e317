"""A device bundle: one folder with every artifact a kind of device needs."""

import argparse
import contextlib
import inspect
import os
import tempfile


class Bundle:
    """Base class of the device bundles `keras-dmtl bundle KIND` writes.

    A bundle exports a trained model in the formats and precisions one kind
    of device runs, checks each against the Keras model, and writes what
    the device needs beside them. Each subclass names itself (`name`), adds
    its own arguments to the shared ones (the model and `--out`, `--data`),
    and writes the folder in `run(args)`.

    The same bundle is written from the command line (`keras-dmtl bundle
    KIND MODEL ARGS`, or `main(argv)`) and from Python, with the options as
    keyword arguments named like the command-line options.

    Example:

    ```python
    from keras_dmtl.export import MobileBundle

    folder = MobileBundle().build("runs/quickstart/model.keras",
                                  precisions=["fp32", "fp16"])
    ```
    """

    name = None
    """The bundle's name on the command line (the kind of device)."""

    def add_arguments(self, parser):
        """Adds the bundle's own arguments to `parser`."""

    def run(self, args):
        """Writes the bundle of `args.model`; returns the folder's path."""
        raise NotImplementedError

    def parser(self, prog=None):
        """The bundle's `argparse.ArgumentParser`."""
        parser = argparse.ArgumentParser(
            prog=prog or f"keras-dmtl bundle {self.name}",
            description=inspect.getdoc(self),
            formatter_class=argparse.RawDescriptionHelpFormatter)
        parser.add_argument("model",
                            help="the .keras file of a trained DMTLModel")
        parser.add_argument("--out", help=f"output folder (default: "
                                          f"{self.name}/ beside the model)")
        parser.add_argument(
            "--data", help="aligned faces (folder, or CSV with an 'image' "
            "column) for parity and calibration; default: the run's "
            "test_set.csv, else synthetic faces")
        parser.add_argument("--quiet", action="store_true",
                            help="no progress bars")
        parser.add_argument("--debug", action="store_true",
                            help="show the full Python traceback of an error")
        self.add_arguments(parser)
        return parser

    def folder(self, args):
        """The output folder: `--out`, else `<name>/` beside the model."""
        return args.out or os.path.join(
            os.path.dirname(os.path.abspath(args.model)), self.name)

    @contextlib.contextmanager
    def conversion_source(self, model):
        """One SavedModel of `model` for every export of the bundle.

        Each export converts from it (`export_model(..., saved_model=)`)
        instead of writing its own, which is much of a small model's
        export time; the folder is removed when the block ends.

        Args:
            model: the loaded `DMTLModel`.

        Yields:
            The SavedModel's path.
        """
        from keras_dmtl.export.saved_model import write_conversion_folder

        with tempfile.TemporaryDirectory() as scratch:
            yield write_conversion_folder(model, scratch)

    def build(self, model, **options):
        """Writes the bundle of the model file `model`, with keyword options.

        Returns:
            The path of the folder.
        """
        args = self.parser().parse_args([model])
        unknown = sorted(set(options) - set(vars(args)))
        if unknown:
            raise TypeError(f"Bundle {self.name!r} has no option(s) "
                            f"{unknown}; it has {sorted(vars(args))}.")
        vars(args).update(options)
        return self.start(args)

    def main(self, argv=None, prog=None):
        """Writes the bundle from command-line arguments, as a command does.

        Errors end the process with one line (see `keras_dmtl.cli`).
        """
        from keras_dmtl.command_errors import run_guarded

        args = self.parser(prog).parse_args(argv)
        run_guarded(lambda: self.start(args), f"bundle {self.name}",
                    debug=args.debug)

    def start(self, args):
        """`run(args)` with the progress setting of `--quiet`."""
        from keras_dmtl.progress import set_quiet

        set_quiet(args.quiet)
        return self.run(args)
