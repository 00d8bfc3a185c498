# The two commands of the README: `make demo` (the main job) and `make test` (the test suite).
# Both create the project's virtual environment .venv on first use and reuse it after (it is
# reinstalled when pyproject.toml changes) and fetch the stand-in's handwriting fonts once.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PIP_QUIET := --quiet --disable-pip-version-check

.PHONY: demo test check venv fonts sandbox browser lab bench sweep release clean

venv: $(STAMP)

# bubblewrap, the sandbox submissions are graded in: installed with apt where we are root, else explained.
sandbox:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing bubblewrap (the grading sandbox) with apt-get"; \
	    (apt-get install -y -qq bubblewrap >/dev/null 2>&1 || \
	     (apt-get update -qq >/dev/null && apt-get install -y -qq bubblewrap >/dev/null)); \
	  else \
	    echo "bubblewrap (bwrap) is missing: install it (Debian/Ubuntu: sudo apt-get install bubblewrap;" \
	         "Fedora: sudo dnf install bubblewrap); until then grading tests are skipped and" \
	         "python -m grading autograde needs --unsandboxed" >&2; \
	  fi; }

# Chromium and its WebDriver from Debian's packages, for the browser tests (tests/browser): installed with apt
# where we are root, else explained (those tests are then skipped). Nothing downloads a browser at run time.
browser:
	@{ command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; } || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium and chromium-driver (the browser tests) with apt-get"; \
	    (apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 || \
	     (apt-get update -qq >/dev/null && apt-get install -y -qq chromium chromium-driver >/dev/null)); \
	  else \
	    echo "chromium and chromium-driver are missing: install them (Debian/Ubuntu: sudo apt-get install" \
	         "chromium chromium-driver); until then the browser tests are skipped" >&2; \
	  fi; }

# JupyterLab on the instructor's notebooks (notebooks/) with the project's environment (as root it adds
# --allow-root, which Jupyter asks for).
lab: fonts
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

# The stand-in's handwriting fonts, fetched once into the user cache (a quick check after that).
fonts: $(STAMP)
	$(VENV)/bin/hw5 data fonts

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "hw5 needs Python >= 3.11; run make PYTHON=python3.11 (or newer)")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install $(PIP_QUIET) --upgrade pip
	$(PY) -m pip install $(PIP_QUIET) -e '.[test]'
	@# every Jupyter server of .venv gives formgrader's submission pages a Content-Security-Policy
	$(PY) -m grading.feedback.page_policy
	@touch $(STAMP)

demo: fonts sandbox
	$(VENV)/bin/hw5 demo --out build/demo
	$(PY) -m grading --course build/demo/course demo

# The tests run in TEST_PROCESSES processes (pytest-xdist), a test module in one (tests/conftest.py groups them).
TEST_PROCESSES ?= 2
test: fonts sandbox browser
	HW5_STANDIN=1 HW5_FAST=1 $(PY) -m pytest -n $(TEST_PROCESSES) --dist loadgroup

# The quick loop while working: every test but the whole runs (marked slow in tests/conftest.py).
check: fonts sandbox
	HW5_STANDIN=1 HW5_FAST=1 $(PY) -m pytest -m "not slow" -q -n $(TEST_PROCESSES) --dist loadgroup

release: fonts
	$(PY) -m grading --course build/course release

bench: fonts
	$(PY) benchmarks/bench_nn.py
	$(PY) benchmarks/bench_standin.py
	$(PY) benchmarks/bench_training.py
	$(PY) benchmarks/bench_ocr.py

# The full autograder sweep under nbgrader: every sample submission, serial and with --jobs 2.
sweep: fonts sandbox
	HW5_STANDIN=1 PYTHONPATH=. $(PY) benchmarks/bench_grading.py

clean:
	rm -rf build .pytest_cache
