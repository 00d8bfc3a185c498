"""Finds code that computes what a graded homework function must compute, by reading Python source as a tree.

The student release must be no answer key: no provided file may hold a backprop, an update rule, central
differences, a confusion count, a loss formula and the like as code. Release verification scans the provided
files with ``scan_files`` and refuses the release when anything is found. Every detector below reads the
syntax tree (never the text), looks for one precise shape of expression and names it in plain words; a
function that calls a function of the same file with findings is reported too.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

# ---------------------------------------------------------------- what can be found (plain words)

SIGMOID = "a sigmoid (1 / (1 + exp(-x)))"
SOFTMAX = "a softmax (exp(x) / sum(exp(x)))"
AFFINE = "a layer's affine map (X @ W + b)"
RELU = "a ReLU (np.maximum(x, 0))"
CROSS_ENTROPY = "a cross-entropy loss (-sum(y * log(probs)))"
BACKPROP = "a backward pass (X.T @ delta, delta @ W.T)"
SIGMOID_DERIVATIVE = "the sigmoid derivative (s * (1 - s))"
TANH_DERIVATIVE = "the tanh derivative (1 - tanh(x) ** 2)"
SGD_UPDATE = "an SGD update (P - learning_rate * grad)"
MOMENTUM_UPDATE = "a momentum update (M = mu * M - learning_rate * grad)"
CENTRAL_DIFFERENCES = "central differences ((f(p + eps) - f(p - eps)) / (2 * eps))"
CONFUSION_COUNTS = "confusion-matrix counts (counts[t, p] += 1)"
PSNR = "PSNR (10 * log10(peak ** 2 / mse))"

#: Computations accepted on purpose, as (path, qualified function, one of the kinds above); each entry needs a
#: comment saying why. An allowed computation is neither reported nor carried to the functions that call it.
#: Empty: the detectors are precise enough that the provided files of today's release need no waiver.
ALLOWED: frozenset[tuple[str, str, str]] = frozenset()


@dataclass(frozen=True)
class Finding:
    """One function of one file that computes (or calls code that computes) a graded computation."""

    path: str
    function: str
    what: str

    def __str__(self) -> str:
        return f"{self.path}: {self.function} {self.what}"


# ---------------------------------------------------------------- names that say what a value is

_RATE = re.compile(r"(?:^|_)(?:lr|rate|learning|step_?size)(?:_|\d|$)", re.IGNORECASE)
_GRAD = re.compile(r"(?:^|_)grad|^[dg][A-Z]\w*$|^[dg][wb]?\d*$|^g_")  # grads, grad_W, dW, db, gW, g
_MOMENTUM = re.compile(r"momentum|^mu\d*$|^beta\d*$|^gamma$", re.IGNORECASE)
_VELOCITY = re.compile(r"velocit|^vel|^v$|^v_|^m$|^M_|^M$")
_DELTA = re.compile(r"delta|^d_?(?:out|hidden|pre|post|act|z|h|a|x)(?:_\w*|\d*)$|upstream|(?:^|_)grad",
                    re.IGNORECASE)
_WEIGHT = re.compile(r"^W|^w\d*$|^w_|[Ww]eight")  # W, Wlayer1, w2, w_out, weights; not 'width' or 'words'
_BIAS = re.compile(r"^b\d*$|^b_|^b[A-Z]|^b(?:layer|output|hidden)|[Bb]ias")  # b, b1, bOut, blayer1; not 'boxes'
_EPS = re.compile(r"^(?:eps\w*|epsilon|h|dx|step|delta)$", re.IGNORECASE)
_SIGMOID_NAME = re.compile(r"^(?:s|sig|sigma|sigmoid\w*|h|hidden\w*|act|activation\w*|out|output\w*|post\w*|"
                           r"y_?hat)$")
_SIGMOID_SCOPE = re.compile(r"sigmoid|logistic|deriv|backward|backprop|grad", re.IGNORECASE)
_SIGMOID_CALLS = {"expit", "sigmoid", "logistic"}
_SPECIAL_KINDS = {"expit": SIGMOID, "softmax": SOFTMAX, "log_softmax": SOFTMAX}
_PRODUCTS = {"einsum", "dot", "matmul", "tensordot", "inner"}
_SUMS = {"sum", "mean", "nansum", "nanmean", "average"}
_LOGS = {"log", "log_softmax", "xlogy"}


# ---------------------------------------------------------------- small readers of the tree


def _dotted(node: ast.AST) -> str | None:
    """'np.add.at' for a chain of names and attributes, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _last_name(call: ast.AST) -> str:
    """The called name of a call: 'sum' for np.sum(x) and for x.sum(); '' for anything else."""
    if not isinstance(call, ast.Call):
        return ""
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return ""


