"""The heterogeneous multi-task face model."""

import keras
import numpy as np
from keras import ops

from keras_dmtl.coupling.coupling import bind_couplings
from keras_dmtl.layers.loss_weightings import make_loss_weighting
from keras_dmtl.losses.replicas import divides_by_replicas
from keras_dmtl.losses.replicas import replica_count
from keras_dmtl.losses.replicas import replica_shares
from keras_dmtl.metrics.task_weight import TaskWeight
from keras_dmtl.models.backbones import build_backbone
from keras_dmtl.models.backbones import split_backbone
from keras_dmtl.models.backbones import stage_ends
from keras_dmtl.models.quantization_aware import FakeQuant
from keras_dmtl.models.quantization_aware import WeightQuantizedHead
from keras_dmtl.models.quantization_aware import check_quantization_aware
from keras_dmtl.models.quantization_aware import quantization_aware_backbone
from keras_dmtl.tasks.task import deserialize_tasks
from keras_dmtl.tasks.task import serialize_tasks

BRANCH_BY = ("category", "task")


@keras.saving.register_keras_serializable(package="keras_dmtl")
class DMTLModel(keras.Model):
    """One network that learns several face attributes of different kinds.

    The model follows DMTL (Yuan et al. 2024): a convolutional trunk whose
    low-level stages are shared by all tasks, upper stages duplicated per
    category of tasks (ordinal, nominal) or per task, and one head per task
    from the task's specification. Its losses are combined by a loss
    weighting, by default an `UncertaintyWeighting` layer whose
    log-variances are trained by the same optimizer (and kept out of weight
    decay), so `model.fit` needs nothing
    but a dataset of `(images, {task_name: label})`. A missing label (-1,
    or NaN for a regression task) leaves that example out of that task's
    loss and metrics.

    Built inside the `scope()` of a `tf.distribute` strategy with several
    replicas, the model trains as one process would on the global batch
    (see `keras_dmtl.training.distribution_strategy`): its batch
    normalisation layers take their statistics over the global batch
    (`synchronized`), each task's loss is its mean over the annotated faces
    of the global batch, the log-variances' terms are counted once, and the
    metrics and logged losses sum their state over the replicas. One
    exception: the concordance loss of a regression task (`objective=
    "ccc"`) is a statistic of the faces it sees, so it is taken on each
    replica's share, and the shares' losses are averaged.

    Each epoch's logs hold the total `loss`, every task's own `<task>_loss`,
    its metrics (`<task>_accuracy`, `<task>_mae`, ...) and its normalised
    weight `<task>_beta`; every coupling logs `<coupling>_loss` and
    `<coupling>_beta` alike.

    Args:
        tasks: list of `Task`: `OrdinalTask`, `NominalTask`,
            `MultiLabelTask`, `RegressionTask`.
        backbone: str, one of `keras_dmtl.models.BACKBONES`. Defaults to
            `"efficientnet_b0"`, the paper's MBConv trunk.
        weights: None (random start) or the path of a weights file for the
            backbone without its top (ImageNet MobileNetV2 is the one such
            file on a machine with no internet). Used at construction only;
            a saved model carries its own weights.
        image_size: int, height and width of the input. Defaults to 224.
        shared_stages: int or None. How many backbone stages (after the stem)
            all tasks share; the stages above are duplicated per branch.
            None (default) shares every stage: separate heads only. Both
            backbones have 8 stages, the last being the final 1x1
            convolution; DMTL's split of Figure 2 is, for example, 6.
        branch_by: `"category"` (default: one branch per kind of task, as in
            DMTL) or `"task"` (one branch per task). Used when stages are
            not all shared.
        dropout: float, dropout rate before every head. Defaults to 0.2.
        loss_weighting: how the task losses are weighed: a name in
            `keras_dmtl.layers.LOSS_WEIGHTINGS` or a
            `keras_dmtl.layers.LossWeighting` layer. `"learned"` (default:
            Kendall's uncertainty weighting, as in DMTL),
            `"learned_first_loss"` (the same, each log-variance started at
            the optimum for the task's first loss), `"bounded"` and
            `"bounded_first_loss"` (Liebel and Koerner's log(1 + sigma^2)
            regulariser), `"dwa"` (dynamic weight averaging), `"random"`
            (random loss weighting) or `"fixed"` (the manual-weight
            baseline, with `task_weights`).
        task_weights: the weights of fixed weighting: a list of floats,
            one per task, then one per coupling, or a dict from each of
            those names to its weight.
        log_variance_bounds: optional `(min, max)` bounds on every
            s_t = log sigma_t^2; see `UncertaintyWeighting`.
        coupling: None (default) or a list of `keras_dmtl.coupling`
            losses (`ExpressionToActionUnits`, `ActionUnitsToExpression`,
            `SoftCoAnnotation`) that tie two of the tasks, found by name,
            through a `TaskRelatedness` table (FaceBehaviorNet). Each
            coupling loss joins the task losses in the weighting, with its
            own log-variance (or fixed weight).
        compound_head: None (default) or a few-shot
            `keras_dmtl.coupling.CompoundHead` (or its config) read from
            the pooled features of one branch; see `attach_compound_head`.
        int8_ranges: None (default: a float model) or, for a
            quantization-aware model whose float arithmetic rounds as a
            full-integer TFLite file does, the int8 ranges of its trunk's
            linear outputs; `quantization_aware_model` makes one from a
            trained model (MobileNetV2 trunks, every stage shared).
        test_time_flip: bool. When True, every answer outside training
            (`predict`, `evaluate`, a plain call, every exported artifact)
            is the mean of each head's raw output over the face and its
            mirror image: twice the computation for steadier answers.
            Training steps see the faces as given. Defaults to False; it
            may be switched on a trained model (`keras-dmtl calibrate
            --test-time-flip`) since no weight depends on it.
        **kwargs: `keras.Model` arguments such as `name`.

    Call arguments:
        inputs: float or uint8 tensor `(batch, image_size, image_size, 3)`
            of RGB values in 0..255.

    Returns:
        A dict from task name to its raw head output: class logits for a
        nominal task, K-1 threshold logits for an ordinal task, one logit
        per label for a multi-label task, the values of a regression task.
        `predict_attributes` decodes them.

    Example:

    ```python
    tasks = [
        keras_dmtl.OrdinalTask("age", ranks=range(117)),
        keras_dmtl.NominalTask("gender", ["male", "female"]),
    ]
    model = keras_dmtl.DMTLModel(tasks, backbone="mobilenet_v2",
                                 weights="mobilenet_v2.weights.h5")
    model.compile(optimizer=keras.optimizers.SGD(1e-3, momentum=0.9))
    model.fit(dataset, epochs=80)  # (images, {"age": ..., "gender": ...})
    model.predict_attributes(images)[0]["age"]["value"]
    ```
    """

    def __init__(
        self,
        tasks,
        backbone="efficientnet_b0",
        weights=None,
        image_size=224,
        shared_stages=None,
        branch_by="category",
        dropout=0.2,
        loss_weighting="learned",
        task_weights=None,
        log_variance_bounds=None,
        coupling=None,
        compound_head=None,
        int8_ranges=None,
        test_time_flip=False,
        **kwargs,
    ):
        tasks = deserialize_tasks(tasks)
        names = [task.name for task in tasks]
        if not tasks:
            raise ValueError("DMTLModel needs at least one task.")
        if len(set(names)) != len(names):
            raise ValueError(f"Task names must be unique, got {names}.")
        if branch_by not in BRANCH_BY:
            raise ValueError(
                f"branch_by must be one of {BRANCH_BY}, got {branch_by!r}."
            )
        couplings = bind_couplings(coupling, tasks)
        image_size = int(image_size)

        # === Layers ===
        trunk = build_backbone(backbone, image_size, weights)
        num_stages = len(stage_ends(backbone, trunk))
        if shared_stages is None:
            shared_stages = num_stages
        lower, upper = split_backbone(backbone, trunk, int(shared_stages))
        if int8_ranges is not None:
            check_quantization_aware(backbone, upper is None)
            lower = quantization_aware_backbone(lower, int8_ranges)
        if upper is None:
            groups = {"shared": tasks}
        else:
            groups = {}
            for task in tasks:
                key = task.category if branch_by == "category" else task.name
                groups.setdefault(key, []).append(task)

        # === Functional model ===
        inputs = keras.Input((image_size, image_size, 3), name="image")
        shared_trunk = keras.Model(lower.input, lower.output, name="trunk")
        features = shared_trunk(inputs)
        outputs = {}
        for index, (group, group_tasks) in enumerate(groups.items()):
            x = features
            if upper is not None:
                if index > 0:
                    # A fresh copy of the upper stages, same starting weights.
                    copy = build_backbone(backbone, image_size, weights)
                    _, upper = split_backbone(backbone, copy, shared_stages)
                x = keras.Model(
                    upper.input, upper.output, name=f"{group}_stages"
                )(x)
            x = keras.layers.GlobalAveragePooling2D(name=f"{group}_pool")(x)
            if int8_ranges is not None:  # int8 MEAN of int8 ReLU6 outputs
                x = FakeQuant(0.0, 6.0, name=f"{group}_pool_quant")(x)
            x = keras.layers.Dropout(dropout, name=f"{group}_dropout")(x)
            for task in group_tasks:
                head = task.build_head()
                if int8_ranges is not None:
                    head = WeightQuantizedHead(head, name=head.name)
                outputs[task.name] = head(x)
        outputs = {name: outputs[name] for name in names}
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        if replica_count() > 1:
            # Built to train on several replicas: batch statistics over the
            # global batch, as one process would take them.
            _synchronize_batch_norm(self.layers)

        # Not part of the model (see `distill_from`).
        self.teacher = None

        # === Config ===
        self.tasks = tasks
        self.backbone = backbone
        self.weights_file = weights
        self.image_size = image_size
        self.shared_stages = int(shared_stages)
        self.branch_by = branch_by
        self.dropout = dropout
        # A layer (or its config) is kept as the config of the layer the
        # model uses (below), so that only `weighting` holds the layer.
        self.loss_weighting = (loss_weighting
                               if isinstance(loss_weighting, str) else None)
        self.task_weights = task_weights
        self.log_variance_bounds = log_variance_bounds
        self.coupling = couplings or None
        self.int8_ranges = (None if int8_ranges is None else
                            {str(k): [float(v) for v in r]
                             for k, r in int8_ranges.items()})
        self.test_time_flip = test_time_flip

        # === Loss weighting and per-task logs ===
        coupling_names = [c.name for c in couplings]
        self.weighting = make_loss_weighting(
            loss_weighting, names + coupling_names, task_weights,
            log_variance_bounds)
        if self.loss_weighting is None:
            self.loss_weighting = keras.saving.serialize_keras_object(
                self.weighting)
        self.task_loss_trackers = [
            keras.metrics.Mean(name=f"{name}_loss") for name in names
        ]
        self.coupling_loss_trackers = [
            keras.metrics.Mean(name=f"{name}_loss") for name in coupling_names
        ]
        self.task_weight_trackers = [
            TaskWeight(name=f"{name}_beta")
            for name in names + coupling_names
        ]
        self.task_losses = {}
        # The branch (and its `<branch>_pool` layer) each task's head reads.
        self.task_branches = {
            task.name: group for group, members in groups.items()
            for task in members
        }
        self.compound_head = None
        if compound_head is not None:
            self.attach_compound_head(compound_head)

    def call(self, inputs, training=None, mask=None):
        if not self.test_time_flip or training:
            return super().call(inputs, training=training, mask=mask)
        # One pass over a batch of the faces and their mirrors: one copy of
        # the network in every exported graph, one set of int8 ranges.
        both = ops.concatenate([inputs, mirror_images(inputs)], axis=0)
        outputs = super().call(both, training=training, mask=mask)
        return {name: ops.mean(ops.reshape(value, (2, -1, *value.shape[1:])),
                               axis=0)
                for name, value in outputs.items()}

    @property
    def test_time_flip(self):
        """Whether answers are averaged over the face and its mirror."""
        return self._test_time_flip

    @test_time_flip.setter
    def test_time_flip(self, value):
        self._test_time_flip = bool(value)
        # Compiled steps read the setting when traced: trace them again.
        self.predict_function = None
        self.test_function = None

    @property
    def task_names(self):
        return [task.name for task in self.tasks]

    def compile(self, optimizer="sgd", loss=None, metrics=None, **kwargs):
        """Configures training; losses and metrics default to the tasks'.

        Args:
            optimizer: a Keras optimizer or its name. Its weight decay, if
                any, is not applied to the uncertainty log-variances.
            loss: None, or a dict from task name to a Keras loss replacing
                that task's default. The loss must leave -1 labels out.
            metrics: None (each task's own metrics), or a dict from task
                name to a list of metrics, as in `keras.Model.compile`.
            **kwargs: other `keras.Model.compile` arguments.
        """
        loss = dict(loss or {})
        unknown = sorted(set(loss) - set(self.task_names))
        if unknown:
            raise ValueError(
                f"loss names unknown tasks {unknown}; tasks: {self.task_names}"
            )
        self._custom_losses = loss
        self.task_losses = {
            task.name: loss.get(task.name) or task.loss() for task in self.tasks
        }
        if metrics is None:
            metrics = {task.name: task.metrics() for task in self.tasks}
        if len(self.tasks) == 1:
            # Keras prefixes metric names with the output's name only when
            # there are several outputs; keep `<task>_<metric>` regardless.
            name = self.tasks[0].name
            metrics = {
                name: [
                    type(m).from_config({**m.get_config(),
                                         "name": f"{name}_{m.name}"})
                    if not m.name.startswith(f"{name}_") else m
                    for m in metrics.get(name, [])
                ]
            }
        super().compile(optimizer=optimizer, loss=None, metrics=metrics, **kwargs)
        if getattr(self.optimizer, "weight_decay", None) and (
                self.weighting.trainable_variables):
            self.optimizer.exclude_from_weight_decay(
                var_list=self.weighting.trainable_variables
            )

    def get_compile_config(self):
        config = super().get_compile_config()
        if config:
            config["loss"] = {
                name: keras.saving.serialize_keras_object(value)
                for name, value in self._custom_losses.items()
            } or None
        return config

    def compile_from_config(self, config):
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        if not isinstance(y, dict):
            raise ValueError(
                "DMTLModel expects labels as a dict {task_name: label}, got "
                f"{type(y).__name__}. Use -1 for tasks an example lacks."
            )
        missing = [name for name in self.task_names if name not in y]
        if missing:
            raise ValueError(
                f"The labels have no entry for task(s) {missing}: the data "
                f"gives {sorted(y)}. Give each missing task's "
                "`missing_labels` (-1, or NaN for regression tasks)."
            )
        # Under tf.distribute with N replicas, this runs once per replica on
        # its share of the global batch, and the replicas' gradients are
        # summed. Each loss is taken at its true value on the share (Keras
        # losses divide by N: that is undone), the trackers and the
        # weighting see true values, and the total is divided by N once,
        # so that the summed gradients are those of the global batch
        # (the log-variances' s_t / 2 terms included).
        replicas = replica_count()
        losses, counts = [], []
        for task, tracker in zip(self.tasks, self.task_loss_trackers):
            weight = sample_weight
            if isinstance(sample_weight, dict):
                weight = sample_weight.get(task.name)
            loss = self.task_losses[task.name]
            value = loss(y[task.name], y_pred[task.name], sample_weight=weight)
            if replicas > 1 and divides_by_replicas(loss):
                value = value * ops.cast(replicas, value.dtype)
            count = task.annotated_count(y[task.name])
            tracker.update_state(value, sample_weight=count)
            losses.append(value)
            counts.append(count)
        # A task's loss is the mean over its annotated faces: a replica
        # weighs by its share of the global batch's annotated faces.
        shares = replica_shares(ops.stack(counts)) if replicas > 1 else None
        if shares is not None:
            losses = [value * ops.cast(shares[index], value.dtype)
                      for index, value in enumerate(losses)]
        if self.teacher is not None and training:
            losses = self.teacher.mix(x, y_pred, self.tasks, losses)
        for coupling, tracker in zip(self.coupling or [],
                                     self.coupling_loss_trackers):
            value = coupling(y, y_pred)
            tracker.update_state(value)
            losses.append(value)
        total = self.weighting(losses, training=training)
        betas = self.weighting.task_weights()
        for index, tracker in enumerate(self.task_weight_trackers):
            tracker.update_state(betas[index])
        for extra in self.losses:
            total = total + ops.cast(ops.sum(extra), total.dtype)
        if replicas > 1:
            total = total / ops.cast(replicas, total.dtype)
        return total

    def distill_from(self, teacher):
        """Lets a trained model teach some of this model's tasks.

        From the next training step on, each task `teacher` teaches trains
        on a mix of its own loss and the distance to the teacher's answers
        (see `keras_dmtl.models.Teacher`). Evaluation keeps the task
        losses alone. The teacher is not saved with the model.

        Args:
            teacher: a `keras_dmtl.models.Teacher`, or None to stop.

        Returns:
            `teacher`, bound to this model's tasks.
        """
        if teacher is not None:
            teacher.bind(self)
        self.teacher = teacher
        self.train_function = None  # traced again, with or without it
        return teacher

    def fit(self, *args, callbacks=None, **kwargs):
        """`keras.Model.fit`, closing each epoch for the loss weighting.

        Weightings that look at whole epochs (`DynamicWeightAverage`) are
        told when one ends, before any of `callbacks` runs, so a backup
        taken at the end of an epoch holds the weighting's state for the
        next.
        """
        callbacks = [_EndEpoch(self.weighting), *(callbacks or [])]
        return super().fit(*args, callbacks=callbacks, **kwargs)

    def train_step(self, *args, **kwargs):
        return self._for_all_workers(super().train_step(*args, **kwargs))

    def test_step(self, *args, **kwargs):
        return self._for_all_workers(super().test_step(*args, **kwargs))

    def _for_all_workers(self, logs):
        # Under MultiWorkerMirroredStrategy, Keras 3 averages every value a
        # step logs over the replicas along axis 0 (keras-team/keras#20585),
        # which a scalar lacks: each gets one. The epoch's logs are read from
        # the metrics themselves, summed over the replicas.
        if not _multi_worker(getattr(self, "_distribute_strategy", None)):
            return logs
        return {name: ops.expand_dims(value, 0)
                for name, value in logs.items()}

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Keras 3 (3.15 included) reduces the first batch, a whole
        # (images, labels) structure at once, to learn its shapes before
        # training under tf.distribute; MultiWorkerMirroredStrategy cannot
        # reduce a structure (keras-team/keras#20585). The first replica's
        # batch has the same shapes, and needs no communication.
        strategy = getattr(self, "_distribute_strategy", None)
        if iterator is not None and _multi_worker(strategy):
            for _, _, batches in iterator:
                data_batch = keras.tree.map_structure(
                    lambda value: strategy.experimental_local_results(
                        value)[0], next(batches))
                break
            iterator = None
        return super()._maybe_symbolic_build(iterator=iterator,
                                             data_batch=data_batch)

    def get_metrics_result(self):
        """The logged values, with every weight beta as it stands now.

        `compute_loss` gives the trackers the weights before the step's
        update; the logs of a step, of an epoch and of an evaluation give
        them as they stand when they are read.
        """
        results = super().get_metrics_result()
        betas = self.weighting.task_weights()
        for index, name in enumerate(self.weighting.task_names):
            if f"{name}_beta" in results:
                results[f"{name}_beta"] = betas[index]
        return results

    def current_task_weights(self):
        """The current normalised weight beta of every task (and coupling)."""
        betas = ops.convert_to_numpy(self.weighting.task_weights())
        return {name: float(b)
                for name, b in zip(self.weighting.task_names, betas)}

    def predict_attributes(self, images, batch_size=32):
        """Predicts and decodes every task for a batch of images.

        Args:
            images: array `(n, image_size, image_size, 3)` of RGB in 0..255.
            batch_size: int, the prediction batch size.

        Returns:
            A list with one dict per image, from task name to the decoded
            answer, the same record every exported artifact gives
            (`Task.answer`): `value`, `label` and `index` for ordinal
            tasks, `label`, `index` and `probabilities` for nominal tasks,
            `active` and `probabilities` for multi-label tasks, one value
            per output for regression tasks.
        """
        images = np.asarray(images)
        if images.ndim == 3:
            images = images[None]
        from keras_dmtl.progress import predict_verbose

        outputs = self.predict(images, batch_size=batch_size,
                               verbose=predict_verbose())
        decoded = {
            task.name: task.decode(outputs[task.name]) for task in self.tasks
        }
        return [
            {name: decoded[name][i] for name in self.task_names}
            for i in range(len(images))
        ]

    def attach_compound_head(self, head):
        """Makes a few-shot compound head part of the model.

        The head is a layer outside the functional graph, as the loss
        weighting is: the model's config holds its config and the model's
        weights its weights, so `keras.saving.load_model` restores it. It
        reads the `<head.branch>_pool` layer's output; `predict_attributes`
        leaves it out (`keras_dmtl.coupling.compound_answers` uses it).

        Args:
            head: a `keras_dmtl.coupling.CompoundHead` or its config.

        Returns:
            The head, built for the branch's features.
        """
        if isinstance(head, dict):
            head = keras.saving.deserialize_keras_object(head)
        branches = sorted(set(self.task_branches.values()))
        branch = getattr(head, "branch", None)
        if branch not in branches:
            raise ValueError(f"compound head {head!r} reads branch {branch!r}"
                             f"; the model's branches are {branches}.")
        size = self.get_layer(f"{branch}_pool").output.shape[-1]
        if not head.built:
            head.build((None, size))
        if head.feature_size != size:
            raise ValueError(f"compound head {head.name!r} takes "
                             f"{head.feature_size} features; branch "
                             f"'{branch}' gives {size}.")
        self.compound_head = head
        return head

    def get_config(self):
        config = {
            "name": self.name,
            "trainable": self.trainable,
            "tasks": serialize_tasks(self.tasks),
            "backbone": self.backbone,
            "weights": None,
            "image_size": self.image_size,
            "shared_stages": self.shared_stages,
            "branch_by": self.branch_by,
            "dropout": self.dropout,
            "loss_weighting": self.loss_weighting,
            "task_weights": self.task_weights,
            "log_variance_bounds": self.log_variance_bounds,
            "coupling": None if not self.coupling else [
                keras.saving.serialize_keras_object(c) for c in self.coupling
            ],
        }
        if self.compound_head is not None:
            config["compound_head"] = keras.saving.serialize_keras_object(
                self.compound_head)
        if self.int8_ranges is not None:  # older releases read the rest
            config["int8_ranges"] = self.int8_ranges
        if self.test_time_flip:
            config["test_time_flip"] = True
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def mirror_images(images):
    """A batch `(N, H, W, C)` mirrored left to right.

    A gather along the width with constant indices, which every runtime the
    exports target (TFLite int8 included, ONNX, TensorRT) has.
    """
    width = images.shape[2]
    return ops.take(images, ops.arange(width - 1, -1, -1), axis=2)


class _EndEpoch(keras.callbacks.Callback):
    """Calls the loss weighting's `end_epoch` after every training epoch."""

    def __init__(self, weighting):
        super().__init__()
        self.weighting = weighting

    def on_epoch_end(self, epoch, logs=None):
        self.weighting.end_epoch()


def _multi_worker(strategy):
    """Whether `strategy` is a MultiWorkerMirroredStrategy over machines."""
    if strategy is None or keras.backend.backend() != "tensorflow":
        return False
    from keras_dmtl.training.distribution import is_multi_worker

    return is_multi_worker(strategy)


def _synchronize_batch_norm(layers):
    """Makes every batch normalisation among `layers` (nested models
    included) take its statistics over all the replicas' examples."""
    for layer in layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.synchronized = True
        elif isinstance(layer, keras.Model):
            _synchronize_batch_norm(layer.layers)
