"""Grading many submissions: ``collect`` brings an LMS export in (``lms_exports`` reads Canvas's, Moodle's and
plain layouts), ``autograde`` runs the batch on Dask
(``dask_runner``; a "worker" in ``grading`` is always a Dask worker), ``submission`` grades one submission
(what a task runs), ``result_store`` keeps the results, and ``scratch`` the run's temp folders."""
