"""FaceBehaviorNet's study of co-training through task relatedness."""

import os

import numpy as np

from keras_dmtl.recipes.recipe import Recipe
from keras_dmtl.training.face_behavior_data import DATASETS
from keras_dmtl.training.face_behavior_data import add_data_arguments
from keras_dmtl.training.face_behavior_data import dataset_shares

CONFIGURATIONS = {"b": "b_all_tasks", "c": "c_matching",
                  "d": "d_co_annotation", "e": "e_both"}
"""The run names of the configurations b-e; (a) is one run per task."""


class FaceBehaviorStudyRecipe(Recipe):
    """FaceBehaviorNet's study: do related tasks teach each other here?

    FaceBehaviorNet couples expressions and action units through what is
    known of how they relate (Du et al. 2014's P(action unit | expression)),
    so that datasets labelled for one of them also teach the other. This
    recipe tests that claim on four datasets whose labels never overlap
    (UTKFace: age, gender, race; FER2013: expression; CK+: action units and
    expression, split by subject; DiffusionFER: valence/arousal), under one
    budget:

    - (a) each task alone, on the datasets that label it;
    - (b) all tasks in one model, no coupling;
    - (c) with distribution matching, expression -> AUs and AUs -> expression;
    - (d) with soft co-annotation;
    - (e) with both.

    Each configuration trains with `--seeds` seeds; every task is scored on
    the test faces of each dataset that labels it (CK+ on unseen subjects,
    its AU thresholds chosen on held-out training subjects). `study.md` and
    `study.csv` give the mean and standard deviation per configuration, in
    the shape of the paper's tables, and the differences that exceed the
    seeds' spread. With no folder, four slices of the synthetic faces stand
    in (their action units follow their expression with Du et al.'s
    probabilities); that default run, a check that the study runs rather
    than a result, takes minutes on a 2-core CPU:

        keras-dmtl train face_behavior_study \\
            --ckplus ../shared/data/ckplus128 \\
            --affect ../shared/data/diffusionfer_va \\
            --utkface ../shared/data/utkface --fer2013 ../shared/data/fer2013 \\
            --backbone mobilenet_v2 --image-size 64 --epochs 4 --seeds 2 \\
            --limit 2000 --weights ../shared/weights/mobilenet_v2_1.0_224_no_top_imagenet.weights.h5

    (35 minutes on a 2-core CPU; `benchmarks/RESULTS.md` has its table.)
    A rerun of the same command resumes: finished runs
    (`runs/<config>_seed<k>/metrics.json`) are kept.

    Example:

    ```python
    from keras_dmtl.recipes import FaceBehaviorStudyRecipe

    FaceBehaviorStudyRecipe().train(configs="b,c", seeds=1)
    ```
    """

    name = "face_behavior_study"
    out = "runs/face_behavior_study"
    # A study trains many models: small ones by default.
    defaults = {"backbone": "mobilenet_v2_0.35", "image_size": 48,
                "epochs": 3, "optimizer": "adam", "learning_rate": 1e-3}

    def add_arguments(self, parser):
        add_data_arguments(parser)
        parser.add_argument("--configs", default="a,b,c,d,e",
                            help="which of the configurations a-e to run")
        parser.add_argument("--seeds", type=int, default=2)
        parser.add_argument("--synthetic-size", type=int, default=600)

    def check_arguments(self, args):
        from keras_dmtl.training.arguments import refuse_one_model_options

        refuse_one_model_options(args, "face_behavior_study")
        dataset_shares(args)
        unknown = set(args.configs.split(",")) - set("abcde")
        if unknown:
            raise ValueError(f"--configs takes letters a-e, got "
                             f"{args.configs!r}")

    def run(self, args):
        from keras_dmtl.coupling import ActionUnitsToExpression
        from keras_dmtl.coupling import ExpressionToActionUnits
        from keras_dmtl.coupling import SoftCoAnnotation
        from keras_dmtl.coupling import TaskRelatedness
        from keras_dmtl.evaluation import compare_runs
        from keras_dmtl.evaluation import write_run_metrics
        from keras_dmtl.training import hold_out_for_calibration
        from keras_dmtl.training import read_face_behavior_data
        from keras_dmtl.training import union_tasks

        strategy = self.strategy(args)
        run = self.open_run(args, strategy)  # resumes an unfinished study
        if run is None:
            return args.out
        run.record("runs")

        # The data: one split for every configuration.
        given = {name: getattr(args, name) for name in DATASETS}
        datasets = read_face_behavior_data(
            given, args.test_fraction, seed=0,
            synthetic_size=args.synthetic_size, image_size=args.image_size,
            limit=args.limit)
        tasks = union_tasks(datasets)
        datasets, calibration = hold_out_for_calibration(datasets, tasks,
                                                         seed=0)
        for train, test in datasets.values():
            print(f"{train.source}: {len(train)} training, {len(test)} test "
                  f"faces, tasks {train.task_names}")

        # The couplings: Du et al.'s table, between the expression and the
        # action units CK+ labels.
        aus = next((t for t in datasets["ckplus"][0].tasks
                    if t.name != "expression"),
                   None) if "ckplus" in datasets else None
        expression = next((t for t in tasks if t.name == "expression"), None)
        couplings = {"b": []}
        if aus is not None and expression is not None:
            table = TaskRelatedness.du2014(source="expression",
                                           target=aus.name)
            matching = [ExpressionToActionUnits(table),
                        ActionUnitsToExpression(table)]
            co_annotation = [SoftCoAnnotation(table)]
            couplings.update(c=matching, d=co_annotation,
                             e=matching + co_annotation)
        else:
            print("No action unit or no expression task: configurations c-e "
                  "need both and are skipped.")
        configs = {}
        for letter in args.configs.split(","):
            if letter == "a":
                configs.update({f"a_alone_{t.name}": ([t], [])
                                for t in tasks})
            elif letter in couplings:
                configs[CONFIGURATIONS[letter]] = (tasks, couplings[letter])

        # Every configuration, every seed; a finished run is kept.
        run_dirs = []
        for config, (config_tasks, coupling) in configs.items():
            for seed in range(args.seeds):
                run_dir = os.path.join(args.out, "runs", f"{config}_seed{seed}")
                run_dirs.append(run_dir)
                if os.path.isfile(os.path.join(run_dir, "metrics.json")):
                    print(f"{run_dir}: finished before, skipped")
                    continue
                print(f"Training {config}, seed {seed}", flush=True)
                scores = _train_and_score(self, args, strategy, datasets,
                                          calibration, config_tasks,
                                          coupling, seed)
                write_run_metrics(run_dir, scores)

        # The table: one row per configuration, then what guessing gets.
        _, settings = compare_runs(run_dirs)
        columns = _columns(aus)
        table, notes = _study_table(settings, columns)
        table.append(_chance_row(columns, tasks, datasets))
        if aus is not None:
            table.append(_all_units_on_row(columns, aus, datasets))
        import pandas as pd

        table = pd.DataFrame(table).fillna("")
        markdown = table.to_markdown(index=False)
        findings = "\n".join(f"- {note}" for note in notes) or (
            "- No configuration differs from b_all_tasks by more than the "
            "seeds' spread.")
        findings += ("\n\nA difference counts only where both rows are "
                     "clearly above the chance row (the prior's guesses, "
                     "each label drawn with its training frequency). The "
                     "last row answers every action unit 'on', the label "
                     "prior's best F1 when units are rare.")
        run.write_table("study.csv", table, index=False)
        run.write_text("study.md", f"{markdown}\n\nMean ± standard deviation "
                       f"over {args.seeds} seed(s). Differences from "
                       f"b_all_tasks beyond the seeds' spread:\n\n"
                       f"{findings}\n")
        run.commit()
        print(markdown)
        print(findings)
        print(f"Saved study.csv and study.md in {args.out}")
        return args.out


