"""The main job at this stage: `hw5 demo` trains the toy net, checks gradients and writes figures."""

from hw5lib import cli


def test_demo_reports_training_and_gradient_checks(tmp_path, capsys):
    from grading.grader import gradcheck

    status = cli.main(["demo", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 0 and "after training:" in out
    assert gradcheck.print_demo_checks() == 0  # the grading demo's part: five backward passes of the reference
    out = capsys.readouterr().out
    assert out.count(" ok") == 5 and "FAILED" not in out
    assert (tmp_path / "toy_training.png").stat().st_size > 10_000
    assert (tmp_path / "toy_regions.png").stat().st_size > 10_000
