"""Where submission code runs: a bubblewrap sandbox (``bwrap``) with limits per process, per control group
(``cgroups``) and on disk (``disk_budget``), ended with everything it started (``processes``); nbgrader's run of
the notebooks in it (``notebook_run``). What is copied into a sandbox lives in ``inside/``."""
