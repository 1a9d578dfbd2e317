"""A worker or chief of a KerasTuner search, for the distributed test.

Run with KERASTUNER_TUNER_ID, KERASTUNER_ORACLE_IP and
KERASTUNER_ORACLE_PORT set; writes one line per trial it ran to
`<folder>/<tuner id>.log`.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras_tuner  # noqa: E402

from keras_dmtl.data import SyntheticFaces  # noqa: E402
from keras_dmtl.data import face_dataset  # noqa: E402
from keras_dmtl.tuning import ManualWeightHyperModel  # noqa: E402
from keras_dmtl.tuning import chance_levels  # noqa: E402

folder = sys.argv[1]
tuner_id = os.environ["KERASTUNER_TUNER_ID"]


class Logged(ManualWeightHyperModel):
    def fit(self, hp, model, *args, **kwargs):
        with open(os.path.join(folder, f"{tuner_id}.log"), "a") as file:
            file.write(f"{hp.values}\n")
        return super().fit(hp, model, *args, **kwargs)


faces = SyntheticFaces(32, 32, seed=1)
examples = faces.examples(["gender"])
train, valid = examples.subset(range(24)), examples.subset(range(24, 32))
hypermodel = Logged(examples.tasks, chance_levels(examples.tasks, train,
                                                  valid),
                    backbone="mobilenet_v2_0.35", image_size=32)
tuner = keras_tuner.RandomSearch(
    hypermodel, objective=keras_tuner.Objective("val_combined_score", "max"),
    max_trials=4, directory=folder, project_name="search", seed=0)
tuner.search(face_dataset(train, image_size=32, batch_size=8),
             validation_data=face_dataset(valid, image_size=32, batch_size=8),
             epochs=1, verbose=0)
print(f"{tuner_id} finished")