def _number(node: ast.AST, *values: float) -> bool:
    """True for a numeric constant (not a bool) equal to one of ``values``."""
    return (isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
            and not isinstance(node.value, bool) and node.value in values)


def _fraction(node: ast.AST) -> bool:
    """True for a numeric constant strictly between 0 and 1 (a momentum written as a number)."""
    return (isinstance(node, ast.Constant) and isinstance(node.value, float) and 0.0 < node.value < 1.0)


def _factors(node: ast.AST) -> list[ast.AST]:
    """The operands of a chain of multiplications, a * b * c -> [a, b, c]; any other node -> [node]."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        return _factors(node.left) + _factors(node.right)
    return [node]


def _names(node: ast.AST) -> list[str]:
    """The words that name a value: x -> ['x'], self.lr -> ['lr'], W.T -> ['W'],
    params['grad_' + key] -> ['params', 'grad_'], grads[key] -> ['grads']."""
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        return _names(node.value) if node.attr == "T" else [node.attr]
    if isinstance(node, ast.Subscript):
        strings = [n.value for n in ast.walk(node.slice) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
        return _names(node.value) + strings
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("copy", "transpose"):
        return _names(node.func.value)
    return []


def _named(node: ast.AST, pattern: re.Pattern) -> bool:
    return any(pattern.search(word) for word in _names(node))


def _same(a: ast.AST, b: ast.AST) -> bool:
    return ast.unparse(a) == ast.unparse(b)


def _operands(node: ast.AST) -> list[ast.AST] | None:
    """The matrices of a matrix product (a @ b, einsum, dot, matmul), or None for anything else."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
        return [node.left, node.right]
    name = _last_name(node)
    if name not in _PRODUCTS:
        return None
    args = [a for a in node.args if not isinstance(a, ast.Starred)]
    if name == "einsum":
        args = [a for a in args if not (isinstance(a, ast.Constant) and isinstance(a.value, str))]
    elif isinstance(node.func, ast.Attribute) and _dotted(node.func.value) not in ("np", "numpy"):
        args = [node.func.value] + args  # a.dot(b)
    return args


# ---------------------------------------------------------------- one scope: a function, a class body or the module


@dataclass
class _Scope:
    name: str
    klass: str | None
    imports: dict[str, str]
    nodes: list[ast.AST] = field(default_factory=list)
    looped: set[int] = field(default_factory=set)
    bindings: dict[str, list[ast.AST]] = field(default_factory=dict)
    calls: set[str] = field(default_factory=set)
    kinds: list[str] = field(default_factory=list)

    def canonical(self, node: ast.AST) -> str:
        """The dotted name of a callee with import aliases resolved ('special.expit' -> 'scipy.special.expit')."""
        dotted = _dotted(node) or ""
        head, _, rest = dotted.partition(".")
        full = self.imports.get(head, head)
        return f"{full}.{rest}" if rest else full

    def bound_to(self, node: ast.AST, test: Callable[[ast.AST], bool], depth: int = 3) -> bool:
        """True when ``node`` is, or is a name assigned in this scope from, an expression holding a node that passes."""
        if any(test(n) for n in ast.walk(node)):
            return True
        if depth and isinstance(node, ast.Name):
            return any(self.bound_to(value, test, depth - 1) for value in self.bindings.get(node.id, ()))
        return False


