import keras
import numpy as np
import pytest

from keras_dmtl.metrics import ConcordanceCorrelation
from keras_dmtl.metrics import MaskedRootMeanSquaredError


def ccc(x, y, w=None):
    """Concordance correlation with (weighted) population moments."""
    x, y = np.asarray(x, "float64"), np.asarray(y, "float64")
    w = np.ones_like(x) if w is None else np.asarray(w, "float64")
    mx, my = np.average(x, weights=w), np.average(y, weights=w)
    vx = np.average((x - mx) ** 2, weights=w)
    vy = np.average((y - my) ** 2, weights=w)
    cov = np.average((x - mx) * (y - my), weights=w)
    return 2 * cov / (vx + vy + (mx - my) ** 2)


def annotated_ccc(labels, predictions, k, weights=None):
    keep = ~np.isnan(labels[:, k])
    w = None if weights is None else weights[keep]
    return ccc(labels[keep, k], predictions[keep, k], w)


RNG = np.random.default_rng(0)
LABELS = RNG.uniform(-1, 1, size=(12, 3)).astype("float32")
LABELS[[1, 4, 7], 0] = np.nan
LABELS[[0, 2, 5, 8, 9], 1] = np.nan
LABELS[1:, 2] = np.nan  # output 2 has a single value
PREDICTIONS = (0.6 * np.nan_to_num(LABELS) + 0.3 * RNG.normal(
    size=(12, 3)) + 0.1).astype("float32")
WEIGHTS = RNG.uniform(0.2, 2.0, size=12).astype("float32")


def test_ccc_per_output_and_mean_against_numpy():
    per_output = [annotated_ccc(LABELS, PREDICTIONS, k) for k in range(2)]
    metric = ConcordanceCorrelation(3)
    metric.update_state(LABELS, PREDICTIONS)
    # Output 2 has fewer than 2 values: left out of the mean.
    assert float(metric.result()) == pytest.approx(np.mean(per_output),
                                                   abs=1e-5)
    for k, expected in enumerate(per_output + [0.0]):
        one = ConcordanceCorrelation(3, output_index=k, name=f"ccc_{k}")
        one.update_state(LABELS, PREDICTIONS)
        assert float(one.result()) == pytest.approx(expected, abs=1e-5)


def test_ccc_streams_over_the_epoch_like_one_call():
    one = ConcordanceCorrelation(3)
    one.update_state(LABELS, PREDICTIONS, sample_weight=WEIGHTS)
    two = ConcordanceCorrelation(3)
    two.update_state(LABELS[:5], PREDICTIONS[:5], sample_weight=WEIGHTS[:5])
    two.update_state(LABELS[5:], PREDICTIONS[5:], sample_weight=WEIGHTS[5:])
    assert float(two.result()) == pytest.approx(float(one.result()),
                                                abs=1e-5)
    # Not the mean of the two batches' CCCs.
    batch_mean = np.mean([
        np.mean([annotated_ccc(LABELS[s], PREDICTIONS[s], k,
                               WEIGHTS[s]) for k in range(2)])
        for s in (slice(0, 5), slice(5, None))
    ])
    assert abs(float(two.result()) - batch_mean) > 1e-3
    two.reset_state()
    assert float(two.result()) == 0.0


def test_ccc_sample_weights_weigh_the_moments():
    expected = np.mean(
        [annotated_ccc(LABELS, PREDICTIONS, k, WEIGHTS) for k in range(2)]
    )
    metric = ConcordanceCorrelation(3)
    metric.update_state(LABELS, PREDICTIONS, sample_weight=WEIGHTS)
    assert float(metric.result()) == pytest.approx(expected, abs=1e-5)


def test_ccc_is_one_for_perfect_agreement_and_zero_when_undefined():
    perfect = ConcordanceCorrelation(3)
    perfect.update_state(LABELS, np.nan_to_num(LABELS))
    assert float(perfect.result()) == pytest.approx(1.0, abs=1e-5)
    empty = ConcordanceCorrelation(2)
    empty.update_state(np.full((3, 2), np.nan), np.zeros((3, 2), "float32"))
    assert float(empty.result()) == 0.0
    constant = ConcordanceCorrelation(1)
    constant.update_state(np.full((3, 1), 0.5), np.full((3, 1), 0.5))
    assert np.isfinite(float(constant.result()))


