"""Which submissions look alike: pairs for a person to look at, never a verdict.

``similarity_report(root)`` compares the student-fillable files of every submission in ``submitted/`` with those
of every other, with the instructor's reference (``source/hw5``, marked *reference*) and, if given, with an archive
of earlier years' submissions. The reference and the archive are compared with the current submissions only,
never with each other. It writes, in the course folder:

  - ``similarity.csv``: one row per pair at or above the threshold: the two ids, the overall score, the score of
    each student file and the number of matched lines on each side;
  - ``similarity.html``: the pairs ranked, each linked to ``similarity/pair-NNNN.html``, a side-by-side view of the
    files with their matched regions marked. The pages hold no script and carry a Content-Security-Policy that
    lets nothing run; every character of a submission is HTML-escaped.

The comparison is copydetect's (MOSS's k-gram fingerprints, https://pypi.org/project/copydetect/): its lexer turns
each file into tokens and replaces every name by ``V``, function names by ``F`` and strings by ``S``, and drops
whitespace and comments, so renaming variables, reordering functions, changing comments or spacing does not hide a
copy. Each run of ``K`` filtered characters is one fingerprint. Fingerprints of the release's copy of the student
files (signatures, docstrings, given code, the ``raise NotImplementedError`` stubs) are boilerplate and removed:
only what students wrote counts, and a blank submission has no fingerprint at all.

For a pair (a, b), a's *side* is the share of a's own code (the filtered characters that no boilerplate fingerprint
covers) that is covered by fingerprints b has too: copydetect's ``compare_files`` score, counted on own characters
only, so that a fingerprint straddling given and written code does not count the given part. The pair's score is
the larger of the two sides (a small copy inside a large submission counts in full for the small one), over all
student files together, and per file in the CSV. A pair that shares fewer than ``MIN_SHARED`` characters on either
side scores 0: a line or two that every solution writes alike, or a nearly blank submission, is never a match.

copydetect's own driver compares file with file in Python loops, too slow for every pair of a large class
(benchmarks/README.md), and its report loads Bootstrap's scripts from a CDN; here its lexer and fingerprints are
kept, the scores are computed for all pairs at once with NumPy (without boilerplate, the same numbers as
``compare_files``: a test checks it), the lexing is spread over processes, and the pages hold no script.
"""

from __future__ import annotations

import csv
import functools
import html
import io
import multiprocessing
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from grading.course.paths import ASSIGNMENT, ignored, student_files

K = 25  # characters of filtered code per fingerprint: copydetect's noise threshold (and guarantee: no winnowing skip)
MIN_SHARED = 100  # filtered characters (about five lines) a pair must share on each side to score above 0
DEFAULT_THRESHOLD = 0.4  # pairs scoring at least this are written to the CSV and the HTML
HTML_PAIRS = 200  # the report's pages show at most this many pairs (the CSV has them all)
MAX_FILE_BYTES = 200_000  # past this a student file is read only this far (the largest reference file: 9 kB)
BLOCK_CELLS = 20_000_000  # characters x partners counted at a time (about 100 MB of working arrays)
CONTEXT_LINES = 3  # lines kept around each matched region on a pair's page
SERIAL_TEXTS = 64  # fewer distinct texts than this are lexed in this process (no worker processes)

REFERENCE, ARCHIVE, SUBMISSION = "reference", "archive", "submission"
CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
ABOUT = ("Pairs to look at, not a verdict: a high score says that two submissions share much of their own code "
         "once names, comments and spacing are set aside. Code that the handout leads everyone to write alike, "
         "help that the course allows, or a common source can explain it; read both sides before drawing any "
         "conclusion.")
SUBMITTED = "submitted"
CSV_NAME, HTML_NAME, PAGES_FOLDER = "similarity.csv", "similarity.html", "similarity"