def _imports(tree: ast.Module) -> dict[str, str]:
    """Local name -> dotted module path, from every import of the file."""
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    found[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    found.setdefault(head, head)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                found[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return found


def _scopes(tree: ast.Module) -> list[_Scope]:
    """Every function (qualified name), class body and the module's own code, each with its nodes."""
    imports = _imports(tree)
    scopes: list[_Scope] = []

    def qualify(scope: _Scope, name: str) -> str:
        return name if scope.name == "<module>" else f"{scope.name}.{name}"

    def visit_definition(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, scope: _Scope,
                         in_loop: bool) -> None:
        """Decorators, bases and defaults run in the enclosing scope; the body is a scope of its own."""
        outer = list(node.decorator_list)
        if isinstance(node, ast.ClassDef):
            outer += node.bases + [k.value for k in node.keywords]
            inner = _Scope(qualify(scope, node.name), qualify(scope, node.name), imports)
        else:
            outer += node.args.defaults + [d for d in node.args.kw_defaults if d is not None]
            inner = _Scope(qualify(scope, node.name), scope.klass, imports)
        for expression in outer:
            visit_node(expression, scope, in_loop)
        scopes.append(inner)
        for statement in node.body:
            visit_node(statement, inner, False)

    def visit_node(node: ast.AST, scope: _Scope, in_loop: bool) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            visit_definition(node, scope, in_loop)
            return
        scope.nodes.append(node)
        if in_loop:
            scope.looped.add(id(node))
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        scope.bindings.setdefault(name.id, []).append(node.value)
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                scope.calls.add(node.func.id)
            elif (isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
                  and node.func.value.id in ("self", "cls")):
                scope.calls.add(f"self.{node.func.attr}")
        looping = in_loop or isinstance(node, (ast.For, ast.AsyncFor, ast.While))
        for child in ast.iter_child_nodes(node):
            visit_node(child, scope, looping)

    module = _Scope("<module>", None, imports)
    scopes.append(module)
    for statement in tree.body:
        visit_node(statement, module, False)
    return scopes


# ---------------------------------------------------------------- detectors: (node, scope) -> what, or None


def _central_differences(node: ast.AST, scope: _Scope) -> str | None:
    """(f(p + eps) - f(p - eps)) / (2 * eps), (plus - minus) / (2.0 * eps): a difference over twice a step."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and isinstance(node.left, ast.BinOp)
            and isinstance(node.left.op, ast.Sub)):
        return None
    factors = _factors(node.right)
    if len(factors) != 2 or not any(_number(f, 2) for f in factors):
        return None
    step = factors[1] if _number(factors[0], 2) else factors[0]
    if _named(step, _EPS):
        return CENTRAL_DIFFERENCES
    shifted = [n for side in (node.left.left, node.left.right) for n in ast.walk(side)
               if isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Add, ast.Sub)) and _same(n.right, step)]
    return CENTRAL_DIFFERENCES if len(shifted) >= 2 else None


def _momentum_term(node: ast.AST) -> bool:
    """mu * M, momentum * velocity[key], 0.9 * M_W: the decayed accumulator of a momentum update."""
    factors = _factors(node)
    if len(factors) < 2:
        return False
    if any(_named(f, _MOMENTUM) for f in factors):
        return True
    return any(_fraction(f) for f in factors) and any(_named(f, _VELOCITY) for f in factors)


def _rate_times_gradient(node: ast.AST, need_gradient: bool = True) -> bool:
    """learning_rate * grad, lr * params['grad_' + key], rate * grads[key]."""
    factors = _factors(node)
    return (len(factors) >= 2 and any(_named(f, _RATE) for f in factors)
            and (not need_gradient or any(_named(f, _GRAD) for f in factors)))


def _gradient_step(node: ast.AST, scope: _Scope) -> str | None:
    """P - learning_rate * grad, P -= lr * grad (an SGD step), or mu * M - lr * grad (a momentum step)."""
    if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Sub):
        return SGD_UPDATE if _rate_times_gradient(node.value) else None
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub)):
        return None
    if _momentum_term(node.left) and _rate_times_gradient(node.right, need_gradient=False):
        return MOMENTUM_UPDATE
    return SGD_UPDATE if _rate_times_gradient(node.right) else None


def _sigmoid_like(node: ast.AST) -> bool:
    return _last_name(node) in _SIGMOID_CALLS or _written_sigmoid(node)


def _sigmoid_derivative(node: ast.AST, scope: _Scope) -> str | None:
    """s * (1 - s) where s is a sigmoid's output (by where it comes from, its name, or the code around it)."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)):
        return None
    factors = _factors(node)
    for i, f in enumerate(factors):
        if not (isinstance(f, ast.BinOp) and isinstance(f.op, ast.Sub) and _number(f.left, 1)):
            continue
        s = f.right
        if not any(_same(s, g) for j, g in enumerate(factors) if j != i):
            continue
        others = [g for g in factors if g is not f and not _same(g, s)]
        if (scope.bound_to(s, _sigmoid_like) or _named(s, _SIGMOID_NAME)
                or _SIGMOID_SCOPE.search(scope.name.rsplit(".", 1)[-1])
                or any(_named(g, _DELTA) or _operands(g) is not None for g in others)):
            return SIGMOID_DERIVATIVE
    return None


def _tanh_like(node: ast.AST) -> bool:
    return "tanh" in _last_name(node)


def _tanh_derivative(node: ast.AST, scope: _Scope) -> str | None:
    """1 - np.tanh(x) ** 2, or 1 - t * t / 1 - np.square(t) with t a tanh."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub) and _number(node.left, 1)):
        return None
    square = node.right
    if isinstance(square, ast.BinOp) and isinstance(square.op, ast.Pow) and _number(square.right, 2):
        base = square.left
    elif isinstance(square, ast.BinOp) and isinstance(square.op, ast.Mult) and _same(square.left, square.right):
        base = square.left
    elif _last_name(square) == "square" and len(square.args) == 1:
        base = square.args[0]
    else:
        return None
    return TANH_DERIVATIVE if scope.bound_to(base, _tanh_like) else None


def _confusion_counts(node: ast.AST, scope: _Scope) -> str | None:
    """np.add.at(counts, (t, p), 1); counts[t, p] += 1 in a loop; np.bincount(t * k + p, minlength=k * k)."""
    if isinstance(node, ast.Call):
        name = scope.canonical(node.func)
        if (name.endswith("add.at") and len(node.args) == 3 and isinstance(node.args[1], ast.Tuple)
                and len(node.args[1].elts) == 2 and _number(node.args[2], 1)):
            return CONFUSION_COUNTS
        if _last_name(node) == "bincount" and node.args:
            index = node.args[0]
            if (isinstance(index, ast.BinOp) and isinstance(index.op, ast.Add)
                    and isinstance(index.left, ast.BinOp) and isinstance(index.left.op, ast.Mult)
                    and any(k.arg == "minlength" for k in node.keywords)):
                return CONFUSION_COUNTS
        return None
    if (isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add) and _number(node.value, 1)
            and isinstance(node.target, ast.Subscript) and isinstance(node.target.slice, ast.Tuple)
            and len(node.target.slice.elts) == 2 and id(node) in scope.looped):
        return CONFUSION_COUNTS
    return None


def _psnr(node: ast.AST, scope: _Scope) -> str | None:
    """10 * np.log10(...) or 20 * np.log10(...): a ratio in decibels."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)):
        return None
    factors = _factors(node)
    if any(_number(f, 10, 20) for f in factors) and any(_last_name(f) == "log10" for f in factors):
        return PSNR
    return None


def _summed_log(node: ast.AST) -> bool:
    """A sum or mean (np.sum(...), x.sum(), sum(...)) over something holding a log."""
    return any(_last_name(n) in _SUMS and any(_last_name(m) in _LOGS for m in ast.walk(n) if m is not n)
               for n in ast.walk(node))


def _negated_log(node: ast.AST) -> bool:
    """-log(...) or -y * log(...) inside an expression."""
    for n in ast.walk(node):
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub) and any(
                _last_name(m) in _LOGS for m in ast.walk(n.operand)):
            return True
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult):
            factors = _factors(n)
            if any(isinstance(f, ast.UnaryOp) and isinstance(f.op, ast.USub) for f in factors) and any(
                    _last_name(m) in _LOGS for f in factors for m in ast.walk(f)):
                return True
    return False


