# The two commands of the README: `make demo` (the main job) and `make test` (the test suite).
# Both create the project's virtual environment .venv with uv on first use and reuse it after (it is
# made to match the lock requirements/instructors.txt again when the lock or pyproject.toml changes) and
# fetch the stand-in's handwriting fonts once.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
LOCK := requirements/instructors.txt
STAMP := $(VENV)/.installed
PIP_QUIET := --quiet --disable-pip-version-check

.PHONY: demo test check test-latest lock venv fonts sandbox browser lab bench sweep release clean

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

# .venv holds exactly the lock's packages, then the project itself (editable). uv comes from the lock too: the
# first time, pip fetches that version (hash-checked) into a throwaway folder, which makes .venv and goes.
$(STAMP): pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "hw5 needs Python >= 3.11; run make PYTHON=python3.11 (or newer)")'
	@if [ ! -x $(UV) ]; then \
	  boot=$$(mktemp -d) && trap 'rm -rf "$$boot"' EXIT && \
	  sed -n '/^uv==/,/[^\\]$$/p' $(LOCK) > "$$boot/uv.txt" && \
	  $(PYTHON) -m venv "$$boot/venv" && \
	  "$$boot/venv/bin/pip" install $(PIP_QUIET) --require-hashes -r "$$boot/uv.txt" && \
	  { test -x $(PY) || "$$boot/venv/bin/uv" venv --quiet --python $(PYTHON) $(VENV); } && \
	  "$$boot/venv/bin/uv" pip sync --quiet --python $(PY) $(LOCK); \
	fi
	$(UV) pip sync --quiet --python $(PY) $(LOCK)
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	@# every Jupyter server of .venv gives formgrader's submission pages a Content-Security-Policy
	$(PY) -m grading.feedback.page_policy
	@touch $(STAMP)

# Refresh the locks: every package to its newest version pyproject.toml allows (run `make test-latest` first).
lock: $(STAMP)
	$(PY) -m grading.course.locks --upgrade

# The suite on the newest versions pyproject.toml allows, in a venv of its own (build/latest); not part of CI.
test-latest: $(STAMP) sandbox browser
	@rm -rf build/latest
	$(UV) venv --quiet --python $(PYTHON) build/latest
	$(UV) pip install --quiet --python build/latest/bin/python --upgrade -e '.[grading,test]'
	build/latest/bin/python -m grading.feedback.page_policy
	build/latest/bin/python -m grading.course.locks --compare
	HW5_STANDIN=1 HW5_FAST=1 build/latest/bin/python -m pytest -n $(TEST_PROCESSES) --dist loadscope --no-loadscope-reorder

demo: fonts sandbox
	$(VENV)/bin/hw5 demo --out build/demo
	$(PY) -m grading --course build/demo/course demo

# The tests run in TEST_PROCESSES processes (pytest-xdist), a test module in one (tests/conftest.py groups them).
TEST_PROCESSES ?= 2
test: fonts sandbox browser
	HW5_STANDIN=1 HW5_FAST=1 $(PY) -m pytest -n $(TEST_PROCESSES) --dist loadscope --no-loadscope-reorder

# The quick loop while working: every test but the whole runs (marked slow in tests/conftest.py).
check: fonts sandbox
	HW5_STANDIN=1 HW5_FAST=1 $(PY) -m pytest -m "not slow" -q -n $(TEST_PROCESSES) --dist loadscope --no-loadscope-reorder

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
