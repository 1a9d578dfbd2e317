"""The DMTL recipe on UTKFace: age, gender and race from one network."""

import numpy as np

from keras_dmtl.recipes.recipe import Recipe
from keras_dmtl.recipes.recipe import epoch_steps
from keras_dmtl.training.arguments import add_align_argument
from keras_dmtl.training.arguments import add_branch_arguments
from keras_dmtl.training.arguments import add_split_argument
from keras_dmtl.training.arguments import split_seed


class UTKFaceRecipe(Recipe):
    """DMTL on UTKFace: age, gender and race from one network.

    One EfficientNet trunk learns three face attributes of different kinds:
    age as an ordinal task (116 binary classifiers "age > k"), gender and
    race as nominal tasks. Their losses are weighed by learned uncertainty,
    and the weight of each task (beta) is logged every epoch. The defaults
    are the paper's: SGD with learning rate 1e-3, momentum 0.9, weight decay
    5e-4, batch 32, 80 epochs, 224x224 faces.

    With no `--data`, the recipe trains on the built-in synthetic faces, so
    it runs anywhere. On real faces:

        keras-dmtl train utkface --data ../shared/data/utkface \\
            --backbone mobilenet_v2 \\
            --weights ../shared/weights/mobilenet_v2_1.0_224_no_top_imagenet.weights.h5

    The run folder (`--out`) gets the model (`model.keras`), the per-epoch
    history of every task's loss, metrics and beta (`history.csv`), the
    final test metrics beside chance levels (`metrics.json`), the settings
    (`run.json`) and, for real data, the held-out faces (`test_set.csv`)
    for `keras-dmtl evaluate` and the training faces (`train_set.csv`),
    whose class frequencies `keras-dmtl calibrate --strength` reads.

    A run killed or interrupted (Ctrl-C) resumes from its last finished
    epoch when the same command is run again; a finished run is left as it
    is, and a folder holding a run with other settings is refused unless
    `--overwrite` is given. `run.json` is written last: without it, the
    folder's run is unfinished (`run.unfinished.json` says so).

    Example:

    ```python
    from keras_dmtl.recipes import UTKFaceRecipe

    UTKFaceRecipe().train(data="../shared/data/utkface",
                          backbone="mobilenet_v2", image_size=96, epochs=5,
                          optimizer="adam", out="runs/utkface")
    ```
    """

    name = "utkface"
    out = "runs/utkface"

    def add_arguments(self, parser):
        parser.add_argument("--data",
                            help="UTKFace folder; synthetic faces if absent")
        add_branch_arguments(parser)
        parser.add_argument("--test-fraction", type=float, default=0.2)
        parser.add_argument("--limit", type=int,
                            help="use only this many faces, drawn at random")
        parser.add_argument("--no-augment", action="store_true",
                            help="no flips, rotations, zooms or contrast "
                                 "changes (real data only; synthetic faces "
                                 "vary already)")
        parser.add_argument("--synthetic-size", type=int, default=3000)
        add_align_argument(parser)
        add_split_argument(parser)
        parser.add_argument("--rank-consistent", action="store_true",
                            help="age head with one weight vector shared by "
                                 "its 116 thresholds (CORAL) instead of "
                                 "independent classifiers (the paper's)")

    def run(self, args):
        from keras_dmtl.progress import predict_verbose
        import keras_dmtl
        from keras_dmtl.data import GENDERS
        from keras_dmtl.data import RACES
        from keras_dmtl.data import SyntheticFaces
        from keras_dmtl.data import face_dataset
        from keras_dmtl.data import read_utkface
        from keras_dmtl.data import split_examples
        from keras_dmtl.training import results_against_chance
        from keras_dmtl.training import save_run

        strategy = self.strategy(args)
        run = self.open_run(args, strategy)  # resumes an unfinished run
        if run is None:
            return args.out

        # The tasks. Age is ordinal: ranks 0..116 years, predicted as 1 +
        # the number of "age > k" classifiers that say yes. Gender and race
        # are nominal.
        tasks = [
            keras_dmtl.OrdinalTask("age", ranks=range(0, 117),
                                   rank_consistent=args.rank_consistent),
            keras_dmtl.NominalTask("gender", GENDERS),
            keras_dmtl.NominalTask("race", RACES),
        ]
        names = [task.name for task in tasks]

        # The data. `read_utkface` takes the labels from the file names,
        # skips (and counts) names it cannot parse and files that are not
        # readable images, and finds byte-identical copies, which stay on
        # one side of the split.
        if args.data:
            examples = read_utkface(args.data)
            if args.align:  # framed as `watch` and `predict` frame faces
                from keras_dmtl.data import align_examples

                examples = align_examples(examples, args.image_size)
        else:
            print("No --data given: training on the built-in synthetic "
                  "faces.")
            faces = SyntheticFaces(args.synthetic_size, args.image_size,
                                   args.seed)
            examples = faces.examples(names)
        print(examples.summary())
        if args.limit:
            chosen = np.random.default_rng(args.seed).permutation(
                len(examples))
            examples = examples.subset(np.sort(chosen[: args.limit]))
        train, test = split_examples(examples, args.test_fraction,
                                     split_seed(args))
        # A resumed run, or one that goes on from a model: the same faces.
        self.hold_out(run, args, test)
        if args.data:  # for `keras-dmtl evaluate MODEL --data test_set.csv`
            run.write_examples("test_set.csv", test)
            run.write_examples("train_set.csv", train)  # class priors
        augment = bool(args.data) and not args.no_augment
        train_data = face_dataset(train, names, args.image_size,
                                  args.batch_size, shuffle=True,
                                  augment=augment, seed=args.seed)
        test_data = face_dataset(test, names, args.image_size,
                                 args.batch_size)
        print(f"{len(train)} training and {len(test)} test faces")

        # The model: a shared trunk, one head per task, and uncertainty
        # weighting of the three losses, whose log-variances the optimizer
        # trains too, exempt from its weight decay.
        model = self.build_model(args, strategy, tasks,
                                 epoch_steps(len(train), args.batch_size))

        # Training: `history.csv` gets one row per epoch with every task's
        # loss, metrics and weight beta; `run.fit` backs up every finished
        # epoch, so a rerun of a killed run picks up where it stopped.
        run.fit(model, train_data, validation_data=test_data,
                epochs=args.epochs)

        # Every metric next to what guessing gets on the same test set.
        metrics = model.evaluate(test_data, return_dict=True, verbose=predict_verbose())
        save_run(model, results_against_chance(metrics, tasks, train, test),
                 run)
        return args.out
