"""grading.course.answer_scan: the answer-key files of commit 14f0292 are caught, function by function; one snippet per
detector is caught; look-alike code is not; and every provided file of today's hw5lib scans clean."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from grading.course import answer_scan
from grading.course.paths import PROJECT_ROOT, student_files

ANSWER_KEY_COMMIT = "14f0292"


def computes(kind: str) -> str:
    return f"computes {kind}"


def found(source: str, path: str = "snippet.py") -> list[answer_scan.Finding]:
    return answer_scan.scan_source(textwrap.dedent(source), path)


def kinds(source: str) -> set[str]:
    return {f.what for f in found(source)}


# ---------------------------------------------------------------- 1. the answer key of today's history


def _old_file(rel: str) -> str:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    run = subprocess.run(["git", "-C", str(PROJECT_ROOT), "show", f"{ANSWER_KEY_COMMIT}:{rel}"],
                         capture_output=True, text=True)
    if run.returncode != 0:
        pytest.skip(f"commit {ANSWER_KEY_COMMIT} or its {rel} is not available here: {run.stderr.strip()}")
    return run.stdout


ANSWER_KEY_ROWS = [
    ("hw5lib/checks.py", "_trusted_sgd_step", computes(answer_scan.BACKPROP)),
    ("hw5lib/checks.py", "_trusted_sgd_step", computes(answer_scan.SGD_UPDATE)),
    ("hw5lib/checks.py", "_trusted_autoencoder_forward", computes(answer_scan.AFFINE)),
    ("hw5lib/checks.py", "_trusted_autoencoder_forward", computes(answer_scan.RELU)),
    ("hw5lib/checks.py", "_trusted_autoencoder_forward", computes(answer_scan.SIGMOID)),
    ("hw5lib/checks.py", "_trusted_autoencoder_gradients", computes(answer_scan.BACKPROP)),
    ("hw5lib/checks.py", "_trusted_autoencoder_run", computes(answer_scan.MOMENTUM_UPDATE)),
    ("hw5lib/checks.py", "check_momentum", computes(answer_scan.MOMENTUM_UPDATE)),
    ("hw5lib/checks.py", "_check_train_autoencoder_exactly", "calls _trusted_autoencoder_run, which computes"),
    ("hw5lib/checks.py", "_check_train_autoencoder_exactly", "calls _trusted_autoencoder_gradients, which computes"),
    ("hw5lib/checks.py", "check_confusion_matrix", computes(answer_scan.CONFUSION_COUNTS)),
    ("hw5lib/checks.py", "check_psnr", computes(answer_scan.PSNR)),
    ("hw5lib/checks.py", "check_loss_and_acc", computes(answer_scan.CROSS_ENTROPY)),
    ("hw5lib/checks.py", "check_sigmoid_derivative", computes(answer_scan.CENTRAL_DIFFERENCES)),
    ("hw5lib/checks.py", "check_tanh_derivative", computes(answer_scan.TANH_DERIVATIVE)),
    ("hw5lib/gradcheck.py", "numerical_gradient", computes(answer_scan.CENTRAL_DIFFERENCES)),
]


@pytest.fixture(scope="module")
def answer_key_findings() -> list[answer_scan.Finding]:
    findings = []
    for rel in sorted({row[0] for row in ANSWER_KEY_ROWS}):
        findings += answer_scan.scan_source(_old_file(rel), rel)
    return findings


@pytest.mark.parametrize("path, function, what", ANSWER_KEY_ROWS, ids=[f"{r[1]}: {r[2][:40]}" for r in ANSWER_KEY_ROWS])
def test_the_old_answer_key_is_found(answer_key_findings, path, function, what):
    rows = [f for f in answer_key_findings if f.path == path and f.function == function]
    assert any(f.what.startswith(what) for f in rows), f"{path}: {function} should {what}; found {rows}"


def test_the_old_answer_key_names_whom_it_calls(answer_key_findings):
    row = next(f for f in answer_key_findings if f.function == "_check_train_autoencoder_exactly"
               and f.what.startswith("calls _trusted_autoencoder_run"))
    assert answer_scan.MOMENTUM_UPDATE in row.what and answer_scan.BACKPROP in row.what  # the latter through its own call
    assert str(row).startswith("hw5lib/checks.py: _check_train_autoencoder_exactly calls _trusted_autoencoder_run")


# ---------------------------------------------------------------- 2. one snippet per detector, and look-alikes


CAUGHT = {
    "central differences": ("""
        def estimate(f, p, eps):
            return (f(p + eps) - f(p - eps)) / (2 * eps)
        """, answer_scan.CENTRAL_DIFFERENCES),
    "central differences of saved values": ("""
        def estimate(plus, minus, step):
            return (plus - minus) / (2.0 * step)
        """, answer_scan.CENTRAL_DIFFERENCES),
    "sgd step": ("""
        def step(params, key, learning_rate):
            params[key] = params[key] - learning_rate * params["grad_" + key]
        """, answer_scan.SGD_UPDATE),
    "sgd step in place": ("""
        def step(W, dW, lr):
            W -= lr * dW
        """, answer_scan.SGD_UPDATE),
    "momentum": ("""
        def step(M, P, grad, mu, lr):
            M = mu * M - lr * grad
            return P + M, M
        """, answer_scan.MOMENTUM_UPDATE),
    "sigmoid derivative": ("""
        def d(x):
            s = expit(x)
            return s * (1 - s)
        """, answer_scan.SIGMOID_DERIVATIVE),
    "sigmoid derivative in a backward chain": ("""
        def back(upstream, hidden):
            return upstream * hidden * (1.0 - hidden)
        """, answer_scan.SIGMOID_DERIVATIVE),
    "tanh derivative": ("""
        import numpy as np
        def d(x):
            return 1 - np.tanh(x) ** 2
        """, answer_scan.TANH_DERIVATIVE),
    "tanh derivative of a saved tanh": ("""
        def d(x):
            t = np.tanh(x)
            return 1.0 - t * t
        """, answer_scan.TANH_DERIVATIVE),
    "confusion counting with add.at": ("""
        import numpy as np
        def confusion(t, p, k):
            counts = np.zeros((k, k), dtype=int)
            np.add.at(counts, (t, p), 1)
            return counts
        """, answer_scan.CONFUSION_COUNTS),
    "confusion counting in a loop": ("""
        def confusion(pairs, counts):
            for t, p in pairs:
                counts[t, p] += 1
        """, answer_scan.CONFUSION_COUNTS),
    "psnr": ("""
        import numpy as np
        def psnr(peak, mse):
            return 10 * np.log10(peak**2 / mse)
        """, answer_scan.PSNR),
    "cross-entropy": ("""
        import numpy as np
        def loss(y, probs):
            return -np.sum(y * np.log(probs))
        """, answer_scan.CROSS_ENTROPY),
    "cross-entropy picked by label": ("""
        def loss(probs, labels):
            return -np.log(probs[np.arange(len(labels)), labels]).sum()
        """, answer_scan.CROSS_ENTROPY),
    "scipy softmax": ("""
        from scipy import special
        def probs(z):
            return special.softmax(z, axis=1)
        """, answer_scan.SOFTMAX),
    "scipy expit imported by name": ("""
        from scipy.special import expit as logistic
        def act(z):
            return logistic(z)
        """, answer_scan.SIGMOID),
    "written-out sigmoid": ("""
        import numpy as np
        def act(z):
            return 1 / (1 + np.exp(-z))
        """, answer_scan.SIGMOID),
    "written-out softmax": ("""
        def probs(z):
            e = np.exp(z - z.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
        """, answer_scan.SOFTMAX),
    "affine layer": ("""
        def layer(X, W, b):
            return X @ W + b
        """, answer_scan.AFFINE),
    "affine layer with einsum and params": ("""
        def layer(h, params, name):
            return np.einsum("ni,io->no", h, params["W" + name]) + params["b" + name]
        """, answer_scan.AFFINE),
    "backprop of a weight": ("""
        def grad_w(X, delta):
            return X.T @ delta
        """, answer_scan.BACKPROP),
    "backprop to the input": ("""
        def grad_x(d_out, W):
            return np.dot(d_out, W.T)
        """, answer_scan.BACKPROP),
    "backprop with einsum": ("""
        def grad_w(x, d_hidden):
            return np.einsum("ni,nh->ih", x, d_hidden)
        """, answer_scan.BACKPROP),
    "relu": ("""
        def relu(pre):
            return np.maximum(pre, 0.0)
        """, answer_scan.RELU),
}


@pytest.mark.parametrize("name", sorted(CAUGHT))
def test_each_detector_catches_its_snippet(name):
    source, kind = CAUGHT[name]
    assert computes(kind) in kinds(source), f"{name}: {found(source)}"


INNOCENT = {
    "half a mean difference": "y = np.mean(a - b) / 2",
    "a transposed image flattened": "row = x.T.reshape(-1)",
    "an empty count matrix": "counts = np.zeros((3, 3))",
    "padding to a square": """
        def pad(image, size, scale):
            h, w = image.shape
            top, left = (size - h) // 2, (size - w) // 2
            margin = (size - w) / (2 * scale)
            return np.pad(image, ((top, size - h - top), (left, size - w - left)), constant_values=1.0), margin
        """,
    "a centre between two edges": "centre = (box[0] + box[2]) / 2",
    "a quadratic Bezier curve": "points = (1 - t) ** 2 * start + 2 * (1 - t) * t * a + t ** 2 * p",
    "a PCA projection and its inverse": """
        class PCA:
            def encode(self, x):
                return (x - self.mean) @ self.components.T

            def decode(self, codes):
                return codes @ self.components + self.mean
        """,
    "a scatter matrix": "scatter = centred.T @ centred",
    "a colour to grey": "grey = rgb * alpha + (1.0 - alpha)",
    "a soft shadow": "light = light * (1 - shadow / (1 + np.exp(-edge * 25)))",
    "ink over coverage": "ink = np.maximum(ink, coverage)",
    "an image clipped to [0, 1]": "values = np.clip(values, 0.0, 1.0)",
    "a plain sum negated": "total = -np.sum(x)",
    "a histogram in one dimension": """
        for v in values:
            hist[v] += 1
        """,
    "a counter outside any loop": "grid[r, c] += 1",
    "a price with a rate": "left = price - rate * amount",
    "a log scale that is not decibels": "scale = 3 * np.log10(size)",
    "a normalised histogram": "p = counts / counts.sum()",
    "a symmetric count": "both = counts + counts.T",
    "a product with a bias-like name but no matrix product": "y = weights * x + bias",
}


@pytest.mark.parametrize("name", sorted(INNOCENT))
def test_look_alike_code_is_clean(name):
    assert found(INNOCENT[name]) == []


def test_a_caller_is_reported_through_any_depth():
    findings = found("""
        import numpy as np

        def _step(P, grad, lr):
            return P - lr * grad

        def _epoch(P, grads, lr):
            for g in grads:
                P = _step(P, g, lr)
            return P

        def run(P, grads, lr):
            return _epoch(P, grads, lr)

        def unrelated(x):
            return x + 1

        class Trainer:
            def update(self, P, grad):
                return P - self.learning_rate * grad

            def fit(self, P, grad):
                return self.update(P, grad)
        """)
    by_function = {}
    for f in findings:
        by_function.setdefault(f.function, []).append(f.what)
    assert by_function["_step"] == [computes(answer_scan.SGD_UPDATE)]
    assert by_function["_epoch"] == [f"calls _step, which computes {answer_scan.SGD_UPDATE}"]
    assert by_function["run"] == [f"calls _epoch, which, through the functions it calls, computes {answer_scan.SGD_UPDATE}"]
    assert by_function["Trainer.update"] == [computes(answer_scan.SGD_UPDATE)]
    assert by_function["Trainer.fit"] == [f"calls Trainer.update, which computes {answer_scan.SGD_UPDATE}"]
    assert "unrelated" not in by_function and "<module>" not in by_function


def test_module_level_code_and_nested_functions_have_their_own_names():
    findings = found("""
        RELU = lambda z: np.maximum(z, 0)

        def outer(y):
            def loss(p):
                return -np.sum(y * np.log(p))
            return loss
        """, path="pkg/mod.py")
    assert [str(f) for f in findings] == [
        f"pkg/mod.py: <module> computes {answer_scan.RELU}",
        f"pkg/mod.py: outer.loss computes {answer_scan.CROSS_ENTROPY}",
    ]


def test_one_finding_per_function_and_kind():
    findings = found("""
        def steps(W, b, gW, gb, lr):
            W -= lr * gW
            b -= lr * gb
            return W - lr * gW
        """)
    assert [(f.function, f.what) for f in findings] == [("steps", computes(answer_scan.SGD_UPDATE))]


# ---------------------------------------------------------------- 3. today's provided files


def provided_files(root: Path = PROJECT_ROOT) -> list[str]:
    """Every hw5lib/**/*.py a student receives as given code, but the checks being rewritten."""
    declared = set(student_files(root))
    rewritten = {"hw5lib/checks.py", "hw5lib/gradcheck.py"}
    return sorted(rel for rel in (p.relative_to(root).as_posix() for p in (root / "hw5lib").rglob("*.py"))
                  if rel not in declared and rel not in rewritten and not rel.startswith("hw5lib/checks/"))


def test_every_provided_file_scans_clean():
    files = provided_files()
    assert {"hw5lib/pca.py", "hw5lib/images.py", "hw5lib/standin/centre_lines.py"} <= set(files)
    assert not set(files) & set(student_files())
    findings = answer_scan.scan_files(PROJECT_ROOT, files)
    assert findings == [], "\n".join(map(str, findings))


# ---------------------------------------------------------------- the reference solutions, for contrast


REFERENCE_ROWS = [
    ("hw5lib/nn.py", "sigmoid", answer_scan.SIGMOID),
    ("hw5lib/nn.py", "forward", answer_scan.AFFINE),
    ("hw5lib/nn.py", "softmax", answer_scan.SOFTMAX),
    ("hw5lib/nn.py", "compute_loss_and_acc", answer_scan.CROSS_ENTROPY),
    ("hw5lib/nn.py", "backwards", answer_scan.BACKPROP),
    ("hw5lib/train.py", "train_epoch", answer_scan.SGD_UPDATE),
    ("hw5lib/train.py", "momentum_update", answer_scan.MOMENTUM_UPDATE),
    ("hw5lib/my_gradcheck.py", "numerical_gradients", answer_scan.CENTRAL_DIFFERENCES),
    ("hw5lib/metrics.py", "confusion_matrix", answer_scan.CONFUSION_COUNTS),
    ("hw5lib/metrics.py", "psnr", answer_scan.PSNR),
    ("hw5lib/theory.py", "sigmoid_derivative", answer_scan.SIGMOID_DERIVATIVE),
    ("hw5lib/theory.py", "tanh_derivative", answer_scan.TANH_DERIVATIVE),
]


def test_the_reference_solutions_are_found():
    """The student-fillable files of the source hold the reference: each graded function is named, in its file."""
    findings = answer_scan.scan_files(PROJECT_ROOT, sorted({row[0] for row in REFERENCE_ROWS}))
    got = {(f.path, f.function, f.what) for f in findings}
    missing = [row for row in REFERENCE_ROWS if (row[0], row[1], computes(row[2])) not in got]
    assert not missing, f"not found: {missing}"