def _cross_entropy(node: ast.AST, scope: _Scope) -> str | None:
    """-np.sum(y * np.log(p)), -np.log(p[...]).sum(), np.mean(-np.log(p[...]))."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and _summed_log(node.operand):
        return CROSS_ENTROPY
    if _last_name(node) in _SUMS and _negated_log(node):
        return CROSS_ENTROPY
    return None


def _written_sigmoid(node: ast.AST, scope: _Scope | None = None) -> bool:
    """1 / (1 + np.exp(-x)), or np.exp(x) / (1 + np.exp(x)); with a scope, exp may be a name bound to one."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)):
        return False
    den = node.right
    if not (isinstance(den, ast.BinOp) and isinstance(den.op, ast.Add)):
        return False
    one, other = (den.left, den.right) if _number(den.left, 1) else (den.right, den.left)
    if not _number(one, 1):
        return False

    def is_exp(n: ast.AST) -> bool:
        return _last_name(n) == "exp" if scope is None else scope.bound_to(n, lambda m: _last_name(m) == "exp", 2)

    if _number(node.left, 1):
        return is_exp(other)
    return _last_name(node.left) == "exp" and _same(node.left, other)


def _activation(node: ast.AST, scope: _Scope) -> str | None:
    """scipy.special's expit / softmax, a written-out sigmoid, or exp(x) / sum(exp(x))."""
    if isinstance(node, ast.Call):
        name = scope.canonical(node.func)
        head, _, last = name.rpartition(".")
        if last in _SPECIAL_KINDS and (head == "scipy.special" or head.endswith("special")):
            return _SPECIAL_KINDS[last]
        return None
    if _written_sigmoid(node, scope):
        return SIGMOID
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and _last_name(node.right) in ("sum", "nansum"):
        if scope.bound_to(node.left, lambda m: _last_name(m) == "exp", 2) and (
                any(_same(n, node.left) for n in ast.walk(node.right))
                or any(_last_name(n) == "exp" for n in ast.walk(node.right))):
            return SOFTMAX
    return None


