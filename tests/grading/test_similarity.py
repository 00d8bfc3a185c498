"""The similarity report on a small course made here: planted copies rank first, independent work and blank
submissions do not match, the reference and the archive meet only current submissions, the pages run nothing."""

from __future__ import annotations

import ast
import csv
import functools
import io
import re
import shutil
import textwrap
from pathlib import Path

import numpy as np
import pytest

from grading.course.paths import ASSIGNMENT, PROJECT_ROOT, student_files
from grading.course.stubs import strip_solutions
from grading.feedback import similarity
from grading.feedback.similarity import ARCHIVE, REFERENCE, SUBMISSION, similarity_report

FILES = student_files()
NN, METRICS = "hw5lib/nn.py", "hw5lib/metrics.py"

# Four students write the same five functions, each in their own way (bodies indented by fill()).
STYLES = {
    "ana": {
        (NN, "sigmoid"): "return 1.0 / (1.0 + np.exp(-x))",
        (NN, "softmax"): """
            m = np.max(x, axis=1, keepdims=True)
            e = np.exp(x - m)
            return e / e.sum(axis=1, keepdims=True)""",
        (NN, "forward"): """
            z = X @ W + b
            a = activation(z)
            params['cache_' + name] = (X, z, a)
            return a""",
        (METRICS, "psnr"): """
            mse = ((x - x_hat) ** 2).mean(axis=1)
            return 10 * np.log10(data_range ** 2 / mse)""",
        (METRICS, "confusion_matrix"): """
            m = np.zeros((num_classes, num_classes), dtype=int)
            for t, p in zip(true, pred):
                m[t, p] += 1
            return m""",
    },
    "ben": {
        (NN, "sigmoid"): """
            x = np.asarray(x, dtype=float)
            out = np.empty_like(x)
            pos = x >= 0
            out[pos] = 1 / (1 + np.exp(-x[pos]))
            ex = np.exp(x[~pos])
            out[~pos] = ex / (1 + ex)
            return out""",
        (NN, "softmax"): """
            out = np.empty_like(x, dtype=float)
            for i, row in enumerate(x):
                ex = np.exp(row - row.max())
                out[i] = ex / ex.sum()
            return out""",
        (NN, "forward"): """
            pre_act = np.dot(X, W) + b
            post_act = activation(pre_act)
            params.update({f'cache_{name}': (X, pre_act, post_act)})
            return post_act""",
        (METRICS, "psnr"): """
            values = []
            for row, row_hat in zip(x, x_hat):
                err = np.mean(np.square(row - row_hat))
                values.append(20 * np.log10(data_range) - 10 * np.log10(err))
            return np.array(values)""",
        (METRICS, "confusion_matrix"): """
            flat = np.bincount(true * num_classes + pred, minlength=num_classes ** 2)
            return flat.reshape(num_classes, num_classes)""",
    },
    "chen": {
        (NN, "sigmoid"): "return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x)))",
        (NN, "softmax"): """
            shifted = x - x.max(axis=-1)[:, None]
            exps = np.exp(shifted)
            totals = exps.sum(axis=-1)[:, None]
            return exps / totals""",
        (NN, "forward"): """
            linear_part = np.matmul(X, W)
            linear_part += b
            result = activation(linear_part)
            params["cache_%s" % name] = X, linear_part, result
            return result""",
        (METRICS, "psnr"): """
            diff = x.astype(float) - x_hat
            mse = np.einsum('ij,ij->i', diff, diff) / diff.shape[1]
            mse = np.maximum(mse, 1e-12)
            return 10.0 * np.log10((data_range * data_range) / mse)""",
        (METRICS, "confusion_matrix"): """
            cm = np.zeros((num_classes, num_classes), int)
            np.add.at(cm, (true, pred), 1)
            return cm""",
    },
    "dara": {
        (NN, "sigmoid"): """
            from scipy.special import expit
            return expit(x)""",
        (NN, "softmax"): """
            z = np.exp(x - np.amax(x, 1).reshape(-1, 1))
            return z / np.sum(z, 1).reshape(-1, 1)""",
        (NN, "forward"): """
            cache = (X, X.dot(W) + b)
            cache = cache + (activation(cache[1]),)
            params['cache_' + name] = cache
            return cache[2]""",
        (METRICS, "psnr"): """
            peak = float(data_range) ** 2
            n = x.shape[1]
            sq = np.sum((x_hat - x) * (x_hat - x), axis=1) / n
            return 10 * np.log(peak / sq) / np.log(10)""",
        (METRICS, "confusion_matrix"): """
            rows = [[np.sum((true == i) & (pred == j)) for j in range(num_classes)] for i in range(num_classes)]
            return np.array(rows)""",
    },
}