def _train_and_score(recipe, args, strategy, datasets, calibration, tasks,
                     coupling, seed):
    """Trains one configuration with one seed; its held-out scores."""
    import keras

    from keras_dmtl.data import mixed_dataset
    from keras_dmtl.progress import fit_verbose
    from keras_dmtl.training import calibrate_on
    from keras_dmtl.training import held_out_scores

    share_of = dataset_shares(args)
    names = {t.name for t in tasks}
    own = {name: parts for name, parts in datasets.items()
           if names & set(parts[0].task_names)}
    keras.utils.set_random_seed(seed)
    data = mixed_dataset([(train, share_of[name])
                          for name, (train, _) in own.items()],
                         tasks, args.image_size, args.batch_size,
                         augment=any(getattr(args, name) for name in DATASETS),
                         seed=seed)
    steps = max(1, sum(len(train) for train, _ in own.values())
                // args.batch_size)
    model = recipe.build_model(args, strategy, tasks, steps,
                               coupling=coupling or None)
    model.fit(data, steps_per_epoch=steps, epochs=args.epochs,
              verbose=fit_verbose())
    calibrate_on(model, {n: v for n, v in calibration.items() if n in own},
                 args.batch_size)
    return held_out_scores(model, own, args.image_size, args.batch_size)


def _columns(aus):
    """The study table's columns: `{dataset:metric: title}`."""
    return {
        "utkface:age_mae": "age MAE",
        "utkface:gender_accuracy": "gender acc",
        "utkface:race_accuracy": "race acc",
        "fer2013:expression_accuracy": "FER expr acc",
        "fer2013:expression_macro_f1": "FER expr F1",
        "ckplus:expression_accuracy": "CK+ expr acc",
        f"ckplus:{aus.name if aus else 'aus'}_mean_f1": "CK+ AU mean F1",
        "affect:affect_ccc": "VA CCC",
    }


def _study_table(settings, columns):
    """One row per configuration, and the differences from (b).

    (a) gathers each task's own single-task model. A difference from (b)
    is noted when it exceeds the spread of both rows (the sum of their
    standard deviations) and rounding noise.
    """
    settings = settings.set_index("setting")
    rows = {}
    for setting, row in settings.iterrows():
        label = "a_alone" if setting.startswith("a_alone_") else setting
        cells = rows.setdefault(label, {})
        for column in columns:
            mean = row.get(f"{column}_mean")
            if mean is not None and not np.isnan(mean):
                cells[column] = (mean, row.get(f"{column}_std"))
    table, notes = [], []
    base_row = rows.get(CONFIGURATIONS["b"], {})
    for label, cells in rows.items():
        line = {"configuration": label}
        for column, title in columns.items():
            if column not in cells:
                continue
            mean, std = cells[column]
            line[title] = f"{mean:.4f} ± {0 if np.isnan(std) else std:.4f}"
            base = base_row.get(column)
            if base and label != CONFIGURATIONS["b"]:
                spread = np.nan_to_num(std) + np.nan_to_num(base[1])
                better = -1 if column.endswith("_mae") else 1
                change = (mean - base[0]) * better
                if abs(change) > max(spread, 5e-3):  # not rounding noise
                    notes.append(f"{label} vs b_all_tasks, {title}: "
                                 f"{mean:.4f} vs {base[0]:.4f} "
                                 f"({'better' if change > 0 else 'worse'}, "
                                 f"beyond the seeds' spread {spread:.4f})")
        table.append(line)
    return table, notes


def _chance_row(columns, tasks, datasets):
    """What guessing gets (the most frequent training class, the training
    median or mean): models at this level differ by noise alone."""
    guess = {"configuration": "chance"}
    for column, title in columns.items():
        dataset, key = column.split(":")
        for task in tasks:
            if (dataset in datasets and key.startswith(f"{task.name}_")
                    and task.name in datasets[dataset][1].task_names):
                train, test = datasets[dataset]
                chance = task.chance_metrics(train.labels[task.name],
                                             test.labels[task.name])
                metric = key[len(task.name) + 1:]
                if metric in chance:
                    guess[title] = f"{chance[metric]:.4f}"
    return guess


def _all_units_on_row(columns, aus, datasets):
    """The action units' F1 when every unit is answered 'on' for every face.

    It needs no model: recall 1, precision the unit's rate, so F1
    2q / (1 + q). A unit head whose mean F1 does not pass it has learnt
    nothing a prior cannot give.
    """
    from keras_dmtl.evaluation.scores import multi_label_scores

    labels = np.asarray(datasets["ckplus"][1].labels[aus.name])
    scores = multi_label_scores(labels, np.ones_like(labels))["summary"]
    title = columns[f"ckplus:{aus.name}_mean_f1"]
    return {"configuration": "every unit on", title: f"{scores['mean_f1']:.4f}"}
