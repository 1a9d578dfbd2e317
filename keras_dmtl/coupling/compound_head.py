"""A few-shot compound expression head on a model's frozen features."""

import keras
import numpy as np
from keras import ops

METHODS = ("class_mean", "logistic")
COSINE_SCALE = 10.0
"""The logits of `"class_mean"`: this times the cosine to each class mean."""


@keras.saving.register_keras_serializable(package="keras_dmtl")
class CompoundHead(keras.layers.Layer):
    """Compound expressions learned from a few faces, on frozen features.

    The few-shot side of compound expressions (the zero-shot side is
    `CompoundExpressions`): a linear classifier over the pooled features
    (`<branch>_pool`, the input of the task heads) of a trained
    `DMTLModel`, fitted in closed form or by scikit-learn from K labelled
    faces per class. The model is not trained: its answers do not change.
    `fit` attaches the head to the model (`DMTLModel.attach_compound_head`)
    so that saving the model saves the head, and `keras.saving.load_model`
    gives it back as `model.compound_head`.

    With f the pooled features of a face and z = (f - feature_mean) /
    feature_scale (the mean of the K-shot faces' features, and their root
    mean square distance to it: one scale for every feature, so that the
    penalty does not depend on the features' size), the logits are
    z @ kernel + bias and the probabilities their softmax:

    - `"class_mean"` (default, no hyperparameter; SimpleShot, Wang et al.
      2019): z is also divided by its length, and the logit of class k is
      10 cos(z, m_k), m_k the mean of the normalised z of class k.
    - `"logistic"`: multinomial logistic regression on z with an L2
      penalty of strength `l2` (scikit-learn's C = 1 / l2).

    The four arrays are weights of the layer, so they are saved with the
    model; none is trainable.

    Args:
        classes: list of str, the compound names in output order; None
            (default) takes the sorted names `fit` is given.
        method: `"class_mean"` or `"logistic"`.
        l2: float > 0, the penalty of `"logistic"`. Defaults to 1.0.
        branch: str or None, the branch whose pooled features the head
            reads; None (default) is the branch of the model's first task,
            chosen by `fit` (a model whose stages are all shared has one,
            `"shared"`).
        **kwargs: `keras.layers.Layer` arguments; `name` defaults to
            `"compound_head"`.

    Call arguments:
        features: `(batch, feature_size)` pooled features.

    Returns:
        `(batch, len(classes))` logits.

    Example:

    ```python
    head = keras_dmtl.coupling.CompoundHead()
    head.fit(model, images, ["happily surprised", "awed", ...])
    head.decode(head.predict(model, new_images))[0]["label"]
    model.save("model.keras")  # with the head
    keras.saving.load_model("model.keras").compound_head
    keras_dmtl.coupling.compound_answers(model, new_images)
    ```
    """

    def __init__(self, classes=None, method="class_mean", l2=1.0,
                 branch=None, **kwargs):
        kwargs.setdefault("name", "compound_head")
        super().__init__(**kwargs)
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got "
                             f"{method!r}.")
        if not float(l2) > 0:
            raise ValueError(f"l2 must be positive, got {l2!r}.")
        self.classes = None if classes is None else _checked_classes(classes)
        self.method = method
        self.l2 = float(l2)
        self.branch = None if branch is None else str(branch)

    @property
    def feature_size(self):
        """How many features the head takes; None before it is built."""
        return int(self.kernel.shape[0]) if self.built else None

    def build(self, input_shape):
        if self.classes is None:
            raise ValueError(f"compound head {self.name!r} has no classes "
                             "yet; give classes= or fit it first.")
        size, count = int(input_shape[-1]), len(self.classes)
        for name, shape, initializer in (
                ("feature_mean", (size,), "zeros"),
                ("feature_scale", (size,), "ones"),
                ("kernel", (size, count), "zeros"),
                ("bias", (count,), "zeros")):
            setattr(self, name, self.add_weight(
                shape=shape, initializer=initializer, trainable=False,
                name=name))

    def call(self, features):
        z = (ops.cast(features, "float32") - self.feature_mean) / (
            self.feature_scale)
        if self.method == "class_mean":
            z = z / ops.maximum(ops.norm(z, axis=-1, keepdims=True), 1e-12)
        return ops.matmul(z, self.kernel) + self.bias

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (len(self.classes),)

    # === Fitting and answers ===

    def fit(self, model, images, labels, batch_size=32):
        """Fits the head on a model's features and attaches it to the model.

        Args:
            model: a trained `DMTLModel`; it is not changed but for its new
                `compound_head`.
            images: `(n, image_size, image_size, 3)` RGB in 0..255.
            labels: n class names, or indices into `classes`; every class
                needs at least one face.
            batch_size: int, the feature extraction batch size.

        Returns:
            The head.
        """
        labels = self._label_indices(labels)
        if self.branch is None:
            self.branch = model.task_branches[model.task_names[0]]
        features = pooled_features(model, images, self.branch, batch_size)
        if len(features) != len(labels):
            raise ValueError(f"{len(features)} images but {len(labels)} "
                             "labels.")
        if self.built and self.feature_size != features.shape[1]:
            raise ValueError(f"compound head {self.name!r} takes "
                             f"{self.feature_size} features; the model gives "
                             f"{features.shape[1]}; make a new head.")
        if not self.built:
            self.build((None, features.shape[1]))
        mean = features.mean(axis=0)
        # One scale for all features: their root mean square about the
        # mean, so that the L2 penalty does not depend on the features' size
        # and the features keep their relative sizes.
        scale = np.full_like(mean, np.sqrt(np.mean((features - mean) ** 2))
                             or 1.0)
        z = (features - mean) / scale
        if self.method == "class_mean":
            kernel, bias = self._class_means(z, labels)
        else:
            kernel, bias = self._logistic(z, labels)
        for variable, value in ((self.feature_mean, mean),
                                (self.feature_scale, scale),
                                (self.kernel, kernel), (self.bias, bias)):
            variable.assign(value.astype("float32"))
        model.attach_compound_head(self)
        return self

    def _label_indices(self, labels):
        labels = np.asarray(labels).reshape(-1).tolist()
        if self.classes is None:
            if not all(isinstance(v, str) for v in labels):
                raise ValueError("give the labels as class names, or the "
                                 "head's classes=, to fit it.")
            self.classes = _checked_classes(sorted(set(labels)))
        indices = []
        for value in labels:
            if isinstance(value, str):
                if value not in self.classes:
                    raise ValueError(f"label {value!r} is not one of the "
                                     f"head's classes {self.classes}.")
                indices.append(self.classes.index(value))
            elif 0 <= int(value) < len(self.classes):
                indices.append(int(value))
            else:
                raise ValueError(f"label {value} is outside 0.."
                                 f"{len(self.classes) - 1} ({self.classes}).")
        indices = np.array(indices, "int64")
        absent = [c for k, c in enumerate(self.classes) if k not in indices]
        if absent:
            raise ValueError(f"classes {absent} have no labelled face; give "
                             "at least one of each.")
        return indices

    def _class_means(self, z, labels):
        z = z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)
        means = np.stack([z[labels == k].mean(axis=0)
                          for k in range(len(self.classes))], axis=1)
        means /= np.maximum(np.linalg.norm(means, axis=0, keepdims=True),
                            1e-12)
        return COSINE_SCALE * means, np.zeros(len(self.classes))

    def _logistic(self, z, labels):
        from sklearn.linear_model import LogisticRegression

        fitted = LogisticRegression(C=1.0 / self.l2, max_iter=1000).fit(
            z, labels)
        if len(self.classes) == 2:  # one logit: class 1 against class 0
            coef = np.concatenate([np.zeros_like(fitted.coef_),
                                   fitted.coef_])
            return coef.T, np.array([0.0, fitted.intercept_[0]])
        return fitted.coef_.T, fitted.intercept_

    def probabilities(self, features):
        """`(n, len(classes))` softmax probabilities, in NumPy."""
        logits = ops.convert_to_numpy(self(np.asarray(features, "float32")))
        shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return shifted / shifted.sum(axis=-1, keepdims=True)

    def predict(self, model, images, batch_size=32):
        """`(n, len(classes))` probabilities of the compounds of `images`."""
        return self.probabilities(
            pooled_features(model, images, self.branch, batch_size))

    def decode(self, probabilities):
        """Records `{"label": best, "scores": {class: probability}}`."""
        return [{"label": self.classes[int(np.argmax(row))],
                 "scores": {c: round(float(p), 6)
                            for c, p in zip(self.classes, row)}}
                for row in np.asarray(probabilities)]

    def get_build_config(self):
        # None: the model builds the head for its branch's features
        # (`attach_compound_head`), so its config reads the same after a
        # load.
        return None

    def get_config(self):
        config = super().get_config()
        config.update({"classes": None if self.classes is None
                       else list(self.classes), "method": self.method,
                       "l2": self.l2, "branch": self.branch})
        return config


def pooled_features(model, images, branch=None, batch_size=32):
    """The pooled features `<branch>_pool` of a `DMTLModel`, in NumPy.

    Args:
        model: a `DMTLModel`.
        images: `(n, image_size, image_size, 3)` RGB in 0..255.
        branch: str, the branch; None is the first task's.
        batch_size: int.

    Returns:
        `(n, features)` float32, the input of the branch's task heads.
    """
    branch = branch or model.task_branches[model.task_names[0]]
    branches = sorted(set(model.task_branches.values()))
    if branch not in branches:
        raise ValueError(f"no branch {branch!r}; the model's branches are "
                         f"{branches}.")
    extractor = keras.Model(model.input,
                            model.get_layer(f"{branch}_pool").output)
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[None]
    # Called batch by batch: a new model's `predict` would trace anew.
    return np.concatenate([
        ops.convert_to_numpy(extractor(images[i:i + batch_size],
                                       training=False))
        for i in range(0, len(images), batch_size)]).astype("float32")


def _checked_classes(classes):
    classes = [str(c) for c in classes]
    if len(classes) < 2 or len(set(classes)) != len(classes):
        raise ValueError(f"a compound head needs at least 2 distinct classes,"
                         f" got {classes}.")
    return classes
