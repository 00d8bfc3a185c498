"""The public checks (hw5lib.checks): the reference passes every call the notebooks make, a planted mistake gets
an actionable message, and the stored expected values are current and hold the notebooks' own inputs only."""

import ast
import re

import nbformat
import numpy as np
import pytest

from grading.course import expected_values
from grading.course.paths import PROJECT_ROOT
from hw5lib import autoencoder, checks, metrics, my_gradcheck, nn, theory, train
from hw5lib.checks import _common

NOTEBOOKS = sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb"))


def _public_calls():
    """(check name, keyword arguments) of every call of a check in the notebooks' public code, where its arguments
    are literals."""
    import inspect

    calls = []
    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            public = cell.source.split("### BEGIN HIDDEN TESTS")[0]
            public = "\n".join(line for line in public.splitlines() if not line.lstrip().startswith("%"))
            for node in ast.walk(ast.parse(public)):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and isinstance(node.func.value, ast.Name) and node.func.value.id == "checks"):
                    try:
                        args = [ast.literal_eval(a) for a in node.args]
                        kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
                    except ValueError:
                        continue  # a loop's variable: the nbval run of the notebook covers it
                    check = getattr(checks, node.func.attr)
                    bound = inspect.signature(inspect.unwrap(check)).bind(*args, **kwargs)
                    calls.append((node.func.attr, dict(bound.arguments)))
    return calls


def test_the_stored_values_are_current():
    assert expected_values.stale() == []


def test_every_public_call_of_the_notebooks_has_its_stored_values():
    calls = _public_calls()
    assert len(calls) >= 40
    stored = {_common.case_name(getattr(checks, name), **arguments) for name, arguments in expected_values.PUBLIC_CASES}
    for name, arguments in calls:
        if name in expected_values.COMPUTE:
            assert _common.case_name(getattr(checks, name), **arguments) in stored, (name, arguments)


def test_only_the_notebooks_inputs_are_stored_never_a_hidden_seed():
    hidden_seeds = set()
    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            if "### BEGIN HIDDEN TESTS" in cell.source:
                hidden = cell.source.split("### BEGIN HIDDEN TESTS")[1]
                hidden_seeds |= {int(s) for s in re.findall(r"seed=(\d+)|start=(\d+)", hidden) for s in s if s}
                for listed in re.findall(r"for seed in \(([\d, ]+)\)", hidden):
                    hidden_seeds |= {int(s) for s in listed.split(",") if s.strip()}
    assert {21, 31, 44, 51} <= hidden_seeds
    with np.load(_common.EXPECTED_VALUES) as stored:
        seeds = {int(s) for key in stored.files for s in re.findall(r"seed=(\d+)", key.split("/")[0])}
    assert seeds == {0} and not seeds & hidden_seeds


def test_a_call_the_notebooks_do_not_make_is_refused_with_the_reason():
    with pytest.raises(AssertionError, match="no stored expected values for check_sigmoid.seed=21.: the public checks "
                                             "know the notebook's own inputs"):
        checks.check_sigmoid(seed=21)


@pytest.mark.parametrize("name, arguments", expected_values.PUBLIC_CASES + [
    ("check_initialize_weights", {"in_size": 1024, "out_size": 64, "name": "layer1"}), ("check_batches", {}),
    ("check_autoencoder_init", {}), ("check_group_lines", {}), ("check_crop_to_input", {}),
    ("check_find_letters_inputs", {}), ("check_find_letters", {})])
def test_the_reference_passes_every_public_call(name, arguments):
    getattr(checks, name)(**arguments)