@dataclass(frozen=True)
class Pair:
    """One pair of the report: ``id_a`` is always a current submission; ``kind_b`` says what ``id_b`` is."""

    id_a: str
    id_b: str
    kind_b: str  # SUBMISSION, REFERENCE or ARCHIVE
    score: float  # max(score_a, score_b), or 0 when the two share fewer than MIN_SHARED characters
    score_a: float  # share of a's own code matched in b
    score_b: float  # share of b's own code matched in a
    files: dict[str, float | None]  # per student file: the same score for that file alone (None: no own code)
    lines_a: int  # lines of a's student files in matched regions
    lines_b: int
    shared: int  # matched filtered characters, the smaller of the two sides
    page: Path | None = None  # the side-by-side page, for the pairs the HTML shows

    @property
    def label_b(self) -> str:
        return self.id_b if self.kind_b == SUBMISSION else f"{self.id_b} ({self.kind_b})"


@dataclass
class Summary:
    """What ``similarity_report`` found and wrote: the pairs at or above the threshold, best first."""

    pairs: list[Pair]
    csv_path: Path
    html_path: Path
    submissions: int
    compared: int  # pairs compared (submission-submission, -reference, -archive)
    threshold: float
    notes: list[str] = field(default_factory=list)
    about: str = ABOUT

    def __str__(self) -> str:
        lines = [self.about, f"compared {self.submissions} submission(s): {self.compared} pair(s); "
                 f"{len(self.pairs)} at or above {self.threshold:.0%}"]
        lines += [f"  {p.score:6.1%}  {p.id_a}  ~  {p.label_b}" for p in self.pairs[:10]]
        if len(self.pairs) > 10:
            lines.append(f"  ... and {len(self.pairs) - 10} more in the CSV")
        lines += [f"  note: {note}" for note in self.notes]
        lines.append(f"report: {self.html_path} (the first pairs side by side), {self.csv_path} (every pair listed)")
        return "\n".join(lines)


@dataclass
class _Entity:
    """A set of student files: a current submission, the reference or one archived submission."""

    id: str
    kind: str
    folder: Path
    texts: dict[str, str] = field(default_factory=dict)


@dataclass
class _Print:
    """One text's filtered code and its own fingerprints (boilerplate removed), position by position."""

    raw: str
    filtered: str
    offsets: np.ndarray  # copydetect's map from filtered positions to characters removed before them
    positions: np.ndarray  # sorted start positions (in the filtered code) of the kept K-grams
    hashes: np.ndarray  # their hashes, position by position
    own: np.ndarray  # per filtered character: True unless a boilerplate K-gram covers it
    coverage: int  # own characters covered by a kept K-gram: the size of the text's own code


# ---------------------------------------------------------------------------------------------- inputs


def _read(folder: Path, rel: str, notes: list[str]) -> str:
    """A student file's text ('' where there is none); a symbolic link is never followed, a huge file is cut."""
    path = folder / rel
    if path.is_symlink() or (path.exists() and not path.resolve().is_relative_to(folder.resolve())):
        notes.append(f"{path} is, or is inside, a symbolic link: not followed, compared as empty")
        return ""
    if not path.is_file():
        return ""
    with open(path, "rb") as fh:
        data = fh.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        notes.append(f"{path} is larger than {MAX_FILE_BYTES} bytes: only its beginning is compared")
        data = data[:MAX_FILE_BYTES]
    return data.decode("utf-8", errors="replace")


def _assignment_folder(folder: Path) -> Path:
    """``folder/hw5`` where it exists (the layout of submitted/ and of most archives), else ``folder`` itself."""
    inner = folder / ASSIGNMENT
    return inner if inner.is_dir() else folder


