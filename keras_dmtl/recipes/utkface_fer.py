"""The UTKFace + FER2013 recipe: one model, two label sets."""

from keras_dmtl.recipes.recipe import Recipe
from keras_dmtl.training.arguments import add_align_argument
from keras_dmtl.training.arguments import add_branch_arguments
from keras_dmtl.training.arguments import add_split_argument
from keras_dmtl.training.arguments import split_seed


class UTKFaceFERRecipe(Recipe):
    """One model, two datasets whose labels do not overlap: UTKFace + FER2013.

    UTKFace annotates age, gender and race; FER2013 annotates expression.
    The recipe mixes both into one stream with a chosen share of FER2013
    faces per batch. Each face is labelled -1 ("not annotated") for the
    tasks its dataset lacks, which drops it from those tasks' losses and
    metrics, so one shared network learns all four tasks, weighed by
    learned uncertainty.

        keras-dmtl train utkface_fer --utkface ../shared/data/utkface \\
            --fer2013 ../shared/data/fer2013 --backbone mobilenet_v2 \\
            --weights ../shared/weights/mobilenet_v2_1.0_224_no_top_imagenet.weights.h5

    With neither folder, both halves come from the built-in synthetic
    faces.

    Example:

    ```python
    from keras_dmtl.recipes import UTKFaceFERRecipe

    UTKFaceFERRecipe().train(utkface="data/utkface", fer2013="data/fer2013",
                             image_size=96, epochs=2, optimizer="adam")
    ```
    """

    name = "utkface_fer"
    out = "runs/utkface_fer"

    def add_arguments(self, parser):
        parser.add_argument("--utkface", help="UTKFace folder")
        parser.add_argument("--fer2013",
                            help="FER2013 folder with train/ and test/")
        parser.add_argument("--fer-share", type=float, default=0.5,
                            help="share of FER2013 faces in each batch")
        parser.add_argument("--synthetic-size", type=int, default=3000)
        add_align_argument(parser)
        add_split_argument(parser)
        add_branch_arguments(parser)

    def check_arguments(self, args):
        if bool(args.utkface) != bool(args.fer2013):
            raise ValueError("give both --utkface and --fer2013, or neither")

    def run(self, args):
        from keras_dmtl.progress import predict_verbose
        from keras_dmtl.data import SyntheticFaces
        from keras_dmtl.data import face_dataset
        from keras_dmtl.data import mixed_dataset
        from keras_dmtl.data import read_fer2013
        from keras_dmtl.data import read_utkface
        from keras_dmtl.data import split_examples
        from keras_dmtl.training import results_against_chance
        from keras_dmtl.training import save_run

        strategy = self.strategy(args)
        run = self.open_run(args, strategy)  # resumes an unfinished run
        if run is None:
            return args.out

        # Two datasets, four tasks.
        if args.utkface:
            utk = read_utkface(args.utkface)
            if args.align:  # framed as `watch` and `predict` frame faces
                from keras_dmtl.data import align_examples

                utk = align_examples(utk, args.image_size)
            fer_train = read_fer2013(args.fer2013, "train")
            fer_test = read_fer2013(args.fer2013, "test")
        else:
            print("No data given: both datasets come from the synthetic "
                  "faces.")
            faces = SyntheticFaces(args.synthetic_size, args.image_size,
                                   args.seed)
            half = len(faces.images) // 2
            utk = faces.examples(["age", "gender", "race"]).subset(
                range(half))
            fer = faces.examples(["expression"]).subset(
                range(half, len(faces.images)))
            fer_train, fer_test = split_examples(fer, 0.2, split_seed(args))
        utk_train, utk_test = split_examples(utk, 0.2, split_seed(args))
        for part in (utk, fer_train, fer_test):
            print(part.summary())
        # A resumed run, or one that goes on from a model: the same faces.
        self.hold_out(run, args, [utk_test, fer_test])
        if args.utkface:  # for `keras-dmtl evaluate MODEL --data ...csv`
            run.write_examples("test_utkface.csv", utk_test)
            run.write_examples("test_fer2013.csv", fer_test)
            run.write_examples("train_utkface.csv", utk_train)  # priors

        tasks = [task for task in utk.tasks if task.name != "age_group"]
        tasks += fer_train.tasks
        names = [task.name for task in tasks]
        train_data = mixed_dataset(
            [(utk_train, 1 - args.fer_share), (fer_train, args.fer_share)],
            names, args.image_size, args.batch_size,
            augment=bool(args.utkface), seed=args.seed)
        steps = (len(utk_train) + len(fer_train)) // args.batch_size

        # One model for all four tasks.
        model = self.build_model(args, strategy, tasks, steps)
        run.fit(model, train_data, steps_per_epoch=steps, epochs=args.epochs)

        # Each task on its own dataset's test faces.
        results = {}
        for train, test in ((utk_train, utk_test), (fer_train, fer_test)):
            metrics = model.evaluate(
                face_dataset(test, names, args.image_size, args.batch_size),
                return_dict=True, verbose=predict_verbose())
            own = [task for task in tasks if task.name in test.task_names]
            results.update(results_against_chance(metrics, own, train, test))
        save_run(model, results, run)
        return args.out
