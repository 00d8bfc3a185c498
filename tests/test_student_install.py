"""A student's install: the release's requirements.txt in a fresh environment gives the locked versions, and a
notebook of the release runs there from start to end (tests/browser/test_student_lab.py runs every notebook in the
same environment through JupyterLab)."""

import json
import os
import shutil
import subprocess

from grading.course import locks
from grading.course.paths import ASSIGNMENT, student_files
from lab_browser import unpack_release


def test_the_release_installs_the_locked_versions_and_a_notebook_runs(student_venv, released_course, tmp_path):
    listed = subprocess.run([student_venv, "-c", "import json, importlib.metadata as m; "
                             "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"],
                            capture_output=True, text=True, check=True, cwd=tmp_path)  # not the project's egg-info
    installed = {locks.normalise(name): version for name, version in json.loads(listed.stdout).items()}
    wanted = locks.pins(locks.Locks().students)
    assert {name: installed.get(name) for name in ("numpy", "scipy", "scikit-image", "matplotlib", "jupyterlab")} == {
        name: wanted[name] for name in ("numpy", "scipy", "scikit-image", "matplotlib", "jupyterlab")}
    assert not {"nbgrader", "dask", "pytest"} & set(installed)  # the instructors' tools stay with them
    assert set(installed) - {"pip", "setuptools"} <= set(wanted)

    folder = unpack_release(released_course / "hw5_release.zip", tmp_path / "student")
    for rel in student_files():
        shutil.copy2(released_course / "source" / ASSIGNMENT / rel, folder / rel)
    env = dict(os.environ, HW5_STANDIN="1", HW5_FAST="1")
    for command in ([student_venv, "-m", "hw5lib.cli", "data", "fonts"],
                    [student_venv, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                     "--output", "executed.ipynb", "02_fully_connected.ipynb"]):
        done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"{command[1:4]} failed: {done.stderr[-2000:]}"
    cells = json.loads((folder / "executed.ipynb").read_text())["cells"]
    outputs = [o for c in cells if c["cell_type"] == "code" for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    printed = "".join("".join(o.get("text", "")) for o in outputs)
    assert "gradients match the reference: True" in printed
