"""Course tooling for instructors: the nbgrader course and its release, and autograding across a trust boundary.

The folders are the architecture (``docs/grading.md`` draws it); each imports only the ones below it:

    __main__      the command line (``python -m grading``)
    selftest/     sample submissions (planted bugs, other solutions, attacks) and the grade forecast
    batch/        many submissions: collecting an LMS export, the autograde run on Dask, one submission's
                  grading, the stored results
    grader/       the trusted side: the grader that decides every point and never runs submission code,
                  its handles on the sandbox, its limits, the grading-only checks
    feedback/     what people read: the students' pages, the grade table and exports, pages made inert
    sandbox/      where submission code runs: bubblewrap, control groups, disk budget, nbgrader's notebook run
    sandbox/inside/  the only files copied into a sandbox (standard library, NumPy and Jupyter; never ``grading``)
    course/       the course itself: paths and markers, nbgrader's configuration, building and verifying the
                  release, points, the gradebook
"""
