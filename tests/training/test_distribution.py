import json
import os
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from keras_dmtl.training import RunFolder
from keras_dmtl.training import distribution_strategy
from keras_dmtl.training import is_chief
from keras_dmtl.training import per_replica_batch_size
from keras_dmtl.training.distribution import cluster_config
from tests.conftest import REPO

# Two workers and one process train the same model on the same global
# batches in float64; the workers' weights must be equal, and within this
# fraction of the weights' change (norm over all weights) of the single
# process's. Measured: 7e-12 (the order in which sums are taken). The
# regulariser of the log-variances counted once per replica (the bug this
# guards against) gives 1e-3; batch statistics taken per replica, 2.8.
RELATIVE_TOLERANCE = 1e-6
# The log-variances move by 0.17 in these steps; measured: 2e-13 apart
# (1.4e-2 with the regulariser counted once per replica).
LOG_VARIANCE_TOLERANCE = 1e-8


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def start(args, tf_config=None):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=REPO,
               CUDA_VISIBLE_DEVICES="")
    env.pop("TF_CONFIG", None)
    if tf_config is not None:
        env["TF_CONFIG"] = json.dumps(tf_config)
    return subprocess.Popen(
        [sys.executable, "-m", "tests.training.two_worker_script", *args],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)


def finish(processes, timeout):
    """Waits for all; kills every one still running on timeout or error."""
    deadline = time.monotonic() + timeout
    outputs = []
    try:
        for process in processes:
            left = max(deadline - time.monotonic(), 1)
            outputs.append(process.communicate(timeout=left)[0])
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.communicate()
    for process, output in zip(processes, outputs):
        assert process.returncode == 0, output[-3000:]
    return [json.loads(output.strip().splitlines()[-1]) for output in outputs]


def load(path):
    saved = np.load(path)
    count = len(saved["names"])
    return (list(saved["names"]),
            [saved[f"initial_{i}"] for i in range(count)],
            [saved[f"final_{i}"] for i in range(count)])


def norm(arrays):
    return float(np.sqrt(sum(np.sum(np.square(a)) for a in arrays)))


@pytest.mark.parametrize("mode", [
    "eager",  # the same steps, without tracing them: 4 times faster here
    pytest.param("graph", marks=pytest.mark.slow),
])
def test_two_workers_train_as_one_process_on_the_global_batches(
        tmp_path, mode):
    ports = free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    out = str(tmp_path / "run")
    common = ["--float64"] + (["--eager"] if mode == "eager" else [])
    processes = [
        start([out, str(tmp_path / f"worker{i}.npz"), *common],
              {"cluster": cluster, "task": {"type": "worker", "index": i}})
        for i in range(2)
    ] + [start([str(tmp_path / "alone"), str(tmp_path / "alone.npz"),
                *common])]
    worker0, worker1, alone = finish(processes, timeout=300)

    assert (worker0["replicas"], worker1["replicas"]) == (2, 2)
    assert alone["replicas"] == 1
    assert worker0["chief"] and not worker1["chief"]
    # Only the chief wrote the run folder; the other worker's is gone.
    assert sorted(os.listdir(out)) == [
        "history.csv", "model.keras", "run.json"]
    assert not os.path.exists(worker1["folder"])
    # The logs and the evaluation are those of the global batch, on every
    # worker.
    for kind in ("logs", "evaluated"):
        assert set(worker0[kind]) == set(alone[kind])
        for name, value in alone[kind].items():
            assert worker0[kind][name] == pytest.approx(
                value, rel=1e-6, abs=1e-9), (kind, name)
            assert worker1[kind][name] == worker0[kind][name], (kind, name)

    names, initial, final0 = load(tmp_path / "worker0.npz")
    _, initial1, final1 = load(tmp_path / "worker1.npz")
    _, initial_alone, final_alone = load(tmp_path / "alone.npz")
    for a, b, c in zip(initial, initial1, initial_alone):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    for name, a, b in zip(names, final0, final1):
        np.testing.assert_array_equal(a, b, err_msg=name)
    change = norm(b - a for a, b in zip(initial, final_alone))
    difference = norm(a - b for a, b in zip(final0, final_alone))
    assert change > 1.0
    assert difference <= RELATIVE_TOLERANCE * change, difference / change
    log_variance = names.index("loss_weighting/log_variance")
    assert np.abs(final_alone[log_variance]).max() > 0.1
    np.testing.assert_allclose(final0[log_variance], final_alone[log_variance],
                               rtol=0, atol=LOG_VARIANCE_TOLERANCE)
    # Every face's prediction, in the order of the data.
    for worker in ("worker0", "worker1"):
        saved = np.load(tmp_path / f"{worker}.npz")
        for name in ("age_group", "gender"):
            np.testing.assert_allclose(
                saved[f"predicted_{name}"],
                np.load(tmp_path / "alone.npz")[f"predicted_{name}"],
                rtol=1e-9, atol=1e-9, err_msg=f"{worker} {name}")