RENAMES = {"m": "top", "e": "expd", "z": "lin", "a": "act", "mse": "err2", "t": "ti", "p": "pj"}
COMMENTS = ["# vectorised", "# see the handout", "# numerically stable", "# keep the shape", "# one row each"]


@functools.lru_cache(maxsize=None)
def release_text(rel: str) -> str:
    return strip_solutions((PROJECT_ROOT / rel).read_text(), rel)


def fill(text: str, function: str, body: str) -> str:
    """``text`` (a release file) with the stub of ``function`` replaced by ``body``."""
    stub = re.compile(rf'^(?P<indent>[ \t]*)# YOUR CODE HERE\n(?P=indent)raise NotImplementedError\("write {function} '
                      r'[^\n]*\n', re.M)
    found = stub.search(text)
    assert found, f"no stub of {function}"
    body = textwrap.indent(textwrap.dedent(body).strip("\n") + "\n", found["indent"])
    return text[:found.start()] + body + text[found.end():]


def written(bodies: dict[tuple[str, str], str]) -> dict[str, str]:
    """A submission: the release with the given functions written."""
    files = {rel: release_text(rel) for rel in FILES}
    for (rel, function), body in bodies.items():
        files[rel] = fill(files[rel], function, body)
    return files


def rename(body: str) -> str:
    return re.sub(r"\b(" + "|".join(RENAMES) + r")\b", lambda m: RENAMES[m[1]], textwrap.dedent(body))


def comment(body: str) -> str:
    lines = textwrap.dedent(body).strip("\n").splitlines()
    return "\n".join(["# my own comment, changed"] + [f"{line}  {COMMENTS[i % len(COMMENTS)]}"
                                                       for i, line in enumerate(lines)])


def swap_functions(text: str, first: str, second: str) -> str:
    """``text`` with the definitions of two top-level functions (from ``def`` to their last line) swapped."""
    lines = text.splitlines(keepends=True)
    spans = {node.name: (node.lineno - 1, node.end_lineno) for node in ast.parse(text).body
             if isinstance(node, ast.FunctionDef) and node.name in (first, second)}
    (s1, e1), (s2, e2) = sorted(spans.values())
    return "".join(lines[:s1] + lines[s2:e2] + lines[e1:s2] + lines[s1:e1] + lines[e2:])


def respace(text: str) -> str:
    """The same code with its spacing changed: no spaces around operators, a blank line after each line."""
    out = []
    for line in text.splitlines():
        stripped = re.sub(r" ([=+\-*/@<>]) ", r"\1", line) if not line.lstrip().startswith(('"', "#")) else line
        out += [stripped.replace(", ", ","), ""]
    return "\n".join(out) + "\n"


def make_course(root: Path, submissions: dict[str, dict[str, str]]) -> Path:
    for rel in FILES:
        for place, text in (("release", release_text(rel)), ("source", (PROJECT_ROOT / rel).read_text())):
            path = root / place / ASSIGNMENT / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    for student, files in submissions.items():
        for rel, text in files.items():
            path = root / "submitted" / student / ASSIGNMENT / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return root


def planted() -> dict[str, dict[str, str]]:
    """Four independent students, three planted copies, two blank and two nearly blank submissions."""
    subs = {name: written(bodies) for name, bodies in STYLES.items()}
    renamed = written({key: rename(body) for key, body in STYLES["ana"].items()})
    renamed[NN] = swap_functions(renamed[NN], "sigmoid", "softmax")
    renamed[METRICS] = swap_functions(renamed[METRICS], "confusion_matrix", "psnr")
    subs["ana_renamed"] = renamed
    subs["ben_commented"] = written({key: comment(body) for key, body in STYLES["ben"].items()})
    subs["reference_respaced"] = {rel: respace((PROJECT_ROOT / rel).read_text()) for rel in FILES}
    subs["blank1"] = written({})
    subs["blank2"] = written({})
    only_sigmoid = {(NN, "sigmoid"): STYLES["ana"][(NN, "sigmoid")]}
    subs["nearly_blank1"] = written(only_sigmoid)
    subs["nearly_blank2"] = written(only_sigmoid)
    return subs


PLANTED_PAIRS = {("ana", "ana_renamed", SUBMISSION), ("ben", "ben_commented", SUBMISSION),
                 ("reference_respaced", "reference", REFERENCE)}


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    return make_course(tmp_path_factory.mktemp("similar"), planted())


