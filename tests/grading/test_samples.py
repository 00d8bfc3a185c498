"""Planted bugs cost their own question only, alternative solutions score full marks (the trusted grader alone).

``grading.selftest.forecast`` runs the trusted grader (every grade cell of the source notebooks, hidden tests included,
the submission sandboxed) without nbgrader's notebook run. So are the attacks and hostile samples that act in the
function server alone, and the warnings and prints of a noisy alternative; the hostile samples that act in one
notebook run are in test_notebooks_alone.py; the full autograding of a few samples, the other hostile samples and the
attacks that reach past the function server is in test_autograde.py, the full sweep in `make sweep`.
"""

import pytest

from grading.course.paths import ASSIGNMENT
from grading.course.points import question_of
from grading.grader import trusted
from grading.grader.limits import Limits
from grading.sandbox import bwrap
from grading.selftest import forecast, samples
from whole_flow import HOSTILE_IN_THE_CODE_AND_NOTEBOOKS, HOSTILE_IN_THE_GRADER, LIMITS


def test_there_are_enough_samples_of_each_kind():
    assert len(samples.PLANTED) >= 12 and len(samples.ALTERNATIVES) >= 3 and len(samples.HOSTILE) >= 5
    assert len(samples.ATTACKS) >= 8
    assert len({bug.loses for bug in samples.PLANTED}) >= 10  # spread over the handout's questions


@pytest.fixture(scope="module")
def forecasts(released_course):
    names = [s.name for s in samples.PLANTED + samples.ALTERNATIVES]
    return forecast.selftest(released_course, names, jobs=2, narrow=True)  # `make sweep` grades every question


@pytest.mark.parametrize("name", [s.name for s in samples.PLANTED])
def test_a_planted_bug_loses_its_own_question_and_only_that(forecasts, name):
    lost, expected, failures = forecasts[name]
    assert lost == expected, failures


@pytest.mark.parametrize("name", [s.name for s in samples.ALTERNATIVES])
def test_a_differently_written_solution_scores_full_marks(forecasts, name):
    lost, _, failures = forecasts[name]
    assert lost == set(), failures


def test_warnings_and_prints_cost_nothing_and_the_feedback_names_them(released_course, tmp_path):
    """The noisy alternative's whole verdict: its warnings and prints are collected by the trusted grader, cost
    nothing, and the student's summary page names them with what to use instead."""
    import json

    from grading.batch.submission import read_verdict
    from grading.feedback.pages import summary_html
    from grading.grader.result import Result

    folder = samples.write_sample(released_course / "source" / ASSIGNMENT, samples.SAMPLES["alternative_noisy"],
                                  tmp_path / "alternative_noisy" / ASSIGNMENT)
    (tmp_path / "verdict.json").write_text(json.dumps(forecast.verdict(released_course, folder)))
    result = Result(student="alternative_noisy", fingerprint="")
    read_verdict(released_course, tmp_path, tmp_path / "verdict.json", result)
    assert result.total == 77 and result.failed_cells == {} and result.reasons == [], result.reasons
    kinds = " ".join(result.warnings)
    assert "FutureWarning" in kinds and "binary_closing" in kinds and "DeprecationWarning" in kinds
    assert any("sigmoid of" in line for line in result.printed)
    page = summary_html(result)
    assert "skimage.morphology.closing" in page and "77 of 77" in page  # what to use instead, from the warning


@pytest.fixture(scope="module")
def hostile_forecasts(released_course):
    """The hostile samples that act in a function the trusted grader calls, with a short cell timeout and the whole
    flow's disk limit (what exiting at import and filling the disk cost in the notebook run is in
    test_notebooks_alone.py)."""
    limits = Limits(cell_timeout=10, submission_seconds=300, memory_gb=4, disk_gb=LIMITS.disk_gb)
    names = HOSTILE_IN_THE_GRADER + HOSTILE_IN_THE_CODE_AND_NOTEBOOKS
    return forecast.selftest(released_course, names, jobs=2, narrow=True, limits=limits)


@pytest.mark.skipif(bwrap.bubblewrap_problem() is not None, reason="the memory limit needs the sandbox")
def test_an_endless_loop_costs_the_cells_that_call_it(hostile_forecasts):
    lost, expected, failures = hostile_forecasts["hostile_endless_loop"]
    assert lost == expected == {"Q4.3.2"}, failures
    assert "psnr did not return in the time allowed" in failures["q4_3_2_psnr"]


@pytest.mark.skipif(bwrap.bubblewrap_problem() is not None, reason="the memory limit needs the sandbox")
def test_a_huge_allocation_is_stopped_by_the_memory_limit(hostile_forecasts):
    lost, expected, failures = hostile_forecasts["hostile_huge_allocation"]
    assert lost == expected == {"Q3.4"}, failures
    assert "MemoryError" in failures["q3_4_confusion_matrix"]


@pytest.mark.skipif(bwrap.bubblewrap_problem() is not None, reason="the grader's worker is sandboxed")
def test_exiting_the_interpreter_at_import_costs_the_questions_of_that_module(hostile_forecasts):
    lost, expected, failures = hostile_forecasts["hostile_exit_at_import"]
    assert lost == expected == {"Q1.4", "Q1.6"}, failures


