"""The DMTL recipe on Adience: the standard 5-fold protocol."""

import json
import os

from keras_dmtl.recipes.recipe import Recipe
from keras_dmtl.recipes.recipe import epoch_steps


class AdienceRecipe(Recipe):
    """DMTL on Adience: age group and gender under the 5-fold protocol.

    Adience ships five subject-exclusive folds (`fold_0_data.txt` ...
    `fold_4_data.txt`) and the aligned faces under
    `aligned/<user_id>/landmark_aligned_face.<face_id>.<original_image>`.
    Each fold is the test set once while the model trains on the other
    four; the recipe reports every fold and the mean and standard deviation
    over folds. Age is ordinal over the 8 standard groups; stray labels
    such as `35` are mapped to a group by the rule in
    `keras_dmtl.data.adience_age_bin`, `None` ages and `u` genders are left
    unannotated.

    A killed run resumes when the same command is run again: finished folds
    (`fold<k>.json`) are kept, the interrupted fold resumes from its last
    finished epoch.

        keras-dmtl train adience --data /path/to/adience \\
            --backbone mobilenet_v2 --weights mobilenet_v2.weights.h5

    Example:

    ```python
    from keras_dmtl.recipes import AdienceRecipe

    AdienceRecipe().train(data="/path/to/adience", folds=[0], epochs=5)
    ```
    """

    name = "adience"
    out = "runs/adience"

    def add_arguments(self, parser):
        parser.add_argument("--data",
                            help="(required) folder with the fold files (and aligned/)")
        parser.add_argument("--images",
                            help="folder holding aligned/ (default --data)")
        parser.add_argument("--folds", type=int, nargs="+",
                            default=[0, 1, 2, 3, 4])

    def check_arguments(self, args):
        if not args.data:
            raise ValueError("--data is required: the Adience folder with "
                             "the fold files")

    def run(self, args):
        from keras_dmtl.progress import predict_verbose
        import keras
        import pandas as pd

        from keras_dmtl.data import adience_folds
        from keras_dmtl.data import face_dataset
        from keras_dmtl.training import results_against_chance

        strategy = self.strategy(args)
        run = self.open_run(args, strategy)  # resumes an unfinished run
        if run is None:
            return args.out

        # Five folds, a fresh model per fold, so no fold's test faces leak
        # into another's model. A fold whose result is saved (`fold<k>.json`)
        # is not trained again.
        rows = []
        for k, train, test in adience_folds(args.data, args.images):
            if k not in args.folds:
                continue
            if os.path.isfile(run.file(f"fold{k}.json")):
                with open(run.file(f"fold{k}.json")) as file:
                    rows.append(json.load(file))
                print(f"Fold {k}: finished before")
                continue
            print(f"\n=== Fold {k}: {len(train)} training, {len(test)} test "
                  "faces")
            print(test.summary())
            keras.utils.set_random_seed(args.seed + k)
            names = train.task_names
            model = self.build_model(args, strategy, train.tasks,
                                     epoch_steps(len(train),
                                                 args.batch_size))
            run.fit(
                model,
                face_dataset(train, names, args.image_size, args.batch_size,
                             shuffle=True, augment=True, seed=args.seed),
                epochs=args.epochs, history=f"history_fold{k}.csv",
                backup=f".backup/fold{k}")
            metrics = model.evaluate(
                face_dataset(test, names, args.image_size, args.batch_size),
                return_dict=True, verbose=predict_verbose())
            results = results_against_chance(metrics, train.tasks, train,
                                             test)
            row = {"fold": k,
                   **{f"{n}": r["model"] for n, r in results.items()},
                   **{f"{n}_chance": r["chance"] for n, r in results.items()}}
            rows.append(row)
            run.write_json(f"fold{k}.json", row)
            print({name: round(value, 4) for name, value in row.items()})

        # Mean and spread over folds.
        table = pd.DataFrame(rows).set_index("fold")
        run.write_table("folds.csv", table)
        summary = table.agg(["mean", "std"]).T
        print("\n", summary.round(4).to_string())
        run.write_json("summary.json", {
            name: {"mean": float(r["mean"]), "std": float(r["std"])}
            for name, r in summary.iterrows()})
        run.commit()
        print(f"Saved folds.csv and summary.json in {args.out}")
        return args.out
