"""Q2.4 training on the toy data, and the Q1 companions."""

import numpy as np
import pytest

from hw5lib import theory, toydata, train


def test_toy_data_shape_and_classes():
    x, y = toydata.make_toy_data()
    assert x.shape == (40, 2) and y.shape == (40, 4)
    assert np.array_equal(y.sum(axis=0), [10, 10, 10, 10])
    x2, _ = toydata.make_toy_data()
    assert np.array_equal(x, x2)


def test_toy_training_with_the_handout_settings():
    x, y = toydata.make_toy_data()
    np.random.seed(0)
    params = train.init_classifier(2, 25, 4)
    loss0, acc0 = train.evaluate(x, y, params)
    assert 45 < loss0 < 70 and acc0 < 0.5  # about -40 log(0.25) = 55 before training
    history = train.run_epochs(x, y, params, epochs=500, batch_size=5, learning_rate=1e-3, progress=False)
    assert len(history["train_loss"]) == 500
    assert history["train_loss"][-1] <= 35
    assert history["train_acc"][-1] >= 0.75
    assert history["train_loss"][-1] < history["train_loss"][0] - 20


def test_history_records_validation_curves():
    x, y = toydata.make_toy_data()
    np.random.seed(1)
    params = train.init_classifier(2, 8, 4)
    history = train.train_classifier(x, y, params, 3, 8, 1e-2, valid=(x, y), progress=False)
    assert {k: len(v) for k, v in history.items()} == {
        "train_loss": 3, "train_acc": 3, "valid_loss": 3, "valid_acc": 3}
    # losses are averages per example: the epoch's total divided by the number of examples
    assert history["valid_loss"][-1] == pytest.approx(train.evaluate(x, y, params)[0] / len(x))
    assert history["valid_acc"][-1] == pytest.approx(train.evaluate(x, y, params)[1])
    assert 0 < history["train_loss"][-1] < np.log(4) + 0.5


def test_one_epoch_updates_every_parameter():
    x, y = toydata.make_toy_data()
    np.random.seed(2)
    params = train.init_classifier(2, 6, 4)
    before = {k: v.copy() for k, v in params.items()}
    train.train_epoch(x, y, params, 5, 1e-2)
    for key, value in before.items():
        assert not np.array_equal(params[key], value), key


def test_theory_companions():
    x = np.linspace(-8, 8, 101)
    np.testing.assert_allclose(theory.tanh_from_sigmoid(x), np.tanh(x), atol=1e-12)
    h = 1e-5
    numeric = (theory.logistic(x + h) - theory.logistic(x - h)) / (2 * h)
    np.testing.assert_allclose(theory.sigmoid_derivative(x), numeric, atol=1e-9)
    np.testing.assert_allclose(theory.tanh_derivative(x), 1 - np.tanh(x) ** 2, atol=1e-12)
    assert theory.sigmoid_derivative(np.array([0.0]))[0] == pytest.approx(0.25)