def _sigmoid_overflowing(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softmax_over_everything(x):
    e = np.exp(x - x.max())
    return e / e.sum()


def _softmax_unshifted(x):
    e = np.exp(x)
    return e / e.sum(axis=1, keepdims=True)


def _forward_without_bias(X, params, name="", activation=nn.sigmoid):
    pre = X @ params["W" + name]
    params["cache_" + name] = (X, pre, activation(pre))
    return activation(pre)


def _loss_mean(y, probs):
    loss, acc = REAL["loss"](y, probs)
    return loss / len(y), acc


def _backwards_bias_unsummed(delta, params, name="", activation_deriv=nn.sigmoid_deriv):
    grad_x = REAL["backwards"](delta, params, name, activation_deriv)
    params["grad_b" + name] = delta * activation_deriv(params["cache_" + name][2])
    return grad_x


def _backwards_deriv_of_pre_act(delta, params, name="", activation_deriv=nn.sigmoid_deriv):
    X, pre, _ = params["cache_" + name]
    d = delta * activation_deriv(pre)
    params["grad_W" + name], params["grad_b" + name] = X.T @ d, d.sum(axis=0)
    return d @ params["W" + name].T


def _forward_differences(params, loss_fn, eps=1e-6):
    grads = {}
    for key in my_gradcheck.trainable_keys(params):
        grad, flat = np.zeros(params[key].shape), params[key].reshape(-1)
        base = loss_fn(params)
        for i in range(flat.size):
            flat[i] += eps
            grad.reshape(-1)[i] = (loss_fn(params) - base) / eps
            flat[i] -= eps
        grads[key] = grad
    return grads


REAL = {"loss": nn.compute_loss_and_acc, "backwards": nn.backwards, "momentum": train.momentum_update}


def _momentum_flipped(params, learning_rate, names, momentum=0.9):
    for key in [p + n for n in names for p in ("W", "b")]:
        params["grad_" + key] = -params["grad_" + key]
    REAL["momentum"](params, learning_rate, names, momentum)


def _momentum_ignored(params, learning_rate, names, momentum=0.9):
    REAL["momentum"](params, learning_rate, names, 0.9)


MISTAKES = [
    ("check_sigmoid", nn, "sigmoid", _sigmoid_overflowing, "sigmoid warns for large"),
    ("check_forward", nn, "forward", _forward_without_bias, "forward's output is wrong"),
    ("check_softmax", nn, "softmax", _softmax_over_everything, "add up to"),
    ("check_softmax", nn, "softmax", _softmax_unshifted, "overflows for large inputs"),
    ("check_loss_and_acc", nn, "compute_loss_and_acc", _loss_mean, "the mean cross-entropy"),
    ("check_backwards", nn, "backwards", _backwards_bias_unsummed, "it should sum over the batch"),
    ("check_backwards", nn, "backwards", _backwards_deriv_of_pre_act, "grad_W of a sigmoid layer is wrong"),
    ("check_numerical_gradients", my_gradcheck, "numerical_gradients", _forward_differences, "central differences"),
    ("check_numerical_gradients", my_gradcheck, "relative_error", lambda a, n: float(np.abs(a - n).sum()),
     "relative_error is wrong"),
    ("check_sigmoid_derivative", theory, "sigmoid_derivative", lambda x: theory.logistic(x), "at most 1/4"),
    ("check_tanh_from_sigmoid", theory, "tanh_from_sigmoid", lambda x: np.tanh(x), "calls np.tanh"),
    ("check_tanh_derivative", theory, "tanh_derivative", lambda x: 1 - x ** 2, "d tanh/dx = 1 - tanh"),
    ("check_confusion_matrix", metrics, "confusion_matrix",
     lambda t, p, n=None: np.asarray(REAL_CONFUSION(t, p, n)).T, "transposed"),
    ("check_autoencoder_forward", autoencoder, "reconstruct",
     lambda x, params: np.maximum(REAL_RECONSTRUCT(x, params), 0.0) * 0.5, "a sigmoid after the output layer"),
    ("check_momentum", train, "momentum_update", _momentum_flipped, "moved the wrong way"),
    ("check_psnr", metrics, "psnr", lambda x, x_hat, data_range=1.0: REAL_PSNR(x, x_hat, 255.0), "a peak of 255"),
    ("check_autoencoder_training", train, "momentum_update", _momentum_ignored, "ignores its momentum argument"),
]
REAL_CONFUSION, REAL_RECONSTRUCT, REAL_PSNR = metrics.confusion_matrix, autoencoder.reconstruct, metrics.psnr


@pytest.mark.parametrize("name, module, attr, mistake, words", MISTAKES,
                         ids=[f"{m[0]}-{m[3].__name__}" for m in MISTAKES])
def test_a_planted_mistake_gets_an_actionable_message(monkeypatch, name, module, attr, mistake, words):
    monkeypatch.setattr(module, attr, mistake)
    with pytest.raises(AssertionError, match=re.escape(words)):
        getattr(checks, name)()


def test_a_flipped_training_step_is_named(monkeypatch):
    def flipped(x, y, params, batch_size, learning_rate):
        return REAL_EPOCH(x, y, params, batch_size, -learning_rate)

    monkeypatch.setattr(train, "train_epoch", flipped)
    with pytest.raises(AssertionError, match="moved up the gradient|total loss"):
        checks.check_training(seed=0)


REAL_EPOCH = train.train_epoch


def test_the_backward_comparison_reports_each_gradient():
    comparison = checks.check_backwards(4, 3, 6, "sigmoid")
    assert [row[:3] for row in comparison.rows] == [("grad_W", (4, 3), 12), ("grad_b", (3,), 3), ("grad_X", (6, 4), 24)]
    assert comparison.passed(1e-6)
    assert "grad_X" in str(comparison) and comparison.max_norm < 1e-12