@pytest.mark.slow
@pytest.mark.parametrize("model", ["float", "quantization_aware"])
def test_two_replicas_of_one_machine_train_as_one_process(tmp_path, model):
    # A quantization-aware model too: its rounding and frozen batch
    # statistics must not depend on how the batch is split.
    extra = ["--quantization-aware"] if model == "quantization_aware" else []
    processes = [start([str(tmp_path / "mirrored"),
                        str(tmp_path / "mirrored.npz"), "--float64",
                        "--cpus", "2", *extra]),
                 start([str(tmp_path / "alone"), str(tmp_path / "alone.npz"),
                        "--float64", *extra])]
    mirrored, alone = finish(processes, timeout=600)
    assert (mirrored["replicas"], alone["replicas"]) == (2, 1)
    assert mirrored["quantization_aware"] == bool(extra)
    for name, value in alone["logs"].items():
        assert mirrored["logs"][name] == pytest.approx(
            value, rel=1e-6, abs=1e-9), name
    names, initial, final = load(tmp_path / "mirrored.npz")
    _, _, final_alone = load(tmp_path / "alone.npz")
    change = norm(b - a for a, b in zip(initial, final_alone))
    difference = norm(a - b for a, b in zip(final, final_alone))
    assert difference <= RELATIVE_TOLERANCE * change, difference / change


def test_losses_and_metrics_are_those_of_the_global_batch_on_two_replicas():
    script = os.path.join(REPO, "tests", "training", "replica_loss_script.py")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=REPO,
               CUDA_VISIBLE_DEVICES="")
    env.pop("TF_CONFIG", None)
    done = subprocess.run([sys.executable, script], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    alone, mirrored = result["alone"], result["mirrored"]
    assert mirrored["replicas"] == 2
    # The concordance loss is a statistic of the faces it sees: each
    # replica's, weighed by its annotated faces (neither halved nor
    # doubled); every other loss is that of the global batch.
    halves = result["affect_halves"]
    affect = (sum(h["loss"] * h["annotated"] for h in halves)
              / sum(h["annotated"] for h in halves))
    assert mirrored["metrics"]["affect_loss"] == pytest.approx(affect,
                                                               rel=1e-5)
    shift = affect - alone["metrics"]["affect_loss"]
    assert abs(shift) > 1e-2
    # The total and its gradient for the log-variances (their s/2 terms
    # counted once; all start at 0, so each task's weight is 1).
    assert mirrored["total"] == pytest.approx(alone["total"] + shift,
                                              rel=1e-6)
    expected = list(alone["gradient"])
    expected[3] -= shift  # "affect": d/ds (exp(-s) L + s/2) = -L + 1/2
    np.testing.assert_allclose(mirrored["gradient"], expected,
                               rtol=1e-5, atol=1e-6)
    # Every per-task loss and weight, coupling loss and metric.
    assert set(mirrored["metrics"]) == set(alone["metrics"])
    for name, value in alone["metrics"].items():
        if name != "affect_loss":
            assert mirrored["metrics"][name] == pytest.approx(
                value, rel=1e-5, abs=1e-6), name


@pytest.mark.parametrize("config, message", [
    (None, "needs TF_CONFIG on every machine"),
    ("{cluster", "TF_CONFIG is not JSON"),
    ('{"cluster": {"worker": ["a:1"]}}', "needs a 'cluster' and a 'task'"),
    ('{"cluster": {"worker": "a:1"}, "task": {"type": "worker"}}',
     "must be a list of 'host:port' strings"),
    ('{"cluster": {"ps": ["a:1"]}, "task": {"type": "ps", "index": 0}}',
     "lists no 'worker'"),
    ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "chief"}}',
     "task type 'chief' is not in its cluster"),
    ('{"cluster": {"worker": ["a:1", "b:2"]}, '
     '"task": {"type": "worker", "index": 2}}',
     "task index 2 is not one of the 2 'worker' addresses"),
])
def test_a_missing_or_malformed_tf_config_is_one_line(config, message):
    environ = {} if config is None else {"TF_CONFIG": config}
    with pytest.raises(ValueError, match=message) as error:
        cluster_config(environ)
    assert "\n" not in str(error.value)