def _entities(root: Path, archive: Path | None, files: list[str], notes: list[str]) -> list[_Entity]:
    """The current submissions (sorted by id), then the reference, then the archive's submissions."""
    submitted = root / SUBMITTED
    found = sorted(p.name for p in submitted.iterdir() if (p / ASSIGNMENT).is_dir()) if submitted.is_dir() else []
    if not found:
        raise ValueError(f"no submissions in {submitted} (each is {SUBMITTED}/<student>/{ASSIGNMENT}/): collect "
                            f"them first with `python -m grading --course {root} collect EXPORT`")
    entities = [_Entity(name, SUBMISSION, submitted / name / ASSIGNMENT) for name in found]
    source = root / "source" / ASSIGNMENT
    if source.is_dir():
        entities.append(_Entity("reference", REFERENCE, source))
    else:
        notes.append(f"no reference compared: {source} is missing (`python -m grading --course {root} build` "
                     "writes it)")
    if archive is not None:
        archive = Path(archive)
        if not archive.is_dir():
            raise ValueError(f"the archive {archive} is not a folder: give a folder of <id>/{ASSIGNMENT}/ or <id>/ "
                                "folders, one per earlier submission")
        earlier = sorted(p for p in archive.iterdir() if p.is_dir() and not ignored(p.name))
        if not earlier:
            raise ValueError(f"the archive {archive} holds no submission folder: give a folder of "
                                f"<id>/{ASSIGNMENT}/ or <id>/ folders, one per earlier submission")
        entities += [_Entity(p.name, ARCHIVE, _assignment_folder(p)) for p in earlier]
    for entity in entities:
        entity.texts = {rel: _read(entity.folder, rel, notes) for rel in files}
    archived = [e for e in entities if e.kind == ARCHIVE]
    if archive is not None and not any(any(e.texts.values()) for e in archived):
        raise ValueError(f"the archive {archive} holds none of the student files ({', '.join(files)}): give a "
                            f"folder of <id>/{ASSIGNMENT}/ or <id>/ folders, one per earlier submission")
    return entities


def _boilerplate_texts(root: Path, files: list[str]) -> list[tuple[str, str]]:
    release = root / "release" / ASSIGNMENT
    missing = [rel for rel in files if not (release / rel).is_file()]
    if missing:
        raise ValueError(f"the release's student files are missing ({', '.join(str(release / m) for m in missing)})"
                            f": the release's stubs are what is never counted as similar; build it with "
                            f"`python -m grading --course {root} release`")
    return [(rel, (release / rel).read_text(errors="replace")) for rel in files]


# ---------------------------------------------------------------------------------------------- fingerprints


@functools.lru_cache(maxsize=None)
def _language(suffix: str) -> str | None:
    """Pygments' name of the language of files ending in ``suffix`` (found once: the search by name is slow)."""
    from pygments.lexers import get_lexer_for_filename
    from pygments.util import ClassNotFound

    try:
        return get_lexer_for_filename("file" + suffix).aliases[0]
    except (ClassNotFound, IndexError):
        return None


def _filter(job: tuple[str, str]) -> tuple[str, np.ndarray]:
    """copydetect's filtered code of (file name, text), and its offsets (run in worker processes)."""
    from copydetect.utils import filter_code

    name, text = job
    filtered, offsets = filter_code(text, name, _language(Path(name).suffix))
    return filtered, np.asarray(offsets, dtype=np.int64).reshape(-1, 2)


def _filter_all(jobs: list[tuple[str, str]], progress: bool, workers: int | None) -> list[tuple[str, np.ndarray]]:
    from tqdm.auto import tqdm

    bar = tqdm(total=len(jobs), desc="similarity: reading", unit="file", disable=not progress)
    workers = min(workers or os.cpu_count() or 1, 8)
    try:
        if workers < 2 or len(jobs) < SERIAL_TEXTS:
            out = []
            for job in jobs:
                out.append(_filter(job))
                bar.update()
            return out
        # spawn: no fork of a process that may hold threads (a Dask client); the hashes are taken here, so the
        # workers' hash seeds do not matter
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            out = []
            for result in pool.imap(_filter, jobs, chunksize=8):
                out.append(result)
                bar.update()
            return out
    finally:
        bar.close()


def _kgram_hashes(filtered: str) -> np.ndarray:
    from copydetect.utils import hashed_kgrams

    return np.asarray(hashed_kgrams(filtered, K), dtype=np.int64).reshape(-1)


