"""A uniform weight soup: the mean of the weights of sibling models.

Models fine-tuned from one start with different seeds often sit in one
basin, where the mean of their weights answers at least as well as each
(Wortsman et al. 2022, "model soups"). This averages every weight of
models with the same configuration and writes the result as a new model
file, which `keras-dmtl evaluate`, `calibrate` and `export` take like
any other (its configuration, `test_time_flip` and calibration
included, is the models' common one); it refuses models that differ in
configuration, and an existing `--out`.

    python benchmarks/weight_soup.py runs/A/model.keras runs/B/model.keras \
        --out runs/soup/model.keras
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from keras_dmtl.atomic_files import atomic_path  # noqa: E402
from keras_dmtl.models.load_model import load_dmtl_model  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("models", nargs="+", help="DMTLModel files, 2 or more")
parser.add_argument("--out", required=True, help="the soup's .keras file")
args = parser.parse_args()
if len(args.models) < 2:
    parser.error("a soup takes at least two models")
if os.path.lexists(args.out):
    parser.error(f"{args.out} exists; the soup is written to a new file")
if not args.out.endswith(".keras"):
    parser.error(f"--out {args.out}: the model file must end in .keras")

models = [load_dmtl_model(path) for path in args.models]
for path, model in zip(args.models[1:], models[1:]):
    if model.get_config() != models[0].get_config():
        parser.error(f"{path} is configured unlike {args.models[0]}: "
                     "a soup takes models of one configuration")
weights = [model.get_weights() for model in models]
models[0].set_weights([
    np.mean([w[i] for w in weights], axis=0).astype(weights[0][i].dtype)
    for i in range(len(weights[0]))])
os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
with atomic_path(args.out) as temporary:  # no half-written file
    models[0].save(temporary)
print(f"The mean of {len(models)} models' weights written to {args.out}")