def test_tf_config_names_the_cluster_and_this_task():
    config = cluster_config({"TF_CONFIG": json.dumps(
        {"cluster": {"worker": ["a:1", "b:2"]},
         "task": {"type": "worker", "index": 1}})})
    assert config["task"] == {"type": "worker", "index": 1}


def test_the_default_strategy_is_one_replica_and_the_chief():
    strategy = distribution_strategy("default")
    assert strategy.num_replicas_in_sync == 1
    assert is_chief(strategy)
    assert per_replica_batch_size(32, strategy) == 32
    with pytest.raises(ValueError, match="--strategy must be one of"):
        distribution_strategy("parameter_server")


def test_a_batch_that_does_not_split_evenly_is_refused():
    class FourReplicas:
        num_replicas_in_sync = 4

    assert per_replica_batch_size(32, FourReplicas()) == 8
    for batch in (30, 2):
        with pytest.raises(ValueError, match=rf"--batch-size {batch} does "
                           "not split evenly among the 4 replicas; pass a "
                           "multiple of 4"):
            per_replica_batch_size(batch, FourReplicas())


SETTINGS = {"epochs": 3, "seed": 0, "strategy": "multi_worker"}


def test_a_worker_that_is_not_the_chief_never_writes_the_run_folder(
        tmp_path):
    out = tmp_path / "run"
    worker = RunFolder(str(out), SETTINGS, chief=False)
    assert not worker.finished and not worker.resuming
    private = worker.path
    assert private != str(out) and os.path.isdir(private)
    assert "not the chief" in worker.status
    worker.write_json("metrics.json", {"loss": 1.0})
    assert os.path.isfile(os.path.join(private, "metrics.json"))
    worker.commit()
    assert not os.path.exists(private)
    assert not out.exists()


def test_a_worker_follows_the_chief_run_it_can_see(tmp_path):
    out = tmp_path / "run"
    chief = RunFolder(str(out), SETTINGS)
    chief.write_json("metrics.json", {"loss": 1.0})
    os.makedirs(chief.file(".backup"))
    with open(chief.file(".backup/training_metadata.json"), "w") as file:
        json.dump({"epoch": 2}, file)
    chief.record(".backup")
    chief.close()
    before = sorted(os.listdir(out))

    worker = RunFolder(str(out), SETTINGS, chief=False)
    assert worker.resuming
    with open(worker.file(".backup/training_metadata.json")) as file:
        assert json.load(file) == {"epoch": 2}
    worker.close()
    assert not os.path.exists(worker.path)
    with pytest.raises(ValueError, match="other settings"):
        RunFolder(str(out), dict(SETTINGS, epochs=5), chief=False)
    assert RunFolder(str(out), dict(SETTINGS, epochs=5), overwrite=True,
                     chief=False).resuming is False
    assert sorted(os.listdir(out)) == before

    chief = RunFolder(str(out), SETTINGS)
    chief.commit()
    assert RunFolder(str(out), SETTINGS, chief=False).finished
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("notes")
    with pytest.raises(ValueError, match="holds no keras-dmtl run"):
        RunFolder(str(tmp_path / "other"), SETTINGS, chief=False)


def test_how_a_run_is_spread_over_devices_is_not_a_setting(tmp_path):
    run = RunFolder(str(tmp_path), dict(SETTINGS, strategy="mirrored"))
    run.commit()
    assert RunFolder(str(tmp_path), dict(SETTINGS, strategy="default")
                     ).finished
    older = dict(SETTINGS)
    del older["strategy"]  # a run of a release without --strategy
    assert RunFolder(str(tmp_path), older).finished


def test_workers_that_would_start_from_different_states_refuse_to_train(
        monkeypatch):
    import keras

    from keras_dmtl.training import same_start

    class TwoWorkers:
        def __init__(self, other):
            self.other = other

        def gather(self, mine, axis):
            return keras.ops.convert_to_tensor(
                np.concatenate([mine.numpy(), [self.other]], axis=axis))

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.build()
    model._initial_epoch = 3  # as BackupAndRestore sets it
    weights = sum(float(np.sum(w)) for w in model.get_weights())
    monkeypatch.setattr(same_start, "is_multi_worker", lambda strategy: True)
    check = same_start.SameStart("runs/x")
    check.set_model(model)
    model._distribute_strategy = TwoWorkers([3.0, weights])
    check.on_train_begin()  # the same start: nothing to say
    for other in ([0.0, weights], [3.0, weights + 1.0]):
        model._distribute_strategy = TwoWorkers(other)
        with pytest.raises(same_start.WorkersDisagree,
                           match=r"different states \(epochs \[[03, ]+\].*"
                                 r"runs/x.*shared storage") as error:
            check.on_train_begin()
        assert "\n" not in str(error.value)
