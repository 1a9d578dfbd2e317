"""The tuning recipe: learned uncertainty weights against hand-tuned ones."""

import os

from keras_dmtl.recipes.recipe import Recipe
from keras_dmtl.recipes.recipe import epoch_steps
from keras_dmtl.training.arguments import LEARNED_WEIGHTINGS
from keras_dmtl.training.arguments import refuse_one_model_options

TUNERS = ("random", "bayesian", "hyperband")
"""KerasTuner's search algorithms the recipe offers."""


class TuneWeightsRecipe(Recipe):
    """Learned uncertainty weights against the best hand-tuned weights.

    DMTL claims that learning the task weights (uncertainty weighting) beats
    weights tuned by hand, and that treating age as ordinal beats plain
    classification. This recipe tests both claims on your data:

    1. KerasTuner searches one fixed weight per task (normalised to sum to
       1), the manual-weight baseline, maximising `val_combined_score`: the
       mean over tasks of how far each went from chance towards perfect
       (`keras_dmtl.tuning.combined_score`). `--objective` picks another.
    2. Under the same epoch budget and data it then trains (a) the best
       manual weights, (b) uncertainty weighting and any other learned
       weighting named in `--weightings` (`learned_first_loss`, `bounded`,
       `bounded_first_loss`, `dwa`, `random`; see
       `keras_dmtl.layers.LOSS_WEIGHTINGS`), (c) `--loss-weighting`
       (uncertainty by default) with age as 117 plain classes, and (d)
       one single-task model per
       task, each with `--seeds` seeds, and writes the comparison in the
       shape of the paper's Table IV (mean and standard deviation):
       `table_iv.csv`, `table_iv.md`.

    Rerunning the same command resumes: finished trials and finished runs
    are kept; other settings in the same `--out` are refused unless
    `--overwrite`. With KerasTuner's `KERASTUNER_TUNER_ID`,
    `KERASTUNER_ORACLE_IP` and `KERASTUNER_ORACLE_PORT` set, the search
    runs on several machines (see the README); the chief then runs the
    comparison.

        keras-dmtl train tune_weights --data ../shared/data/utkface \\
            --limit 3000 --backbone mobilenet_v2 \\
            --weights mobilenet_v2.weights.h5 \\
            --image-size 96 --epochs 3 --trials 6 --seeds 2

    Example:

    ```python
    from keras_dmtl.recipes import TuneWeightsRecipe

    TuneWeightsRecipe().train(backbone="mobilenet_v2_0.35", image_size=32,
                              epochs=2, trials=3, seeds=2, optimizer="adam")
    ```
    """

    name = "tune_weights"
    out = "runs/tune_weights"

    def add_arguments(self, parser):
        parser.add_argument("--data",
                            help="UTKFace folder; synthetic faces if absent")
        parser.add_argument("--limit", type=int,
                            help="use this many faces at random")
        parser.add_argument("--synthetic-size", type=int, default=1200)
        parser.add_argument("--tuner", default="random", choices=TUNERS)
        parser.add_argument("--trials", type=int, default=10,
                            help="trial budget (Hyperband: its max epochs "
                                 "per model)")
        parser.add_argument("--objective", default="val_combined_score:max",
                            help="logged metric and direction, as "
                                 "NAME:max|min")
        parser.add_argument("--tune-learning-rate", action="store_true")
        parser.add_argument("--seeds", type=int, default=3)
        parser.add_argument("--weightings", default="learned",
                            help="comma-separated learned weightings to "
                                 "compare with the manual weights: "
                                 + ", ".join(LEARNED_WEIGHTINGS)
                                 + " (default: learned, the paper's)")

    def check_arguments(self, args):
        unknown = sorted(set(weightings(args)) - set(LEARNED_WEIGHTINGS))
        if unknown:
            raise ValueError(f"--weightings: unknown {unknown}; choose from "
                             f"{', '.join(LEARNED_WEIGHTINGS)}")
        if args.objective.rpartition(":")[2] not in ("max", "min"):
            raise ValueError(f"--objective takes NAME:max or NAME:min, got "
                             f"{args.objective!r}")
        refuse_one_model_options(args, "tune_weights")

    def run(self, args):
        import keras
        import keras_tuner
        import numpy as np
        import pandas as pd

        import keras_dmtl
        from keras_dmtl.data import SyntheticFaces
        from keras_dmtl.data import face_dataset
        from keras_dmtl.data import read_utkface
        from keras_dmtl.data import split_examples
        from keras_dmtl.evaluation import collect_predictions
        from keras_dmtl.evaluation import compare_runs
        from keras_dmtl.evaluation import metric_values
        from keras_dmtl.evaluation import write_run_metrics
        from keras_dmtl.progress import fit_verbose
        from keras_dmtl.tuning import ManualWeightHyperModel
        from keras_dmtl.tuning import chance_levels
        from keras_dmtl.tuning import combined_score

        strategy = self.strategy(args)
        chief = "chief" in os.environ.get("KERASTUNER_TUNER_ID", "chief")
        if chief:  # the chief owns the folder; workers only add trials
            run = self.open_run(args, strategy)  # resumes an unfinished study
            if run is None:
                return args.out
            run.record("search")
            run.record("runs")
        else:
            os.makedirs(args.out, exist_ok=True)

        # Data: training, validation (for the search) and test faces.
        if args.data:
            examples = read_utkface(args.data)
        else:
            print("No --data given: using the built-in synthetic faces.")
            faces = SyntheticFaces(args.synthetic_size, args.image_size,
                                   seed=0)
            examples = faces.examples(["age", "gender", "race"])
        if args.limit:
            chosen = np.random.default_rng(0).permutation(len(examples))
            examples = examples.subset(np.sort(chosen[: args.limit]))
        print(examples.summary())
        rest, test = split_examples(examples, 0.2, seed=0)
        train, validation = split_examples(rest, 0.2, seed=1)
        tasks = [t for t in examples.tasks
                 if t.name in ("age", "gender", "race")]
        names = [t.name for t in tasks]
        chance = chance_levels(tasks, train, validation)

        def stream(part, shuffle=False, seed=0):
            return face_dataset(part, names, args.image_size,
                                args.batch_size, shuffle=shuffle,
                                augment=shuffle and bool(args.data),
                                seed=seed)

        # 1. Search the manual weights.
        hypermodel = ManualWeightHyperModel(
            tasks, chance, tune_learning_rate=args.tune_learning_rate,
            learning_rate=args.learning_rate, optimizer=args.optimizer,
            momentum=args.momentum, weight_decay=args.weight_decay,
            backbone=args.backbone, weights=args.weights,
            image_size=args.image_size)
        metric, direction = args.objective.rsplit(":", 1)
        budget = ({"max_epochs": args.trials} if args.tuner == "hyperband"
                  else {"max_trials": args.trials})
        tuners = {"random": keras_tuner.RandomSearch,
                  "bayesian": keras_tuner.BayesianOptimization,
                  "hyperband": keras_tuner.Hyperband}
        tuner = tuners[args.tuner](
            hypermodel, objective=keras_tuner.Objective(metric, direction),
            directory=args.out, project_name="search", overwrite=False,
            seed=0, **budget,
            distribution_strategy=(None if args.strategy == "default"
                                   else strategy))
        tuner.search(stream(train, shuffle=True),
                     validation_data=stream(validation), epochs=args.epochs,
                     verbose=fit_verbose())
        if not chief:
            print("Worker done: the chief runs the comparison.")
            return args.out
        best = tuner.get_best_hyperparameters(1)[0]
        best_weights = hypermodel.task_weights(best)
        print("Best manual weights:",
              dict(zip(names, np.round(best_weights, 3))))
        print("Train with them: --loss-weighting fixed --task-weights "
              + ",".join(f"{name}={float(w):.4g}"
                         for name, w in zip(names, best_weights)))

        # 2. Compare under one budget, several seeds. Every run trains on
        # the same faces for `--epochs` and is scored on the same test
        # faces; a finished run (its `metrics.json` exists) is skipped.
        age_as_classes = [
            keras_dmtl.NominalTask("age", [str(a) for a in range(117)])
            if t.name == "age" else t for t in tasks]
        methods = {
            "manual_best": (tasks, {"loss_weighting": "fixed",
                                    "task_weights": best_weights}),
            **{_ROWS.get(name, name): (tasks, {"loss_weighting": name})
               for name in weightings(args)},
            "uncertainty_age_as_classes": (age_as_classes, {}),
            **{f"single_{t.name}": ([t], {}) for t in tasks},
        }
        learning_rate = best.values.get("learning_rate", args.learning_rate)
        run_dirs = []
        for method, (method_tasks, kwargs) in methods.items():
            for seed in range(args.seeds):
                run_dir = os.path.join(args.out, "runs",
                                       f"{method}_seed{seed}")
                run_dirs.append(run_dir)
                if os.path.isfile(os.path.join(run_dir, "metrics.json")):
                    print(f"{run_dir}: finished before, skipped")
                    continue
                print(f"Training {method}, seed {seed}")
                keras.utils.set_random_seed(seed)
                own = [t.name for t in method_tasks]
                model = self.build_model(
                    args, strategy, method_tasks,
                    epoch_steps(len(train), args.batch_size), learning_rate,
                    **kwargs)
                model.fit(face_dataset(train, own, args.image_size,
                                       args.batch_size, shuffle=True,
                                       augment=bool(args.data), seed=seed),
                          epochs=args.epochs, verbose=fit_verbose())
                predictions = collect_predictions(
                    model, face_dataset(test, own, args.image_size,
                                        args.batch_size))
                # Every task's own scores, named as its logged metrics (the
                # combined score reads each task's `skill_metric`).
                flat = metric_values(predictions, prefix="test_")
                scored = [t for t in tasks if t.name in own]
                flat["test_combined_score"] = combined_score(
                    scored, flat, chance_levels(scored, train, test),
                    prefix="test_")
                write_run_metrics(run_dir, {key[len("test_"):]: value
                                            for key, value in flat.items()})

        # 3. The table, in the shape of the paper's Table IV.
        _, settings = compare_runs(run_dirs)
        columns = ["gender_accuracy", "race_accuracy", "age_accuracy",
                   "age_mae", "combined_score"]
        rows = []
        for _, row in settings.iterrows():
            cells = {"method": row["setting"], "seeds": int(row["runs"])}
            for column in columns:
                mean = row.get(f"{column}_mean")
                if mean is not None and not np.isnan(mean):
                    cells[column] = (f"{mean:.4f} ± "
                                     f"{row[f'{column}_std']:.4f}")
            rows.append(cells)
        table = pd.DataFrame(rows).fillna("")
        run.write_table("table_iv.csv", table, index=False)
        run.write_text("table_iv.md", table.to_markdown(index=False) + "\n")
        run.commit()
        print(table.to_markdown(index=False))
        print(f"Saved table_iv.csv and table_iv.md in {args.out}")
        return args.out


# Table IV's name for each weighting's row; the others go by their own.
_ROWS = {"learned": "uncertainty"}


def weightings(args):
    """The learned weightings `--weightings` names, in order."""
    return [name.strip() for name in args.weightings.split(",")
            if name.strip()]
