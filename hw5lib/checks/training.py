"""Public checks of notebook 03 (Q3): the training loop's records, the trained network, the confusion matrix."""

from __future__ import annotations

import numpy as np

from hw5lib.checks._common import close, expect_shape, expected, grades
from hw5lib.checks.fully_connected import classifier_input


def judge_history(epochs: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A short toy run of ``train_classifier``: the history's keys, lengths and averages; the toy data (x, y)."""
    from hw5lib import toydata, train

    x, y = toydata.make_toy_data(seed=seed)
    np.random.seed(seed)
    params = train.init_classifier(2, 10, 4)
    history = train.train_classifier(x, y, params, epochs, 5, 1e-2, valid=(x[::2], y[::2]), progress=False)
    keys = {"train_loss", "train_acc", "valid_loss", "valid_acc"}
    assert isinstance(history, dict) and keys <= set(history), (
        f"the history has keys {sorted(history) if isinstance(history, dict) else type(history)}; it needs {sorted(keys)}")
    for key in keys:
        assert len(history[key]) == epochs, f"history[{key!r}] has {len(history[key])} entries for {epochs} epochs"
    v_loss, v_acc = train.evaluate(x[::2], y[::2], params)
    if np.isclose(history["valid_loss"][-1], v_loss):
        raise AssertionError("valid_loss is the total loss; record the average per example (divide by the count)")
    close("the last valid_loss", history["valid_loss"][-1], v_loss / len(x[::2]),
          "measure it with evaluate() after the epoch and divide by the number of validation examples")
    close("the last valid_acc", history["valid_acc"][-1], v_acc, "measure it with evaluate() after the epoch")
    assert 0 < history["train_loss"][0] < 5, (
        f"train_loss {history['train_loss'][0]:.3g} is not an average per example (about log 4 = 1.39 at first)")
    return x, y


@grades("train.train_classifier")
def check_train_classifier(epochs: int = 3, seed: int = 0) -> None:
    """History keys, lengths and averages of ``train_classifier`` on the toy data; with learning rate 0 every
    entry of every epoch is compared with stored values."""
    from hw5lib import train

    want = expected(check_train_classifier, epochs=epochs, seed=seed)
    x, y = judge_history(epochs, seed)
    # learning rate 0: the weights stay, so every entry of every epoch is known; a validation set of another
    # size than the training set shows which count each average is divided by
    valid = (x[1::3], y[1::3])
    params = classifier_input(seed + 1, hidden=10)
    np.random.seed(seed + 1)
    history = train.train_classifier(x, y, params, 2, 5, 0.0, valid=valid, progress=False)
    for key, what in (
        ("train_loss", f"the epoch's total training loss divided by the {len(x)} training examples"),
        ("train_acc", "the fraction of the training examples classified right in the epoch"),
        ("valid_loss", f"evaluate() on the validation set, divided by its {len(valid[0])} examples"),
        ("valid_acc", "the accuracy evaluate() gives on the validation set"),
    ):
        got = history.get(key, [])
        assert len(got) == 2, f"history[{key!r}] has {len(got)} entries for 2 epochs"
        close(f"history[{key!r}] with learning rate 0", got, [want[key]] * 2, f"each epoch records {what}", rtol=1e-6)


@grades("train.train_classifier")
def check_trained_network(history: dict, settings: dict) -> None:
    """Q3.1's run trains for settings['epochs'] epochs and reaches settings['target_accuracy']."""
    assert history is not None, "no history yet: run the Q3.1 training cell first"
    assert len(history["valid_acc"]) == settings["epochs"], (
        f"{len(history['valid_acc'])} epochs recorded; train for settings['epochs'] = {settings['epochs']}")
    assert history["valid_acc"][-1] >= settings["target_accuracy"], (
        f"validation accuracy {history['valid_acc'][-1]:.3f} is below {settings['target_accuracy']}: check "
        "train_epoch and train_classifier, or tune the learning rate and batch size")


def confusion_input(n: int, classes: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(true, pred, probs) of ``check_confusion_matrix``: labels, predictions right 60% of the time, and scores
    whose largest entry is the prediction."""
    rng = np.random.default_rng(seed)
    true = rng.integers(0, classes, n)
    pred = np.where(rng.uniform(size=n) < 0.6, true, rng.integers(0, classes, n))
    probs = rng.uniform(0, 0.5, (n, classes))
    probs[np.arange(n), pred] = 1.0
    return true, pred, probs


@grades("metrics.confusion_matrix")
def check_confusion_matrix(n: int = 200, classes: int = 36, seed: int = 0) -> None:
    """Counts [true, predicted] against stored counts, for one-hot rows and for indices, and for a
    ``num_classes`` larger than any label seen."""
    from hw5lib import metrics

    want = expected(check_confusion_matrix, n=n, classes=classes, seed=seed)["counts"]
    true, pred, probs = confusion_input(n, classes, seed)
    got = metrics.confusion_matrix(np.eye(classes)[true], probs, classes)
    expect_shape("the confusion matrix", got, (classes, classes), "one row and one column per class")
    if np.array_equal(got, want.T) and not np.array_equal(want, want.T):
        raise AssertionError("the confusion matrix is transposed: rows are the true classes, columns the predictions")
    assert int(np.sum(got)) == n, f"the counts add up to {np.sum(got)}, not to the {n} examples"
    close("the confusion matrix", got, want, "entry [t, p] counts examples of class t predicted as p")
    got = metrics.confusion_matrix(true, pred, classes)
    close("the confusion matrix of class indices", got, want,
          "y_true and y_pred may also be class indices: convert both with _class_indices")
    # two classes more than any label: rows and columns of classes never seen are zeros
    got = metrics.confusion_matrix(true, pred, classes + 2)
    expect_shape(f"the confusion matrix for num_classes={classes + 2}", got, (classes + 2, classes + 2),
                 "size it with num_classes, not with the largest label found")
    got = np.asarray(got)
    assert not got[classes:].any() and not got[:, classes:].any(), (
        "classes that never occur keep rows and columns of zeros")
    close(f"the confusion matrix for num_classes={classes + 2}", got[:classes, :classes], want,
          "classes that never occur keep rows and columns of zeros")


__all__ = ["check_train_classifier", "check_trained_network", "check_confusion_matrix"]
