"""The FaceBehaviorNet recipe: every kind of attribute from four datasets."""

from keras_dmtl.recipes.recipe import Recipe
from keras_dmtl.training.face_behavior_data import DATASETS
from keras_dmtl.training.face_behavior_data import add_data_arguments
from keras_dmtl.training.face_behavior_data import dataset_shares


class FaceBehaviorRecipe(Recipe):
    """Every kind of face attribute from datasets whose labels do not overlap.

    One network learns action units (multi-label), expressions (nominal),
    valence and arousal (regression), and age (ordinal), gender and race
    (nominal), as FaceBehaviorNet and DMTL do, from four datasets that each
    label a few of those tasks:

    | dataset      | tasks it labels                    |
    |--------------|------------------------------------|
    | UTKFace      | age, gender, race                  |
    | FER2013      | expression                         |
    | CK+          | 17 action units, expression        |
    | DiffusionFER | valence and arousal, expression    |

    Each batch mixes faces of every dataset given (`--shares`); a face's
    missing tasks carry the task's missing label (-1, or NaN for valence
    and arousal) and drop out of those losses and metrics. Give any subset
    of the datasets; with none, four slices of the built-in synthetic faces
    stand in for them, so the recipe runs anywhere:

        keras-dmtl train face_behavior \\
            --ckplus ../shared/data/ckplus128 \\
            --affect ../shared/data/diffusionfer_va \\
            --utkface ../shared/data/utkface --fer2013 ../shared/data/fer2013 \\
            --backbone mobilenet_v2 --image-size 96 --optimizer adam \\
            --learning-rate 3e-4 --epochs 10 \\
            --weights ../shared/weights/mobilenet_v2_1.0_224_no_top_imagenet.weights.h5

    CK+ is split by subject, so no person is on both sides; the action-unit
    decision thresholds are chosen on held-out training subjects, never on
    the test subjects. The run folder gets `model.keras`, `history.csv`,
    `metrics.json` (every task on every dataset's test faces, beside
    chance), `run.json`, and the test faces of each dataset read from files
    (`test_<dataset>.csv`), for `keras-dmtl evaluate MODEL --data CSV`.

    Example:

    ```python
    from keras_dmtl.recipes import FaceBehaviorRecipe

    FaceBehaviorRecipe().train(ckplus="data/ckplus128",
                               affect="data/diffusionfer_va", epochs=3)
    ```
    """

    name = "face_behavior"
    out = "runs/face_behavior"

    def add_arguments(self, parser):
        add_data_arguments(parser)
        parser.add_argument("--synthetic-size", type=int, default=2000)

    def check_arguments(self, args):
        dataset_shares(args)

    def run(self, args):
        from keras_dmtl.progress import predict_verbose
        from keras_dmtl.data import face_dataset
        from keras_dmtl.data import mixed_dataset
        from keras_dmtl.training import calibrate_on
        from keras_dmtl.training import hold_out_for_calibration
        from keras_dmtl.training import read_face_behavior_data
        from keras_dmtl.training import results_against_chance
        from keras_dmtl.training import save_run
        from keras_dmtl.training import union_tasks

        share_of = dataset_shares(args)
        strategy = self.strategy(args)
        run = self.open_run(args, strategy)  # resumes an unfinished run
        if run is None:
            return args.out

        # Four datasets, six tasks. Tasks of the same name (the expression
        # of FER2013, CK+ and DiffusionFER) are one task with the same
        # classes, so they share one head.
        given = {name: getattr(args, name) for name in DATASETS}
        datasets = read_face_behavior_data(given, args.test_fraction,
                                           args.seed, args.synthetic_size,
                                           args.image_size, args.limit)
        for train, _ in datasets.values():
            print(train.summary())
        tasks = union_tasks(datasets)
        print("tasks:", ", ".join(f"{t.name} ({t.kind})" for t in tasks))
        run.check_split([test for _, test in datasets.values()])

        # Decisions need faces the model did not train on: a fifth of the
        # training subjects of the dataset that labels the action units is
        # held out to choose a threshold per unit.
        datasets, calibration = hold_out_for_calibration(datasets, tasks,
                                                         args.seed)
        train_data = mixed_dataset(
            [(train, share_of[name]) for name, (train, _) in
             datasets.items()],
            tasks, args.image_size, args.batch_size,
            augment=any(given.values()), seed=args.seed)
        steps = sum(len(train) for train, _ in datasets.values()) \
            // args.batch_size

        # One model for every task.
        model = self.build_model(args, strategy, tasks, steps)
        run.fit(model, train_data, steps_per_epoch=steps, epochs=args.epochs)
        calibrate_on(model, calibration, args.batch_size)

        # Each dataset's test faces, for the tasks it labels.
        results = {}
        for name, (train, test) in datasets.items():
            own = [task for task in tasks if task.name in test.task_names]
            metrics = model.evaluate(
                face_dataset(test, tasks, args.image_size, args.batch_size),
                return_dict=True, verbose=predict_verbose())
            for key, row in results_against_chance(metrics, own, train,
                                                   test).items():
                results[f"{name}:{key}"] = row
        for name, (_, test) in datasets.items():
            if test.paths is not None:  # for `keras-dmtl evaluate --data`
                run.write_examples(f"test_{name}.csv", test)
        save_run(model, results, run)
        return args.out