def test_ccc_accepts_a_single_output_as_a_vector():
    x = np.array([0.1, 0.4, 0.3, 0.9], "float32")
    y = np.array([0.2, 0.3, 0.5, 0.7], "float32")
    metric = ConcordanceCorrelation(1)
    metric.update_state(x, y)
    assert float(metric.result()) == pytest.approx(ccc(x, y), abs=1e-5)


def test_ccc_rejects_bad_arguments():
    with pytest.raises(ValueError, match="got 0"):
        ConcordanceCorrelation(0)
    with pytest.raises(ValueError, match="got 3"):
        ConcordanceCorrelation(2, output_index=3)


def test_ccc_serialization_round_trip():
    metric = ConcordanceCorrelation(2, output_index=1, name="ccc_arousal")
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(metric)
    )
    assert isinstance(restored, ConcordanceCorrelation)
    assert restored.get_config() == metric.get_config()


def test_ccc_and_rmse_in_a_compiled_model():
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Identity()(inputs))
    model.compile(loss="mae", metrics=[ConcordanceCorrelation(3),
                                        MaskedRootMeanSquaredError()])
    logs = model.evaluate(PREDICTIONS, LABELS, batch_size=5, verbose=0,
                          return_dict=True)
    expected = np.mean(
        [annotated_ccc(LABELS, PREDICTIONS, k) for k in range(2)]
    )
    assert logs["ccc"] == pytest.approx(expected, abs=1e-5)
    keep = ~np.isnan(LABELS)
    rmse = np.sqrt(np.mean((LABELS[keep] - PREDICTIONS[keep]) ** 2))
    assert logs["rmse"] == pytest.approx(rmse, abs=1e-5)


def test_rmse_over_all_annotated_values():
    labels = np.array([[1.0, np.nan], [3.0, 0.0], [np.nan, np.nan]])
    predictions = np.array([[0.0, 9.0], [0.0, 0.0], [4.0, 4.0]], "float32")
    metric = MaskedRootMeanSquaredError()
    metric.update_state(labels, predictions)
    assert float(metric.result()) == pytest.approx(np.sqrt(10 / 3), 1e-6)


def test_rmse_sample_weights_apply_per_face():
    labels = np.array([[1.0, np.nan], [3.0, 0.0]])
    metric = MaskedRootMeanSquaredError()
    metric.update_state(labels, np.zeros((2, 2), "float32"),
                        sample_weight=np.array([3.0, 0.5]))
    # (3 * 1 + 0.5 * 9 + 0.5 * 0) / (3 + 0.5 + 0.5).
    assert float(metric.result()) == pytest.approx(np.sqrt(7.5 / 4), 1e-6)


def test_rmse_streams_like_one_call_and_resets():
    one = MaskedRootMeanSquaredError()
    one.update_state(LABELS, PREDICTIONS, sample_weight=WEIGHTS)
    two = MaskedRootMeanSquaredError()
    two.update_state(LABELS[:7], PREDICTIONS[:7], sample_weight=WEIGHTS[:7])
    two.update_state(LABELS[7:], PREDICTIONS[7:], sample_weight=WEIGHTS[7:])
    assert float(two.result()) == pytest.approx(float(one.result()), 1e-6)
    two.reset_state()
    assert float(two.result()) == 0.0


def test_rmse_of_no_annotated_value_is_zero():
    metric = MaskedRootMeanSquaredError()
    metric.update_state(np.full((2, 2), np.nan), np.ones((2, 2), "float32"))
    assert float(metric.result()) == 0.0


def test_rmse_serialization_round_trip():
    metric = MaskedRootMeanSquaredError(name="affect_rmse")
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(metric)
    )
    assert isinstance(restored, MaskedRootMeanSquaredError)
    assert restored.get_config() == metric.get_config()