def _spread(starts: np.ndarray, length: int) -> np.ndarray:
    """Per character of a text of ``length``: covered by a K-gram starting at one of ``starts``."""
    edges = np.zeros(length + K + 1, np.int32)
    np.add.at(edges, starts, 1)
    np.add.at(edges, starts + K, -1)
    return np.cumsum(edges)[:length] > 0


def _fingerprint(raw: str, filtered: str, offsets: np.ndarray, boilerplate: np.ndarray) -> _Print:
    """The K-grams of ``filtered`` that are not boilerplate, and which characters are the text's own: those no
    boilerplate K-gram covers. A K-gram that crosses from given code into a student's (or joins two pieces of
    given code in a new order) is kept, but counts only for the characters of it that are the student's."""
    hashes = _kgram_hashes(filtered)
    given = np.isin(hashes, boilerplate) if len(boilerplate) else np.zeros(len(hashes), bool)
    positions = np.flatnonzero(~given)
    own = ~_spread(np.flatnonzero(given), len(filtered))
    coverage = int((_spread(positions, len(filtered)) & own).sum())
    return _Print(raw, filtered, offsets, positions, hashes[positions], own, coverage)


def _raw_index(p: _Print, filtered_positions: np.ndarray) -> np.ndarray:
    """Positions in the filtered code mapped to the raw text, as copydetect maps its slices."""
    if len(p.offsets) == 0:
        return filtered_positions
    at = np.clip(np.searchsorted(p.offsets[:, 0], filtered_positions), 0, len(p.offsets) - 1)
    return np.clip(filtered_positions + p.offsets[at, 1], 0, len(p.raw))


# ---------------------------------------------------------------------------------------------- all pairs at once


Counts = dict[tuple[int, int], int]  # (entity a, entity b) -> a number for a's side of the pair