@pytest.mark.skipif(bwrap.bubblewrap_problem() is not None, reason="the disk limit needs the sandbox")
def test_writing_past_the_disk_limit_costs_the_cells_that_wrote_and_is_named(hostile_forecasts):
    lost, expected, failures = hostile_forecasts["hostile_disk_filler"]
    assert lost == expected == {"Q4.3.2"}, failures
    assert "wrote more than 256 MiB: the disk limit" in failures["q4_3_2_psnr"]


WORKER_ATTACKS = ["attack_patches_checker_at_import", "attack_patches_numpy_at_import", "attack_finds_the_reference",
                  "attack_reads_hidden_tests", "attack_borrows_the_checker"]


@pytest.fixture(scope="module")
def attack_verdicts(released_course, tmp_path_factory):
    """The trusted grader's verdicts on the attacks that act in the function server alone (sandboxed where possible).
    Those made from the reference are graded on the questions their edits can reach, as the planted bugs are (the
    questions where they could gain, and where they act): the others hold the reference's code."""
    from concurrent.futures import ThreadPoolExecutor

    def one(name):
        sample = samples.SAMPLES[name]
        folder = samples.write_sample(released_course / "source" / ASSIGNMENT, sample,
                                      tmp_path_factory.mktemp(name) / ASSIGNMENT)
        reached = forecast.questions_reached(released_course, sample) if sample.base == "reference" else None
        return name, forecast.verdict(released_course, folder, questions=reached or ())

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, WORKER_ATTACKS))


@pytest.mark.skipif(bwrap.bubblewrap_problem() is not None, reason="attacks are graded in the sandbox")
@pytest.mark.parametrize("attack", WORKER_ATTACKS)
def test_an_attack_in_the_worker_gains_nothing_and_is_named(attack_verdicts, attack):
    sample, outcome = samples.SAMPLES[attack], attack_verdicts[attack]
    lost = forecast.lost_questions(outcome["cells"])
    if sample.loses == ("*",):
        assert all(outcome["cells"].values()), "a blank attack passed a grade cell"
    else:
        assert lost == set(sample.loses), outcome["cells"]
    for words in sample.expected_stopped():
        assert any(words in line for line in outcome["stopped"]), (words, outcome["stopped"])


def test_the_returned_gradient_of_backwards_is_checked(forecasts):
    lost, _, failures = forecasts["grad_X_without_derivative"]
    assert lost == {"Q2.3"} and "X (relative error" in failures["q2_3_backwards"]


def test_the_reference_hunt_is_a_real_attack(released_course, tmp_path):
    """Unsandboxed, the attack finds the course's reference solutions and takes the points of the three questions
    it left blank (sandboxed it loses them: test_an_attack_in_the_worker_gains_nothing_and_is_named)."""
    sample = samples.SAMPLES["attack_finds_the_reference"]
    folder = samples.write_sample(released_course / "source" / ASSIGNMENT, sample, tmp_path / ASSIGNMENT)
    outcome = forecast.preview(released_course, folder, sandboxed=False, questions=sample.loses)
    assert {question_of(gid) for gid in outcome} == set(sample.loses)  # those questions' cells only
    assert forecast.lost_questions(outcome) == set()


def test_failure_messages_name_the_mistake(forecasts):
    assert "sum over the batch" in forecasts["grad_b_not_summed"][2]["q2_3_backwards"]
    assert "subtract each row's maximum" in forecasts["softmax_without_shift"][2]["q2_2_2_softmax"]
    assert "peak of 255" in forecasts["psnr_peak_255"][2]["q4_3_2_psnr"]
    assert "transposed" in forecasts["confusion_transposed"][2]["q3_4_confusion_matrix"]


def test_an_edit_that_no_longer_matches_the_reference_is_reported(tmp_path, released_course):
    broken = samples.Sample("stale", "planted", ("Q2.3",), (("hw5lib/nn.py", "no such line", "x"),), "stale")
    with pytest.raises(ValueError, match="update grading/selftest/samples.py"):
        samples.write_sample(released_course / "source" / ASSIGNMENT, broken, tmp_path / "stale")


def test_a_rewrite_replaces_only_the_named_solution():
    text = "def f(x):\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n\n\ndef g(x):\n    ### BEGIN SOLUTION\n    return 2\n    ### END SOLUTION\n"
    out = samples._replace_solution(text, "def g(", "y = x\nreturn y", where="test")
    assert "return 1" in out and "return 2" not in out and "    y = x\n    return y\n    ### END SOLUTION" in out


def test_a_question_the_notebooks_do_not_grade_is_named(tmp_path):
    from grading.course.paths import PROJECT_ROOT

    with pytest.raises(ValueError, match=r"no grade cell belongs to Q9\.9; the graded questions are .*Q2\.3"):
        trusted.grade(PROJECT_ROOT / "notebooks", tmp_path, Limits(), questions={"Q9.9", "Q2.3"})


@pytest.mark.skipif(bwrap.bubblewrap_problem() is not None, reason="attacks are graded in the sandbox")
def test_a_checker_that_calls_the_courses_own_is_refused_with_the_reason(attack_verdicts):
    cells = attack_verdicts["attack_borrows_the_checker"]["cells"]
    assert "calls the course's gradient checker" in cells["q2_5_gradcheck"] and "your own central" in cells["q2_5_gradcheck"]
