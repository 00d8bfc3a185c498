"""A student's install: the release's requirements.txt in a fresh environment gives the locked versions and no
instructor's tool (tests/browser/test_student_lab.py runs every notebook of the release in that environment through
JupyterLab)."""

import json
import subprocess

from grading.course import locks


def test_the_release_installs_the_locked_versions_and_no_instructor_tool(student_venv, tmp_path):
    listed = subprocess.run([student_venv, "-c", "import json, importlib.metadata as m; "
                             "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"],
                            capture_output=True, text=True, check=True, cwd=tmp_path)  # not the project's egg-info
    installed = {locks.normalise(name): version for name, version in json.loads(listed.stdout).items()}
    wanted = locks.pins(locks.Locks().students)
    assert {name: installed.get(name) for name in ("numpy", "scipy", "scikit-image", "matplotlib", "jupyterlab")} == {
        name: wanted[name] for name in ("numpy", "scipy", "scikit-image", "matplotlib", "jupyterlab")}
    assert not {"nbgrader", "dask", "pytest"} & set(installed)  # the instructors' tools stay with them
    assert set(installed) - {"pip", "setuptools"} <= set(wanted)