def _affine(node: ast.AST, scope: _Scope) -> str | None:
    """X @ W + b, np.dot(X, W) + b, np.einsum('ni,io->no', X, params['W' + name]) + params['b' + name]."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)):
        return None
    for product, other in ((node.left, node.right), (node.right, node.left)):
        operands = _operands(product)
        if operands and (any(_named(o, _WEIGHT) for o in operands) or _named(other, _BIAS)):
            return AFFINE
    return None


def _backprop(node: ast.AST, scope: _Scope) -> str | None:
    """A matrix product with a delta (X.T @ delta, delta @ W.T, einsum(..., d_out, ...)), or delta * (pre > 0)."""
    operands = _operands(node)
    if operands and any(_named(o, _DELTA) for o in operands):
        return BACKPROP
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        factors = _factors(node)
        if any(_named(f, _DELTA) for f in factors) and any(
                isinstance(f, ast.Compare) and len(f.ops) == 1 and isinstance(f.ops[0], (ast.Gt, ast.GtE))
                and _number(f.comparators[0], 0) for f in factors):
            return BACKPROP
    return None


def _relu(node: ast.AST, scope: _Scope) -> str | None:
    """np.maximum(x, 0), np.clip(x, 0, None), np.where(x > 0, x, 0), x * (x > 0)."""
    name = _last_name(node)
    if name in ("maximum", "fmax") and len(node.args) == 2 and any(_number(a, 0) for a in node.args):
        return RELU
    if name == "clip" and len(node.args) >= 2 and _number(node.args[1], 0) and (
            (len(node.args) == 3 and isinstance(node.args[2], ast.Constant) and node.args[2].value is None)
            or (len(node.args) == 2 and not node.keywords)):
        return RELU
    if name == "where" and len(node.args) == 3 and _number(node.args[2], 0):
        test = node.args[0]
        if (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Gt)
                and _number(test.comparators[0], 0) and _same(test.left, node.args[1])):
            return RELU
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        for a, b in ((node.left, node.right), (node.right, node.left)):
            if (isinstance(b, ast.Compare) and len(b.ops) == 1 and isinstance(b.ops[0], ast.Gt)
                    and _number(b.comparators[0], 0) and _same(b.left, a)):
                return RELU
    return None


DETECTORS: tuple[Callable[[ast.AST, _Scope], str | None], ...] = (
    _central_differences, _gradient_step, _sigmoid_derivative, _tanh_derivative, _confusion_counts, _psnr,
    _cross_entropy, _activation, _affine, _backprop, _relu,
)


# ---------------------------------------------------------------- scanning


def _resolve(scope: _Scope, called: str, by_name: dict[str, _Scope]) -> _Scope | None:
    """The function of the same file a call names: a nested function first, then a method, then a module function."""
    if called.startswith("self."):
        method = called[5:]
        return by_name.get(f"{scope.klass}.{method}") if scope.klass else None
    prefix = scope.name
    while prefix and prefix != "<module>":
        found = by_name.get(f"{prefix}.{called}")
        if found is not None:
            return found
        prefix = prefix.rpartition(".")[0]
    return by_name.get(called)


def scan_source(text: str, path: str) -> list[Finding]:
    """Every (function, computation) of ``text`` that a graded function must compute; ``path`` names the file.

    Functions have qualified names (``Class.method``, ``outer.inner``); module-level code is ``<module>``.
    A function that calls (by bare name or ``self.name``) a function of the same file with findings is
    reported as well, once per function called, through any depth of such calls. Text that does not parse
    raises SyntaxError: a file that cannot be read cannot be shown to be no answer key.
    """
    tree = ast.parse(text, filename=path)
    scopes = _scopes(tree)
    by_name = {s.name: s for s in scopes}
    for scope in scopes:
        for node in scope.nodes:
            for detector in DETECTORS:
                kind = detector(node, scope)
                if kind and kind not in scope.kinds and (path, scope.name, kind) not in ALLOWED:
                    scope.kinds.append(kind)

    # what each function reaches through the functions of this file it calls, at any depth (a fixed point)
    callees: dict[str, list[_Scope]] = {}
    for scope in scopes:
        targets = (_resolve(scope, called, by_name) for called in sorted(scope.calls))
        named = {t.name: t for t in targets if t is not None and t is not scope}
        callees[scope.name] = list(named.values())
    reached: dict[str, list[str]] = {s.name: [] for s in scopes}
    changed = True
    while changed:
        changed = False
        for scope in scopes:
            for target in callees[scope.name]:
                for kind in target.kinds + reached[target.name]:
                    if kind not in reached[scope.name]:
                        reached[scope.name].append(kind)
                        changed = True

    findings: list[Finding] = []
    for scope in scopes:
        for kind in scope.kinds:
            findings.append(Finding(path, scope.name, f"computes {kind}"))
        for target in callees[scope.name]:
            own = target.kinds
            deeper = [k for k in reached[target.name] if k not in own]
            if not own and not deeper:
                continue
            what = f"calls {target.name}, which"
            if own:
                what += f" computes {', '.join(own)}"
            if deeper:
                what += f"{' and' if own else ''}, through the functions it calls, {'' if own else 'computes '}"
                what += ", ".join(deeper)
            findings.append(Finding(path, scope.name, what))
    return findings


def scan_files(root: Path, relative_paths: Iterable[str]) -> list[Finding]:
    """The findings of every file ``root / path`` (paths given relative to ``root``, reported as given)."""
    findings: list[Finding] = []
    for rel in relative_paths:
        findings += scan_source((Path(root) / rel).read_text(encoding="utf-8"), str(rel))
    return findings
