"""The Q2 network pieces of hw5lib.nn, checked against known values and finite differences."""

import warnings

import numpy as np
import pytest
from scipy import special

from grading.grader import gradcheck
from hw5lib import nn


@pytest.fixture(autouse=True)
def _seed():
    np.random.seed(1234)


# ---------------------------------------------------------------- initialize_weights


def test_xavier_statistics_for_a_1024x64_layer():
    params = {}
    nn.initialize_weights(1024, 64, params, "layer1")
    W, b = params["Wlayer1"], params["blayer1"]
    assert W.shape == (1024, 64) and W.dtype == np.float64
    assert b.shape == (64,) and np.all(b == 0)
    bound = np.sqrt(6 / (1024 + 64))
    assert np.abs(W).max() <= bound
    assert np.abs(W).max() > 0.95 * bound  # really uniform up to the bound, not a narrower range
    expected_std = np.sqrt(2 / (1024 + 64))
    assert abs(W.std() - expected_std) < 0.10 * expected_std
    assert abs(W.mean()) < 0.05 * expected_std


def test_toy_net_sanity_values_of_the_handout():
    params = {}
    nn.initialize_weights(2, 25, params, "layer1")
    nn.initialize_weights(25, 4, params, "output")
    assert params["blayer1"].sum() == 0 and params["boutput"].sum() == 0
    # The handout's "0.05 to 0.12" is the variance of W, 2 / (in + out): 0.074 and 0.069 here.
    assert 0.05 <= params["Wlayer1"].var() <= 0.12
    assert 0.05 <= params["Woutput"].var() <= 0.12


def test_initialize_weights_rejects_empty_layers():
    with pytest.raises(ValueError, match="sizes must be positive"):
        nn.initialize_weights(0, 3, {}, "layer1")


# ---------------------------------------------------------------- sigmoid and forward


def test_sigmoid_values_and_no_overflow_warning():
    x = np.array([-1000.0, -30.0, -1.0, 0.0, 1.0, 30.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = nn.sigmoid(x)
    np.testing.assert_allclose(s, special.expit(x), rtol=1e-12, atol=1e-300)
    assert s[3] == 0.5 and s[0] == 0.0 and s[-1] == 1.0


def test_forward_computes_and_caches():
    params = {"Wl": np.array([[1.0, -1.0], [2.0, 0.5], [0.0, 1.0]]), "bl": np.array([0.5, -0.5])}
    X = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])
    out = nn.forward(X, params, "l", nn.linear)
    np.testing.assert_allclose(out, [[1.5, 0.5], [2.5, -1.0]])
    cached_X, pre, post = params["cache_l"]
    assert cached_X is X
    np.testing.assert_allclose(pre, out)
    np.testing.assert_allclose(nn.forward(X, params, "l"), special.expit(pre))


def test_forward_explains_a_shape_mismatch():
    params = {}
    nn.initialize_weights(2, 4, params, "layer1")
    with pytest.raises(ValueError, match="X has 3 columns but Wlayer1 expects 2"):
        nn.forward(np.ones((5, 3)), params, "layer1")
    with pytest.raises(ValueError, match="must be 2-D"):
        nn.forward(np.ones(2), params, "layer1")


def test_forward_explains_a_missing_layer():
    with pytest.raises(KeyError, match=r"initialize_weights\(in_size, out_size, params, name='layer2'\)"):
        nn.forward(np.ones((1, 2)), {}, "layer2")


# ---------------------------------------------------------------- softmax and loss


def test_softmax_rows_are_distributions_and_shift_invariant():
    x = np.random.randn(7, 5) * 4
    p = nn.softmax(x)
    np.testing.assert_allclose(p, special.softmax(x, axis=1), rtol=1e-12)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(nn.softmax(x + 123.0), p, rtol=1e-12)


def test_softmax_survives_huge_inputs():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = nn.softmax(np.array([[1000.0, 1000.0, 0.0], [-1000.0, 0.0, 1000.0]]))
    np.testing.assert_allclose(p, [[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])


def test_loss_is_summed_cross_entropy_and_accuracy():
    y = np.eye(4)[[0, 1, 2, 3, 0]]
    uniform = np.full((5, 4), 0.25)
    loss, _ = nn.compute_loss_and_acc(y, uniform)
    assert loss == pytest.approx(5 * np.log(4))
    probs = np.array([[0.7, 0.1, 0.1, 0.1], [0.1, 0.6, 0.2, 0.1], [0.5, 0.2, 0.2, 0.1],
                      [0.1, 0.1, 0.1, 0.7], [0.25, 0.5, 0.15, 0.1]])
    loss, acc = nn.compute_loss_and_acc(y, probs)
    assert loss == pytest.approx(-np.log([0.7, 0.6, 0.2, 0.7, 0.25]).sum())
    assert acc == pytest.approx(3 / 5)


def test_loss_of_a_zero_probability_is_finite():
    loss, acc = nn.compute_loss_and_acc(np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]]))
    assert np.isfinite(loss) and loss > 700 and acc == 0.0