@pytest.fixture(scope="module")
def everything(course):
    """Every pair compared (threshold 0)."""
    return similarity_report(course, threshold=0.0, progress=False)


def by_pair(summary) -> dict[frozenset, similarity.Pair]:
    return {frozenset((p.id_a, p.id_b)): p for p in summary.pairs}


def test_the_planted_fixtures_are_what_they_claim():
    subs = planted()
    for student, files in subs.items():
        for rel, text in files.items():
            ast.parse(text, filename=f"{student}/{rel}")  # every submission is valid Python
    assert subs["ana_renamed"][NN] != subs["ana"][NN] and "top = np.max(x" in subs["ana_renamed"][NN]
    assert subs["ana_renamed"][NN].index("def softmax(") < subs["ana_renamed"][NN].index("def sigmoid(")
    assert subs["ben_commented"][NN].count("#") > subs["ben"][NN].count("#")
    assert re.sub(r"#[^\n]*", "", subs["ben_commented"][NN]).split() == re.sub(r"#[^\n]*", "", subs["ben"][NN]).split()
    assert subs["reference_respaced"][NN] != (PROJECT_ROOT / NN).read_text()
    assert subs["reference_respaced"][NN].split() != (PROJECT_ROOT / NN).read_text().split()  # not only indentation
    stub = 'raise NotImplementedError("write '
    assert stub in subs["ana"][NN] and stub not in subs["reference_respaced"][NN] and stub in subs["blank1"][NN]
    assert subs["blank1"] == {rel: release_text(rel) for rel in FILES}


def test_the_three_planted_copies_rank_first(course):
    summary = similarity_report(course, progress=False)  # the default threshold
    top = {(p.id_a, p.id_b, p.kind_b) for p in summary.pairs[:3]}
    assert top == PLANTED_PAIRS, [(p.id_a, p.id_b, round(p.score, 3)) for p in summary.pairs[:6]]
    assert all(p.score > 0.9 for p in summary.pairs[:3])
    assert len(summary.pairs) == 3  # nothing else reaches the default threshold
    assert summary.submissions == len(planted())


def test_independent_solutions_score_low_against_each_other_and_the_reference(everything):
    pairs = by_pair(everything)
    students = list(STYLES)
    for i, a in enumerate(students):
        for b in students[i + 1:] + ["reference", "reference_respaced"]:
            pair = pairs[frozenset((a, b))]
            assert pair.score < 0.1, pair
            # what they share is a few lines every solution writes alike (a call's keyword arguments, the forward
            # pass the handout spells out): a small part of each side's own code
            assert max(pair.score_a, pair.score_b) < (0.15 if b in students else 0.4), pair
    copies = [pairs[frozenset(p[:2])] for p in PLANTED_PAIRS]
    assert min(min(p.score_a, p.score_b) for p in copies) > 0.95


def test_blank_and_nearly_blank_submissions_match_nothing(everything):
    for pair in everything.pairs:
        if {pair.id_a, pair.id_b} & {"blank1", "blank2"}:
            assert (pair.score, pair.lines_a, pair.lines_b, pair.shared) == (0.0, 0, 0, 0), pair
            blank_side = pair.score_a if pair.id_a.startswith("blank") else pair.score_b
            assert blank_side == 0.0
    nearly = by_pair(everything)[frozenset(("nearly_blank1", "nearly_blank2"))]
    assert nearly.score_a == nearly.score_b == 1.0  # the same one-line sigmoid on both sides...
    assert nearly.score == 0.0 and 0 < nearly.shared < similarity.MIN_SHARED  # ...is too little to be a match
    assert by_pair(everything)[frozenset(("blank1", "blank2"))].files == dict.fromkeys(FILES)  # no own code anywhere


def test_each_pair_is_compared_once_and_the_reference_only_with_submissions(everything):
    n = len(planted())
    assert everything.compared == n * (n - 1) // 2 + n == len(everything.pairs)  # threshold 0 lists them all
    assert all(p.kind_b in (SUBMISSION, REFERENCE) for p in everything.pairs)
    assert all(p.id_a != p.id_b for p in everything.pairs)
    assert len({frozenset((p.id_a, p.id_b, p.kind_b)) for p in everything.pairs}) == len(everything.pairs)
    scores = [p.score for p in everything.pairs]
    assert scores == sorted(scores, reverse=True)


