"""The trusted finite-difference checker and the student-fillable Q2.5 reference."""

import numpy as np
import pytest

from grading.grader import gradcheck
from hw5lib import my_gradcheck, nn, toydata, train


def quadratic_problem(seed=0):
    """loss = sum(A * W^2) + sum(c * b): its gradient is known exactly."""
    rng = np.random.default_rng(seed)
    params = {"Wq": rng.normal(size=(4, 3)), "bq": rng.normal(size=3)}
    A, c = rng.normal(size=(4, 3)), rng.normal(size=3)

    def loss_fn(p):
        return float(np.sum(A * p["Wq"] ** 2) + np.sum(c * p["bq"]))

    exact = {"Wq": 2 * A * params["Wq"], "bq": c}
    return params, loss_fn, exact


def test_relative_errors_known_values():
    assert gradcheck.relative_errors(np.ones(3), np.ones(3)) == (0.0, 0.0)
    summed, max_norm = gradcheck.relative_errors(np.array([1.0, 2.0]), np.array([1.0, 1.0]))
    assert summed == pytest.approx(1 / 3) and max_norm == pytest.approx(1 / 2)
    assert gradcheck.relative_errors(np.zeros(2), np.zeros(2)) == (0.0, 0.0)


def test_numerical_gradient_is_exact_on_a_quadratic_and_restores_params():
    params, loss_fn, exact = quadratic_problem()
    before = params["Wq"].copy()
    numeric = gradcheck.numerical_gradient(loss_fn, params, "Wq")
    np.testing.assert_allclose(numeric, exact["Wq"].ravel(), rtol=1e-7, atol=1e-9)
    np.testing.assert_array_equal(params["Wq"], before)


def test_check_gradients_passes_right_and_names_wrong_gradients():
    params, loss_fn, exact = quadratic_problem()
    assert gradcheck.check_gradients(params, loss_fn, analytic=exact).max_norm < 1e-8
    wrong = {"Wq": exact["Wq"], "bq": 2 * exact["bq"]}
    report = gradcheck.check_gradients(params, loss_fn, analytic=wrong)
    assert report.checks[0].max_norm < 1e-8 and report.checks[1].max_norm > 0.4
    with pytest.raises(AssertionError, match=r"bq \(relative error 5\.0+e-01\)"):
        report.assert_ok(1e-6)


def test_check_gradients_reports_a_transposed_gradient_shape():
    params, loss_fn, exact = quadratic_problem()
    with pytest.raises(AssertionError, match=r"grad_Wq has shape \(3, 4\); it must have the shape of Wq, \(4, 3\)"):
        gradcheck.check_gradients(params, loss_fn, analytic={"Wq": exact["Wq"].T, "bq": exact["bq"]})


def test_check_gradients_asks_for_float64():
    params, loss_fn, exact = quadratic_problem()
    params["Wq"] = params["Wq"].astype(np.float32)
    with pytest.raises(TypeError, match="need float64"):
        gradcheck.check_gradients(params, loss_fn, analytic=exact)


def test_large_arrays_are_sampled_reproducibly():
    rng = np.random.default_rng(0)
    a = gradcheck.sample_coordinates(1024 * 64, 200, rng)
    b = gradcheck.sample_coordinates(1024 * 64, 200, np.random.default_rng(0))
    assert len(a) == 200 and len(np.unique(a)) == 200 and np.array_equal(a, b)
    assert np.array_equal(gradcheck.sample_coordinates(10, 200, rng), np.arange(10))


def test_a_1024_64_36_net_checks_on_sampled_coordinates():
    report = gradcheck.check_mlp([1024, 64, 36], batch=8, seed=2)
    assert [c.checked for c in report.checks] == [200, 64, 200, 36]
    assert report.max_norm < 1e-6, str(report)


def test_report_table_lists_every_parameter():
    report = gradcheck.check_mlp([3, 4, 2], seed=0)
    text = str(report)
    for key in ("Wlayer1", "blayer1", "Woutput", "boutput", "total"):
        assert key in text


# ---------------------------------------------------------------- Q2.5 reference (student-fillable)


def test_student_checker_reference_matches_the_trusted_one():
    params, loss_fn, exact = quadratic_problem(3)
    numeric = my_gradcheck.numerical_gradients(params, loss_fn)
    assert set(numeric) == {"Wq", "bq"}
    for key in numeric:
        assert numeric[key].shape == params[key].shape
        np.testing.assert_allclose(numeric[key], exact[key], rtol=1e-7, atol=1e-9)
        assert my_gradcheck.relative_error(exact[key], numeric[key]) < 1e-8


def test_student_checker_on_the_trained_toy_net_sums_below_1e_4():
    x, y = toydata.make_toy_data()
    np.random.seed(0)
    params = train.init_classifier(2, 25, 4)
    train.run_epochs(x, y, params, 20, 5, 1e-3, progress=False)
    probs = train.classify(x, params)
    delta = nn.backwards(probs - y, params, "output", nn.linear_deriv)
    nn.backwards(delta, params, "layer1", nn.sigmoid_deriv)
    numeric = my_gradcheck.numerical_gradients(params, lambda p: train.evaluate(x, y, p)[0])
    total = sum(my_gradcheck.relative_error(params["grad_" + k], numeric[k]) for k in numeric)
    assert len(numeric) == 4 and total < 1e-4