def test_loss_explains_mismatched_shapes():
    with pytest.raises(ValueError, match=r"y has shape \(3, 4\) and probs has shape \(3, 5\)"):
        nn.compute_loss_and_acc(np.zeros((3, 4)), np.zeros((3, 5)))


# ---------------------------------------------------------------- backwards


@pytest.mark.parametrize("hidden", ["sigmoid", "relu", "linear"])
@pytest.mark.parametrize("sizes,seed", [([3, 5, 4], 0), ([6, 9, 7, 5], 1), ([10, 4, 3], 2), ([2, 25, 4], 3)])
def test_backwards_agrees_with_finite_differences(hidden, sizes, seed):
    report = gradcheck.check_mlp(sizes, hidden=hidden, seed=seed, batch=7, max_coords=None)
    assert len(report.checks) == 2 * (len(sizes) - 1)
    assert report.max_norm < 1e-6, str(report)


@pytest.mark.parametrize("hidden,output", [("relu", "sigmoid"), ("sigmoid", "linear"), ("relu", "relu")])
def test_backwards_with_squared_error_outputs(hidden, output):
    report = gradcheck.check_mlp([6, 5, 4, 6], hidden=hidden, output=output, seed=5, max_coords=None)
    assert report.max_norm < 1e-6, str(report)


def test_backwards_shapes_and_returned_input_gradient():
    params = {}
    nn.initialize_weights(3, 4, params, "h")
    X = np.random.randn(5, 3)
    nn.forward(X, params, "h", nn.linear)
    delta = np.random.randn(5, 4)
    grad_X = nn.backwards(delta, params, "h", nn.linear_deriv)
    assert params["grad_Wh"].shape == (3, 4)
    assert params["grad_bh"].shape == (4,)
    np.testing.assert_allclose(params["grad_Wh"], X.T @ delta)
    np.testing.assert_allclose(params["grad_bh"], delta.sum(axis=0))
    np.testing.assert_allclose(grad_X, delta @ params["Wh"].T)


def test_backwards_explains_a_wrong_delta_and_a_missing_cache():
    params = {}
    nn.initialize_weights(3, 4, params, "h")
    with pytest.raises(KeyError, match="call forward"):
        nn.backwards(np.ones((2, 4)), params, "h")
    nn.forward(np.ones((2, 3)), params, "h")
    with pytest.raises(ValueError, match=r"delta has shape \(2, 5\) but the layer's output"):
        nn.backwards(np.ones((2, 5)), params, "h")


def test_given_activation_derivatives():
    post = np.array([-0.0, 0.0, 0.3, 2.0])
    np.testing.assert_array_equal(nn.relu_deriv(nn.relu(np.array([-1.0, 0.0, 0.3, 2.0]))), [0, 0, 1, 1])
    np.testing.assert_array_equal(nn.linear_deriv(post), np.ones(4))
    np.testing.assert_allclose(nn.sigmoid_deriv(np.array([0.5])), [0.25])


# ---------------------------------------------------------------- get_random_batches


def test_batches_cover_every_sample_once_and_keep_pairs():
    x = np.arange(23, dtype=float).reshape(23, 1)
    y = np.eye(23)
    batches = nn.get_random_batches(x, y, 5)
    assert [len(bx) for bx, _ in batches] == [5, 5, 5, 5, 3]
    seen = np.concatenate([bx[:, 0] for bx, _ in batches])
    assert sorted(seen.tolist()) == list(range(23))
    for bx, by in batches:
        np.testing.assert_array_equal(np.argmax(by, axis=1), bx[:, 0].astype(int))


def test_batches_are_shuffled_differently_each_call():
    x = np.arange(40, dtype=float).reshape(40, 1)
    first = np.concatenate([b[0][:, 0] for b in nn.get_random_batches(x, x, 5)])
    second = np.concatenate([b[0][:, 0] for b in nn.get_random_batches(x, x, 5)])
    assert not np.array_equal(first, np.arange(40)) and not np.array_equal(first, second)


def test_batches_explain_bad_input():
    with pytest.raises(ValueError, match="x has 4 examples but y has 3"):
        nn.get_random_batches(np.zeros((4, 2)), np.zeros((3, 2)), 2)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        nn.get_random_batches(np.zeros((4, 2)), np.zeros((4, 2)), 0)