def test_the_csv_lists_the_pairs_with_a_score_per_file_and_matched_lines(course):
    summary = similarity_report(course, threshold=0.2, progress=False)
    rows = list(csv.DictReader(io.StringIO(summary.csv_path.read_text())))
    assert summary.csv_path == course / "similarity.csv"
    assert [(r["id_a"], r["id_b"], r["kind_b"]) for r in rows] == [(p.id_a, p.id_b, p.kind_b) for p in summary.pairs]
    ben = next(r for r in rows if {r["id_a"], r["id_b"]} == {"ben", "ben_commented"})
    assert float(ben["score"]) == pytest.approx(1.0)
    assert float(ben[f"score {NN}"]) == pytest.approx(1.0) and float(ben[f"score {METRICS}"]) == pytest.approx(1.0)
    assert ben["score hw5lib/ocr.py"] == ""  # neither wrote any of ocr.py
    body_lines = sum(len(textwrap.dedent(b).strip().splitlines()) for b in STYLES["ben"].values())
    # the lines ben wrote are matched, on both sides, but for a few whose code the release has too (a bare
    # ``return x`` before a ``def``: never counted)
    assert body_lines - 3 <= int(ben["matched_lines_a"]) == int(ben["matched_lines_b"]) <= body_lines
    reference = next(r for r in rows if r["kind_b"] == REFERENCE)
    assert reference["id_b"] == "reference" and reference["id_a"] == "reference_respaced"
    assert int(reference["matched_lines_a"]) > 100 and int(reference["matched_lines_b"]) > 100


def test_the_scores_are_copydetects_compare_files():
    from copydetect import CodeFingerprint, compare_files
    from copydetect.utils import filter_code

    texts = [written(STYLES["ana"])[NN], written({k: rename(b) for k, b in STYLES["ana"].items()})[NN],
             written(STYLES["chen"])[NN]]
    prints = [similarity._fingerprint(t, *filter_code(t, NN), np.array([], np.int64)) for t in texts]
    theirs = [CodeFingerprint(NN, similarity.K, 1, fp=io.StringIO(t)) for t in texts]
    everyone = np.arange(len(texts))
    matched, _ = similarity._match_counts(prints, [everyone[everyone != i] for i in everyone], [None] * len(texts))
    for a in everyone:
        assert prints[a].coverage == theirs[a].token_coverage
        for b in everyone[everyone != a]:
            overlap, (side_a, side_b), _ = compare_files(theirs[a], theirs[b])
            assert matched.get((a, b), 0) == overlap
            assert matched.get((a, b), 0) / prints[a].coverage == pytest.approx(side_a)
            assert matched.get((b, a), 0) / prints[b].coverage == pytest.approx(side_b)
    assert 0 < matched[(0, 2)] < matched[(0, 1)]


def test_the_archive_meets_current_submissions_only(tmp_path, course):
    archive = tmp_path / "archive"
    for name, nested in (("2023-one", True), ("2023-two", False)):  # <id>/hw5/... and <id>/...
        for rel in FILES:
            path = archive / name / (ASSIGNMENT if nested else "") / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text((PROJECT_ROOT / rel).read_text())  # both the reference: alike, but never compared
    (archive / "2022-chen" / ASSIGNMENT / "hw5lib").mkdir(parents=True)
    for rel, text in written(STYLES["chen"]).items():
        (archive / "2022-chen" / ASSIGNMENT / rel).write_text(text)
    summary = similarity_report(course, archive=archive, threshold=0.0, progress=False)
    n = len(planted())
    assert summary.compared == n * (n - 1) // 2 + n * (1 + 3)
    students = set(planted())
    assert all(p.kind_b in (SUBMISSION, REFERENCE, ARCHIVE) and p.id_a in students for p in summary.pairs)
    top = {(p.id_a, p.id_b, p.kind_b) for p in summary.pairs if p.score > 0.9}
    assert top == PLANTED_PAIRS | {("reference_respaced", "2023-one", ARCHIVE), ("reference_respaced", "2023-two",
                                   ARCHIVE), ("chen", "2022-chen", ARCHIVE)}
    page = next(p for p in summary.pairs if p.id_b == "2022-chen" and p.id_a == "chen").page.read_text()
    assert "2022-chen <span class=\"kind\">archive</span>" in page
    html_text = summary.html_path.read_text()
    assert "reference</span>" in html_text and "archive</span>" in html_text