def _match_counts(prints: list[_Print | None], partners: list[np.ndarray], line_starts: list[np.ndarray | None],
                  done: Callable[[], object] = lambda: None) -> tuple[Counts, Counts]:
    """For each entity a and each partner b of ``partners[a]``: the own characters of a's filtered code covered
    by fingerprints b has too, and the lines of a they touch; only pairs that share a fingerprint are listed.

    All partners of a at once: a matrix of a's K-gram positions by partners (True where the partner holds that
    K-gram), its running sum over positions, and a character is covered where a shared K-gram starts in the K
    positions up to it."""
    from scipy import sparse

    present = [i for i, p in enumerate(prints) if p is not None and len(p.hashes)]
    matched: Counts = {}
    lines: Counts = {}
    for _ in range(len(prints) - len(present)):
        done()  # nothing of its own to compare
    if len(present) < 2:
        for _ in present:
            done()
        return matched, lines
    every = np.concatenate([prints[i].hashes for i in present])
    unique, ids = np.unique(every, return_inverse=True)
    owner = np.repeat(present, [len(prints[i].hashes) for i in present])
    # which entities hold each distinct fingerprint: one row per fingerprint, one column per entity
    held = np.unique(ids.astype(np.int64) * len(prints) + owner)
    holders = sparse.csr_matrix((np.ones(len(held), np.int8), (held // len(prints), held % len(prints))),
                                shape=(len(unique), len(prints)))
    start = np.concatenate([[0], np.cumsum([len(prints[i].hashes) for i in present])])
    for slot, a in enumerate(present):
        done()
        cols = partners[a]
        if len(cols) == 0:
            continue
        sub = holders[ids[start[slot]:start[slot + 1]]][:, cols].tocsc()  # a's positions x partners, sparse
        touching = np.flatnonzero(sub.getnnz(axis=0))
        pos = prints[a].positions
        span = int(pos[-1] - pos[0]) + 1
        block = max(1, BLOCK_CELLS // (span + K))  # partners at a time: bounds the memory of a long file
        for first in range(0, len(touching), block):
            some = touching[first:first + block]
            _count_block(prints[a], sub[:, some].toarray() > 0, line_starts[a], cols[some], matched, lines, a)
    return matched, lines


def _count_block(p: _Print, shared: np.ndarray, line_of: np.ndarray | None, partners: np.ndarray,
                 matched: Counts, lines: Counts, a: int) -> None:
    """``_match_counts`` for one block of partners: ``shared`` is p's K-gram positions x those partners."""
    pos = p.positions
    span = int(pos[-1] - pos[0]) + 1
    starts = np.zeros((span + 1, len(partners)), np.int32)
    starts[pos - pos[0] + 1] = shared
    np.cumsum(starts, axis=0, out=starts)
    q = np.arange(span + K - 1)
    # filtered character pos[0] + q is covered when a shared K-gram starts in (q - K, q]
    covered = starts[np.minimum(q + 1, span)] > starts[np.maximum(q - K + 1, 0)]
    covered &= p.own[pos[0]:pos[0] + len(q), None]
    counts = covered.sum(axis=0)
    if line_of is not None:
        first = line_of[q]
        breaks = np.flatnonzero(np.diff(first)) + 1
        groups = np.concatenate([[0], breaks])
        per_line = np.logical_or.reduceat(covered, groups, axis=0).sum(axis=0)
    else:
        per_line = np.zeros(len(partners), int)
    for j, b in enumerate(partners.tolist()):
        if counts[j]:
            matched[(a, b)] = int(counts[j])
            lines[(a, b)] = int(per_line[j])


def _line_numbers(p: _Print) -> np.ndarray | None:
    """Line number (0-based) of each filtered character from the first kept K-gram on (None: no own code)."""
    if len(p.positions) == 0:
        return None
    q = np.arange(p.positions[0], p.positions[-1] + K)
    newlines = np.flatnonzero(np.frombuffer(p.raw.encode("utf-32-le"), dtype=np.uint32) == 10)
    return np.searchsorted(newlines, _raw_index(p, q), side="right")


def _scores(matched_a: Iterable[int], own_a: Iterable[int], matched_b: Iterable[int], own_b: Iterable[int]
            ) -> tuple[float, float, float, int]:
    ma, oa, mb, ob = sum(matched_a), sum(own_a), sum(matched_b), sum(own_b)
    score_a, score_b = (ma / oa if oa else 0.0), (mb / ob if ob else 0.0)
    shared = min(ma, mb)
    return (max(score_a, score_b) if shared >= MIN_SHARED else 0.0), score_a, score_b, shared


# ---------------------------------------------------------------------------------------------- the report


def similarity_report(root: Path, archive: Path | None = None, threshold: float = DEFAULT_THRESHOLD,
                      progress: bool = True, workers: int | None = None) -> Summary:
    """Compare every submission's student files with every other's, the reference's and the archive's; write
    ``similarity.csv`` and ``similarity.html`` (with ``similarity/pair-*.html``) in ``root``.

    ``threshold`` (0 to 1): the pairs scoring at least this are listed; 0 lists every pair compared.
    ``workers``: processes that lex the files (default: one per core).
    Raises ValueError, naming the fix, when there is no submission, no release or an unusable archive.
    """
    from tqdm.auto import tqdm

    root = Path(root)
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold {threshold!r} is not a share between 0 and 1 (e.g. {DEFAULT_THRESHOLD})")
    if not root.is_dir():
        raise ValueError(f"{root} is not a course folder: build one with `python -m grading --course {root} "
                            "release` and collect the submissions")
    notes: list[str] = []
    files = student_files()
    boilerplate_texts = _boilerplate_texts(root, files)
    entities = _entities(root, archive, files, notes)

    jobs = list(dict.fromkeys([(rel, text) for rel, text in boilerplate_texts]
                              + [(rel, e.texts[rel]) for e in entities for rel in files if e.texts[rel]]))
    filtered = dict(zip(jobs, _filter_all(jobs, progress, workers)))
    boilerplate = np.unique(np.concatenate([_kgram_hashes(filtered[job][0]) for job in boilerplate_texts]))
    prints: dict[tuple[str, str], _Print] = {job: _fingerprint(job[1], *filtered[job], boilerplate) for job in jobs}

    current = np.array([i for i, e in enumerate(entities) if e.kind == SUBMISSION])
    everyone = np.arange(len(entities))
    # current submissions meet everyone; the reference and the archive meet current submissions only
    partners = [everyone[everyone != i] if e.kind == SUBMISSION else current for i, e in enumerate(entities)]
    own = np.zeros((len(entities), len(files)), np.int64)
    per_file: list[tuple[Counts, Counts]] = []
    bar = tqdm(total=len(files) * len(entities), desc="similarity: comparing", unit="file", disable=not progress)
    try:
        for f, rel in enumerate(files):
            file_prints = [prints.get((rel, e.texts[rel])) if e.texts[rel] else None for e in entities]
            for i, p in enumerate(file_prints):
                own[i, f] = p.coverage if p is not None else 0
            lines_of = [_line_numbers(p) if p is not None else None for p in file_prints]
            per_file.append(_match_counts(file_prints, partners, lines_of, bar.update))
    finally:
        bar.close()

    pairs = []
    compared = 0
    for a in current:
        for b in partners[a]:
            if entities[b].kind == SUBMISSION and b < a:
                continue  # each pair of current submissions once
            compared += 1
            ma = [per_file[f][0].get((a, b), 0) for f in range(len(files))]
            mb = [per_file[f][0].get((b, a), 0) for f in range(len(files))]
            score, score_a, score_b, shared = _scores(ma, own[a], mb, own[b])
            if score < threshold or (threshold > 0 and score == 0):
                continue
            by_file: dict[str, float | None] = {}
            for f, rel in enumerate(files):
                if own[a, f] == 0 and own[b, f] == 0:
                    by_file[rel] = None  # neither wrote anything of its own here
                else:  # the file's two sides, the larger kept (0 with the whole pair below MIN_SHARED)
                    _, side_a, side_b, _ = _scores([ma[f]], [own[a, f]], [mb[f]], [own[b, f]])
                    by_file[rel] = max(side_a, side_b) if score > 0 else 0.0
            pairs.append(Pair(entities[a].id, entities[b].id, entities[b].kind, score, score_a, score_b, by_file,
                              sum(per_file[f][1].get((a, b), 0) for f in range(len(files))),
                              sum(per_file[f][1].get((b, a), 0) for f in range(len(files))), shared))
    pairs.sort(key=lambda p: (-p.score, -p.shared, p.id_a, p.kind_b, p.id_b))

    pages = root / PAGES_FOLDER
    pages.mkdir(exist_ok=True)
    for old in pages.glob("pair-*.html"):
        old.unlink()
    by_id = {(e.kind, e.id): e for e in entities}
    shown = [p for p in pairs if p.score > 0][:HTML_PAIRS]
    for rank, pair in enumerate(shown, start=1):
        page = pages / f"pair-{rank:04d}.html"
        a, b = by_id[(SUBMISSION, pair.id_a)], by_id[(pair.kind_b, pair.id_b)]
        sides = [(rel, prints.get((rel, a.texts[rel])), prints.get((rel, b.texts[rel]))) for rel in files]
        _write(page, _pair_page(rank, pair, sides))
        pairs[rank - 1] = replace(pair, page=page)
    if len([p for p in pairs if p.score > 0]) > HTML_PAIRS:
        notes.append(f"the HTML shows the first {HTML_PAIRS} of {len(pairs)} pairs; the CSV lists them all")
    summary = Summary(pairs, root / CSV_NAME, root / HTML_NAME, len(current), compared, threshold, notes)
    _write_csv(summary, files)
    _write(summary.html_path, _index_page(summary, files, len(entities) - len(current)))
    return summary


def _write(path: Path, text: str) -> None:
    part = path.with_name(path.name + ".part")
    part.write_text(text, encoding="utf-8")
    part.replace(path)


def _write_csv(summary: Summary, files: list[str]) -> None:
    header = ["id_a", "id_b", "kind_b", "score", "score_a", "score_b", *(f"score {rel}" for rel in files),
              "matched_lines_a", "matched_lines_b"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for p in summary.pairs:
        writer.writerow([p.id_a, p.id_b, p.kind_b, f"{p.score:.3f}", f"{p.score_a:.3f}", f"{p.score_b:.3f}",
                         *("" if p.files[rel] is None else f"{p.files[rel]:.3f}" for rel in files),
                         p.lines_a, p.lines_b])
    _write(summary.csv_path, buffer.getvalue())


# ---------------------------------------------------------------------------------------------- pages


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
p.about { background: #fff6d5; border: 1px solid #e0c060; padding: 0.6em 0.9em; max-width: 60em; }
table { border-collapse: collapse; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.kind { font-size: 0.8em; background: #e4ecf7; border-radius: 0.3em; padding: 0 0.3em; }
.sides { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1em; }
pre { background: #f7f7f7; padding: 0.5em; overflow-x: auto; font-size: 0.85em; line-height: 1.3; margin: 0; }
mark { background: #ffd08a; }
.gap { color: #888; font-style: italic; }
.ln { color: #999; user-select: none; }
"""


def _page(title: str, body: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n"
            "<meta name=\"referrer\" content=\"no-referrer\">\n"
            f"<title>{_e(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _kind(kind: str) -> str:
    return "" if kind == SUBMISSION else f' <span class="kind">{_e(kind)}</span>'


def _index_page(summary: Summary, files: list[str], others: int) -> str:
    shown = [p for p in summary.pairs if p.page is not None]
    rows = []
    for rank, p in enumerate(shown, start=1):
        link = f'<a href="{_e(PAGES_FOLDER + "/" + p.page.name)}">side by side</a>'
        rows.append(f"<tr><td class=num>{rank}</td><td>{_e(p.id_a)}</td><td>{_e(p.id_b)}{_kind(p.kind_b)}</td>"
                    f"<td class=num><b>{p.score:.0%}</b></td><td class=num>{p.score_a:.0%}</td>"
                    f"<td class=num>{p.score_b:.0%}</td>"
                    + "".join(f"<td class=num>{'' if p.files[r] is None else format(p.files[r], '.0%')}</td>"
                              for r in files)
                    + f"<td class=num>{p.lines_a} / {p.lines_b}</td><td>{link}</td></tr>")
    head = ("<tr><th>#</th><th>a</th><th>b</th><th>score</th><th>of a</th><th>of b</th>"
            + "".join(f"<th>{_e(Path(r).name)}</th>" for r in files) + "<th>matched lines a / b</th><th></th></tr>")
    notes = "".join(f"<li>{_e(n)}</li>" for n in summary.notes)
    body = (f"<h1>Similar submissions: {ASSIGNMENT}</h1>\n<p class=about>{_e(summary.about)}</p>\n"
            f"<p>{summary.submissions} submission(s) compared with each other"
            f"{' and with ' + str(others) + ' earlier or reference solution(s)' if others else ''}: "
            f"{summary.compared} pair(s), {len(summary.pairs)} scoring at least {summary.threshold:.0%}. "
            f"Below: the first {len(shown)} of them, best first, each with a side-by-side page"
            f"{'' if len(shown) == len(summary.pairs) else f' (all are in {CSV_NAME})'}. A pair's score is the "
            "larger of its two sides: the share of a's own code found in b (<i>of a</i>) and the share of b's "
            "found in a (<i>of b</i>). Code of the release (signatures, docstrings, given lines, stubs) never "
            f"counts; a pair sharing fewer than {MIN_SHARED} characters of filtered code scores 0.</p>\n"
            + (f"<ul>{notes}</ul>\n" if notes else "")
            + f"<table>\n<thead>{head}</thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>")
    return _page(f"Similar submissions: {ASSIGNMENT}", body)


def _matched_mask(mine: _Print, theirs: _Print) -> np.ndarray:
    """A boolean per character of ``mine.raw``: own code covered by a fingerprint ``theirs`` has too."""
    mask = np.zeros(len(mine.raw), bool)
    shared = np.isin(mine.hashes, theirs.hashes)
    if not shared.any():
        return mask
    covered = np.concatenate([[False], _spread(mine.positions[shared], len(mine.filtered)) & mine.own, [False]])
    edges = np.flatnonzero(np.diff(covered.astype(np.int8)))  # runs [start, end) of matched filtered characters
    starts, lasts = _raw_index(mine, edges[0::2]), _raw_index(mine, edges[1::2] - 1)
    for s, t in zip(starts, lasts):
        t += 1
        while t < len(mine.raw) and (mine.raw[t].isalnum() or mine.raw[t] == "_"):
            t += 1  # the rest of a name (one filtered character stands for all of it)
        mask[s:t] = True
    return mask


def _render(text: str, mask: np.ndarray) -> str:
    """``text`` as escaped HTML lines with numbers, matched characters in <mark>, far unmatched lines left out."""
    lines = text.splitlines(keepends=True)
    bounds = np.cumsum([0] + [len(line) for line in lines])
    running = np.concatenate([[0], np.cumsum(mask)])
    hit = np.flatnonzero(running[bounds[1:]] > running[bounds[:-1]])
    keep = np.zeros(len(lines), bool)
    for i in hit:
        keep[max(0, i - CONTEXT_LINES): i + CONTEXT_LINES + 1] = True
    out, last = [], -1
    for i in np.flatnonzero(keep).tolist():
        if i > last + 1:
            out.append(f'<span class="gap">   ... {i - last - 1} line(s) ...</span>\n')
        last = i
        body = lines[i].rstrip("\r\n")
        marks = mask[bounds[i]:bounds[i] + len(body)]
        cuts = [0, *(np.flatnonzero(marks[1:] != marks[:-1]) + 1).tolist(), len(body)]
        pieces = []
        for j, k in zip(cuts, cuts[1:]):
            if k > j:
                pieces.append(f"<mark>{_e(body[j:k])}</mark>" if marks[j] else _e(body[j:k]))
        out.append(f'<span class="ln">{i + 1:4d} </span>' + "".join(pieces) + "\n")
    if last < len(lines) - 1:
        out.append(f'<span class="gap">   ... {len(lines) - last - 1} line(s) ...</span>\n')
    return "".join(out)


def _pair_page(rank: int, pair: Pair, files: list[tuple[str, _Print | None, _Print | None]]) -> str:
    parts = [f'<p><a href="../{HTML_NAME}">all pairs</a></p>',
             f"<h1>#{rank}: {_e(pair.id_a)} and {_e(pair.id_b)}{_kind(pair.kind_b)}</h1>",
             f"<p class=about>{_e(ABOUT)}</p>",
             f"<p>score {pair.score:.0%}: {pair.score_a:.0%} of {_e(pair.id_a)}'s own code is found in "
             f"{_e(pair.id_b)}, {pair.score_b:.0%} of {_e(pair.id_b)}'s in {_e(pair.id_a)}; matched lines "
             f"{pair.lines_a} and {pair.lines_b}. Marked: the regions the two share once names, comments and spacing "
             "are set aside (code of the release is never marked on its own).</p>"]
    for rel, mine, theirs in files:
        score = pair.files.get(rel)
        if mine is None or theirs is None or not score:
            continue
        parts.append(f"<h2>{_e(rel)}: {score:.0%}</h2>\n<div class=sides>"
                     f"<div><h3>{_e(pair.id_a)}</h3><pre>{_render(mine.raw, _matched_mask(mine, theirs))}</pre></div>"
                     f"<div><h3>{_e(pair.id_b)}{_kind(pair.kind_b)}</h3>"
                     f"<pre>{_render(theirs.raw, _matched_mask(theirs, mine))}</pre></div></div>")
    return _page(f"#{rank}: {pair.id_a} and {pair.id_b}", "\n".join(parts))
