"""The four datasets of the FaceBehaviorNet recipes, and their scoring.

UTKFace (age, gender, race), FER2013 (expression), CK+ (action units and
expression, split by subject) and DiffusionFER (valence/arousal): labels
that do not overlap across datasets. The `face_behavior` recipe trains one
model on them; the `face_behavior_study` recipe compares couplings.
"""

import numpy as np

DATASETS = ("utkface", "fer2013", "ckplus", "affect")
# The tasks each dataset labels in the synthetic stand-in.
SYNTHETIC_TASKS = {"utkface": ["age", "gender", "race"],
                   "fer2013": ["expression"],
                   "ckplus": ["action_units", "expression"],
                   "affect": ["affect"]}


def add_data_arguments(parser):
    """Adds the four datasets' folders and each one's share of a batch."""
    parser.add_argument("--utkface", help="UTKFace folder (age, gender, race)")
    parser.add_argument("--fer2013", help="FER2013 folder (expression)")
    parser.add_argument("--ckplus", help="CK+ folder: ckplus or ckplus128 "
                                         "(action units, expression)")
    parser.add_argument("--affect",
                        help="DiffusionFER valence/arousal folder")
    parser.add_argument("--shares", default="0.35,0.25,0.2,0.2",
                        help="share of each batch from UTKFace, FER2013, CK+ "
                             "and DiffusionFER (renormalised over those "
                             "given)")
    parser.add_argument("--test-fraction", type=float, default=0.2)
    parser.add_argument("--limit", type=int,
                        help="at most this many training faces per dataset, "
                             "drawn at random (test faces are all kept)")


def dataset_shares(args):
    """`{dataset: share}` of `--shares`.

    Raises:
        ValueError: when `--shares` is not four numbers.
    """
    try:
        shares = [float(share) for share in str(args.shares).split(",")]
    except ValueError:
        shares = []
    if len(shares) != len(DATASETS):
        raise ValueError(f"--shares takes 4 numbers, got {args.shares!r}")
    return dict(zip(DATASETS, shares))


def read_face_behavior_data(folders, test_fraction=0.2, seed=0,
                            synthetic_size=2000, image_size=64, limit=None):
    """Reads the datasets given and splits each into training and test.

    Args:
        folders: dict from a name of `DATASETS` to a folder (or None). With
            no folder at all, four slices of the synthetic faces stand in.
        test_fraction: the share of faces (of subjects, for CK+) held out.
        seed: the split seed.
        synthetic_size: faces drawn when no folder is given.
        image_size: size of the synthetic faces.
        limit: at most this many training faces per dataset (a seeded
            random draw); the test faces are all kept.

    Returns:
        A dict from dataset name to `(train, test)` `FaceExamples`.
    """
    from keras_dmtl.data import SyntheticFaces
    from keras_dmtl.data import read_ckplus
    from keras_dmtl.data import read_diffusionfer_va
    from keras_dmtl.data import read_fer2013
    from keras_dmtl.data import read_utkface
    from keras_dmtl.data import split_examples

    datasets = {}
    if not any(folders.values()):
        print("No data given: four slices of the synthetic faces stand in "
              "for the four datasets.")
        faces = SyntheticFaces(synthetic_size, image_size, seed)
        slices = np.array_split(np.arange(len(faces.images)), 4)
        for (name, names), rows in zip(SYNTHETIC_TASKS.items(), slices):
            part = faces.examples(names).subset(rows)
            datasets[name] = split_examples(part, test_fraction, seed)
        return _limit_training(datasets, limit, seed)
    readers = {"utkface": read_utkface, "ckplus": read_ckplus,
               "affect": read_diffusionfer_va}
    for name in DATASETS:
        folder = folders.get(name)
        if not folder:
            continue
        if name == "fer2013":  # FER2013 comes split
            datasets[name] = (read_fer2013(folder, "train"),
                              read_fer2013(folder, "test"))
        else:
            datasets[name] = split_examples(readers[name](folder),
                                            test_fraction, seed)
    return _limit_training(datasets, limit, seed)


def _limit_training(datasets, limit, seed):
    """Keeps at most `limit` training faces of each dataset."""
    if not limit:
        return datasets
    if limit < 1:
        raise ValueError(f"--limit must be at least 1, got {limit}")
    limited = {}
    for name, (train, test) in datasets.items():
        if len(train) > limit:
            chosen = np.random.default_rng(seed).permutation(len(train))
            train = train.subset(np.sort(chosen[:limit]))
        limited[name] = (train, test)
    return limited


def union_tasks(datasets, leave_out=("age_group",)):
    """The tasks of all datasets, one per name (shared heads).

    Raises:
        ValueError: two datasets label a task of one name differently.
    """
    tasks = []
    for train, _ in datasets.values():
        for task in train.tasks:
            if task.name in leave_out:
                continue
            known = [t for t in tasks if t.name == task.name]
            if known and known[0] != task:
                raise ValueError(f"task '{task.name}' differs between "
                                 f"datasets: {known[0]} and {task}")
            if not known:
                tasks.append(task)
    return tasks


def hold_out_for_calibration(datasets, tasks, seed=0, fraction=0.2):
    """Holds out training faces (subjects) of datasets whose tasks calibrate.

    Returns:
        `(datasets, calibration)`: the datasets with smaller training sets,
        and a dict from dataset name to its held-out `FaceExamples`.
    """
    from keras_dmtl.data import split_examples

    names = {task.name for task in tasks if task.needs_calibration}
    datasets, calibration = dict(datasets), {}
    for name, (train, test) in datasets.items():
        if names & set(train.task_names):
            train, validation = split_examples(train, fraction, seed + 1)
            datasets[name] = (train, test)
            calibration[name] = validation
    return datasets, calibration


def calibrate_on(model, calibration, batch_size=32):
    """Calibrates the model's tasks that need it on held-out faces.

    The model is compiled again afterwards, so that its metrics use the new
    decisions.
    """
    from keras_dmtl.evaluation import calibrate_model

    for name, validation in calibration.items():
        own = [t.name for t in model.tasks if t.name in validation.task_names
               and t.needs_calibration]
        if not own:
            continue
        for task_name, changed in calibrate_model(
                model, validation, own, batch_size).items():
            if changed:
                print(f"{task_name} calibrated on {name}: {changed}")
    model.compile(optimizer=model.optimizer)


def held_out_scores(model, datasets, image_size, batch_size=32):
    """Every task's scores on the test faces of each dataset labelling it.

    Returns:
        A dict `{"<dataset>:<task>_<metric>": value}` from the report's
        metric table (accuracy and macro-F1, MAE, mean F1, CCC, ...).
    """
    from keras_dmtl.data import face_dataset
    from keras_dmtl.evaluation import collect_predictions
    from keras_dmtl.evaluation import metric_values

    scores = {}
    for name, (_, test) in datasets.items():
        own = [t for t in model.tasks if t.name in test.task_names]
        if not own:
            continue
        data = face_dataset(test, model.tasks, image_size, batch_size)
        scores.update(metric_values(collect_predictions(model, data, own),
                                    prefix=f"{name}:"))
    return scores
