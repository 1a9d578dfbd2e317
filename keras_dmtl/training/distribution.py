"""The `tf.distribute` strategy of a training run: one device, several GPUs
of one machine, or several machines."""

import json
import os

STRATEGIES = ("default", "mirrored", "multi_worker")


def distribution_strategy(name="default"):
    """The `tf.distribute.Strategy` a recipe's `--strategy` names.

    Build and compile the model inside `strategy.scope()`; `model.fit`
    then spreads every batch over the strategy's replicas. The batch a
    dataset gives is the *global* batch: each replica trains on an equal
    share of it (see `per_replica_batch_size`), the gradients are summed
    over the replicas, and the learning rate is used as given, for the
    global batch, so one process and N replicas train the same model.

    - `"default"`: `tf.distribute.get_strategy()`, one device.
    - `"mirrored"`: `tf.distribute.MirroredStrategy()`, every GPU of this
      machine (the CPU when it has none).
    - `"multi_worker"`: `tf.distribute.MultiWorkerMirroredStrategy()`, every
      GPU of every machine that the `TF_CONFIG` environment variable lists.
      Every machine runs the same command with its own `TF_CONFIG`, and the
      strategy must be made when the program starts, before any other
      TensorFlow operation.

    Args:
        name: str, one of `STRATEGIES`.

    Returns:
        A `tf.distribute.Strategy`.

    Raises:
        ValueError: an unknown name, or `"multi_worker"` with a missing or
            malformed `TF_CONFIG`.

    Example:

    ```python
    strategy = distribution_strategy(args.strategy)
    per_replica_batch_size(args.batch_size, strategy)  # checks the split
    with strategy.scope():
        model = keras_dmtl.DMTLModel(tasks)
        model.compile(optimizer=make_optimizer())
    model.fit(data, epochs=80)
    ```
    """
    if name not in STRATEGIES:
        raise ValueError(f"--strategy must be one of {list(STRATEGIES)}, "
                         f"got {name!r}")
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    cluster_config()  # a one-line error rather than TensorFlow's
    return tf.distribute.MultiWorkerMirroredStrategy()


def cluster_config(environ=None):
    """The parsed and checked `TF_CONFIG` of a multi-worker run.

    `TF_CONFIG` is JSON with the addresses of every machine and the task of
    this one, the same cluster on every machine:

        {"cluster": {"worker": ["host1:12345", "host2:12345"]},
         "task": {"type": "worker", "index": 0}}

    Worker 0 is the chief (unless the cluster names a `"chief"` task): the
    one that writes the run folder.

    Args:
        environ: the environment to read; defaults to `os.environ`.

    Returns:
        The `TF_CONFIG` dict.

    Raises:
        ValueError: with one line saying what is wrong, when `TF_CONFIG` is
            missing, not JSON, or its task is not one of its cluster's.
    """
    environ = os.environ if environ is None else environ
    text = environ.get("TF_CONFIG", "").strip()
    usage = ('TF_CONFIG=\'{"cluster": {"worker": ["host1:port", '
             '"host2:port"]}, "task": {"type": "worker", "index": 0}}\'')
    if not text:
        raise ValueError(f"--strategy multi_worker needs TF_CONFIG on every "
                         f"machine, such as {usage}")
    try:
        config = json.loads(text)
    except ValueError as error:
        raise ValueError(f"TF_CONFIG is not JSON ({error}); expected "
                         f"{usage}") from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    task = config.get("task") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not isinstance(task, dict):
        raise ValueError(f"TF_CONFIG needs a 'cluster' and a 'task' object; "
                         f"expected {usage}")
    for kind, addresses in cluster.items():
        if (not isinstance(addresses, list) or not addresses
                or not all(isinstance(a, str) and ":" in a
                           for a in addresses)):
            raise ValueError(f"TF_CONFIG cluster {kind!r} must be a list of "
                             f"'host:port' strings, got {addresses!r}")
    if not any(kind in cluster for kind in ("worker", "chief")):
        raise ValueError(f"TF_CONFIG cluster lists no 'worker'; expected "
                         f"{usage}")
    kind, index = task.get("type"), task.get("index", 0)
    if kind not in cluster:
        raise ValueError(f"TF_CONFIG task type {kind!r} is not in its "
                         f"cluster ({sorted(cluster)})")
    if (not isinstance(index, int) or isinstance(index, bool)
            or not 0 <= index < len(cluster[kind])):
        raise ValueError(f"TF_CONFIG task index {index!r} is not one of the "
                         f"{len(cluster[kind])} {kind!r} addresses")
    return config


def worker_task(strategy=None):
    """This process's task in the cluster, such as `("worker", 1)`.

    Args:
        strategy: a `tf.distribute.Strategy`, or None for the current one.

    Returns:
        `(task_type, task_index)`, or `(None, 0)` outside a multi-worker
        cluster.
    """
    resolver = getattr(_strategy(strategy), "cluster_resolver", None)
    task_type = getattr(resolver, "task_type", None)
    if not task_type:
        return None, 0
    return task_type, int(resolver.task_id or 0)


def is_chief(strategy=None):
    """Whether this process writes the run's files.

    Every process of a one-machine strategy is the chief; in a multi-worker
    cluster the chief is the `"chief"` task, or worker 0 when there is
    none. Every worker must still run the whole recipe, saving included:
    saving and evaluating read values from all the workers.

    Args:
        strategy: a `tf.distribute.Strategy`, or None for the current one.

    Returns:
        bool.
    """
    task_type, index = worker_task(strategy)
    if task_type is None or task_type == "chief":
        return True
    if task_type != "worker" or index != 0:
        return False
    resolver = _strategy(strategy).cluster_resolver
    return "chief" not in resolver.cluster_spec().as_dict()


def is_multi_worker(strategy=None):
    """Whether a strategy spreads training over several machines.

    Args:
        strategy: a `tf.distribute.Strategy`, or None for the current one.

    Returns:
        bool: a `MultiWorkerMirroredStrategy` over more than one worker.
    """
    import tensorflow as tf

    strategy = _strategy(strategy)
    return (isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
            and strategy.extended._in_multi_worker_mode())


def per_replica_batch_size(batch_size, strategy=None):
    """The share of a global batch each replica trains on, checked.

    Args:
        batch_size: int, the global batch (`--batch-size`).
        strategy: a `tf.distribute.Strategy`, or None for the current one.

    Returns:
        int, `batch_size // strategy.num_replicas_in_sync`.

    Raises:
        ValueError: the batch does not split evenly among the replicas.
    """
    replicas = _strategy(strategy).num_replicas_in_sync
    if batch_size < replicas or batch_size % replicas:
        raise ValueError(f"--batch-size {batch_size} does not split evenly "
                         f"among the {replicas} replicas; pass a multiple "
                         f"of {replicas}")
    return batch_size // replicas


def _strategy(strategy):
    if strategy is not None:
        return strategy
    import tensorflow as tf

    return tf.distribute.get_strategy()
