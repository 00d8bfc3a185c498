"""Shared test settings and fixtures: figures never open a window; the stand-in, the reading network, the
released course, a local web server and a browser; how `make test` shares the tests between two processes."""

import functools
import http.server
import os
import tempfile
import threading
from pathlib import Path

import matplotlib
import pytest

from lab_browser import browser  # noqa: F401 - the browser tests' Chromium, shared by tests/browser and grading

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
# what `make check` leaves out: whole runs by place, and every test that needs a built course or the full stand-in
SLOW_PLACES = ("notebooks/", "tests/browser/", "tests/grading/test_autograde.py", "tests/grading/test_dask_runner.py",
               "tests/grading/test_formgrader.py", "tests/grading/test_samples.py")
SLOW_FIXTURES = {"released_course", "course_root", "results", "full_standin", "reading_params", "student_venv"}
# session fixtures worth making once, and the test modules that use them: with pytest-xdist (`make test`) each
# group runs whole in one process
SHARED = {"course_root": "whole-flow", "results": "whole-flow", "student_venv": "student-install"}
GROUPS = {"tests/grading/test_autograde.py": "whole-flow", "tests/grading/test_dask_runner.py": "whole-flow",
          "tests/grading/test_formgrader.py": "whole-flow", "tests/browser/test_student_lab.py": "student-install",
          "tests/test_student_install.py": "student-install"}
# the groups and modules that take longest, longest first: each test process takes the next one when it is
# nearly done, so that the many short modules, given out last, even out the two processes' ends
SLOWEST_FIRST = ["whole-flow", "student-install", "tests/grading/test_samples.py",
                 "tests/grading/test_autograde_stops.py", "tests/grading/test_notebooks_alone.py",
                 "tests/grading/test_kernel_server.py", "notebooks/04_autoencoder.ipynb", "tests/grading/test_cgroups.py",
                 "tests/grading/test_trusted_time.py", "notebooks/03_training.ipynb"]


def pytest_configure(config):
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:  # each test process its own temp folder: tests that look for folders a grading left see only theirs
        os.environ["TMPDIR"] = tempfile.mkdtemp(prefix=f"{worker}-")  # short: sockets live below it
        tempfile.tempdir = None
        # one BLAS thread in each test process and what it starts (kernels, JupyterLab): with the processes
        # sharing the cores, more threads only wait for each other
        from threadpoolctl import threadpool_limits

        os.environ.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        threadpool_limits(limits=1)  # this process's NumPy is loaded already: its own limit, for the session


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's scheduling by module (a module's fixtures are made once), with the modules of GROUPS together."""
    from xdist.scheduler import LoadScopeScheduling

    class ModulesAndGroups(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return GROUPS.get(module, module)

    return ModulesAndGroups(config, log)


def pytest_collection_modifyitems(config, items):
    """Marks the slow tests, puts the modules of SLOWEST_FIRST first and checks that GROUPS names every module that
    uses one of the SHARED fixtures."""
    places = {}
    for item in items:
        place = places[item] = Path(str(item.fspath)).resolve().relative_to(ROOT).as_posix()
        used = set(getattr(item, "fixturenames", ()))
        if place.startswith(SLOW_PLACES) or SLOW_FIXTURES & used:
            item.add_marker(pytest.mark.slow)
        for fixture in used & set(SHARED):
            if GROUPS.get(place) != SHARED[fixture]:
                raise pytest.UsageError(f"{place} uses the fixture {fixture}: add it to GROUPS in tests/conftest.py "
                                        f"as {SHARED[fixture]!r}, so that one test process makes it")
    order = {scope: rank for rank, scope in enumerate(SLOWEST_FIRST)}
    # stable: modules of the same rank keep their order
    items.sort(key=lambda item: order.get(GROUPS.get(places[item], places[item]), len(order)))


def pytest_unconfigure(config):
    if os.environ.get("PYTEST_XDIST_WORKER"):
        import shutil

        shutil.rmtree(os.environ["TMPDIR"], ignore_errors=True)


@pytest.fixture(scope="session")
def full_standin():
    """The full-size offline stand-in, from the user cache (drawn once, about 20 s, if absent)."""
    from hw5lib import data

    return data.load_nist36(standin=True, progress=False)


@pytest.fixture(scope="session")
def reading_params(full_standin):
    """The Q3 reference network trained on the stand-in (cached in the user cache after the first time)."""
    from hw5lib import data, ocr_model

    return ocr_model.reading_network(data.standin_folder() / "q3_reference.npz", progress=False)


@pytest.fixture(scope="session")
def released_course(tmp_path_factory, full_standin):
    """A course folder with source, grader networks, release and gradebook, built once per run: the test
    processes of `make test` share it (the first builds it, the others wait). No test changes it: one that adds
    submissions or grades works on a copy (``course_with`` in tests/grading/whole_flow.py)."""
    import fcntl
    import shutil

    from grading.course import build

    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # pytest-xdist gives each process a folder of its own below the run's
    root, built = shared / "released-course", shared / "released-course.built"
    with open(shared / "released-course.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not built.is_file():  # a build that stopped half-way is made again
            shutil.rmtree(root, ignore_errors=True)
            build.build_course(root)
            build.release(root)
            built.touch()
    return root


@pytest.fixture(scope="session")
def student_venv(released_course, tmp_path_factory):
    """The Python of a fresh virtual environment with the release's requirements.txt installed, as a student
    installs it: the students' lock, hash-checked. uv installs it from its cache, which making .venv filled with
    the same versions; only where .venv was made before uv (its cache lacks some) does it fetch the rest."""
    import subprocess
    import sys
    import zipfile

    folder = tmp_path_factory.mktemp("student-venv")
    requirements = folder / "requirements.txt"
    requirements.write_bytes(zipfile.ZipFile(released_course / "hw5_release.zip").read("hw5/requirements.txt"))
    uv, python = Path(sys.executable).parent / "uv", folder / "venv" / "bin" / "python"
    install = [uv, "pip", "install", "--quiet", "--python", python, "-r", requirements]
    for command in ([uv, "venv", "--quiet", "--python", sys.executable, folder / "venv"], install + ["--offline"]):
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0 and "network was disabled" in done.stderr:
            done = subprocess.run(install, capture_output=True, text=True)
        assert done.returncode == 0, f"{command[1:3]} failed: {done.stderr[-2000:]}"
    return python


@pytest.fixture
def web(tmp_path):
    """A local HTTP server on 127.0.0.1 serving tmp_path/www: (that folder, its address)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