def test_the_pages_escape_student_code_and_run_nothing(tmp_path):
    hostile_id = "mallory<img src=x onerror=alert(1)>"
    copied = dict(STYLES["dara"])
    script = "# </pre><script>alert('from a submission')</script>"
    copied[(NN, "softmax")] = textwrap.dedent(copied[(NN, "softmax")]) + "\n" + script
    root = make_course(tmp_path / "course", {"dara": written(STYLES["dara"]), hostile_id: written(copied),
                                             "ana": written(STYLES["ana"])})
    summary = similarity_report(root, progress=False)
    assert [(p.id_a, p.id_b) for p in summary.pairs] == [("dara", hostile_id)]
    pages = [summary.html_path.read_text(), summary.pairs[0].page.read_text()]
    assert summary.pairs[0].page.parent == root / "similarity"
    for text in pages:
        assert re.search(r'<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
                         r"style-src 'unsafe-inline';[^\"]*\">", text)
        assert "<script" not in text.lower() and "<img" not in text.lower()
        assert "mallory&lt;img src=x onerror=alert(1)&gt;" in text
        assert "Pairs to look at, not a verdict" in text
    assert "&lt;/pre&gt;&lt;script&gt;alert(&#x27;from a submission&#x27;)&lt;/script&gt;" in pages[1]
    assert "<mark>" in pages[1]


def test_a_second_run_replaces_the_pages_of_the_first(course, tmp_path):
    copy = shutil.copytree(course, tmp_path / "course")
    stale = copy / "similarity" / "pair-0099.html"
    stale.parent.mkdir(exist_ok=True)
    stale.write_text("a page of an earlier run")
    summary = similarity_report(copy, progress=False)
    assert not stale.exists()
    assert sorted(p.name for p in (copy / "similarity").glob("pair-*.html")) == [
        f"pair-{i:04d}.html" for i in range(1, len(summary.pairs) + 1)] == [p.page.name for p in summary.pairs]
    index = summary.html_path.read_text()
    assert all(f'href="similarity/{p.page.name}"' in index for p in summary.pairs)


def test_the_lexing_in_worker_processes_gives_the_same_report(course, monkeypatch):
    serial = similarity_report(course, threshold=0.0, progress=False, workers=1)
    monkeypatch.setattr(similarity, "SERIAL_TEXTS", 0)
    parallel = similarity_report(course, threshold=0.0, progress=False, workers=2)
    assert [(p.id_a, p.id_b, p.score, p.lines_a) for p in parallel.pairs] == [
        (p.id_a, p.id_b, p.score, p.lines_a) for p in serial.pairs]


def test_bad_input_names_the_fix(tmp_path):
    no_release = tmp_path / "no-release"
    (no_release / "submitted" / "s1" / ASSIGNMENT).mkdir(parents=True)
    with pytest.raises(ValueError, match="--course .*no-release release"):
        similarity_report(no_release, progress=False)
    with pytest.raises(ValueError, match="collect"):
        similarity_report(make_course(tmp_path / "b", {}), progress=False)
    root = make_course(tmp_path / "c", {"s1": written({})})
    with pytest.raises(ValueError, match="archive"):
        similarity_report(root, archive=tmp_path / "nowhere", progress=False)
    (tmp_path / "empty-archive" / "x").mkdir(parents=True)
    with pytest.raises(ValueError, match="none of the student files"):
        similarity_report(root, archive=tmp_path / "empty-archive", progress=False)
    with pytest.raises(ValueError, match="between 0 and 1"):
        similarity_report(root, threshold=50, progress=False)


def test_a_symbolic_link_in_a_submission_is_never_followed(tmp_path):
    root = make_course(tmp_path / "course", {"ana": written(STYLES["ana"]), "eve": written({}), "mel": written({})})
    ana, eve, mel = (root / "submitted" / name / ASSIGNMENT for name in ("ana", "eve", "mel"))
    shutil.rmtree(eve / "hw5lib")
    (eve / "hw5lib").symlink_to(ana / "hw5lib", target_is_directory=True)  # ana's work through a linked folder
    for rel in (NN, METRICS):
        (mel / rel).unlink()
        (mel / rel).symlink_to(ana / rel)  # and through linked files
    summary = similarity_report(root, threshold=0.0, progress=False)
    assert {(p.id_a, p.id_b): p.score for p in summary.pairs} == {("ana", "eve"): 0.0, ("ana", "mel"): 0.0,
                                                                  ("eve", "mel"): 0.0, ("ana", "reference"): 0.0,
                                                                  ("eve", "reference"): 0.0, ("mel", "reference"): 0.0}
    linked = [note for note in summary.notes if "symbolic link" in note]
    assert len(linked) == len(FILES) + 2 and all("/eve/" in n or "/mel/" in n for n in linked)
    for rel in (NN, METRICS):
        (mel / rel).unlink()
        shutil.copy(ana / rel, mel / rel)  # the same work as files: a match
    assert [(p.id_a, p.id_b) for p in similarity_report(root, progress=False).pairs] == [("ana", "mel")]
