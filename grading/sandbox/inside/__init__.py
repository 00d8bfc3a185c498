"""The only grading code a sandbox holds: the function server that calls the submission's functions
(``function_server``) and the ``wire`` it talks over, the notebooks' kernel server (``kernel_server``) and the
output limits of nbgrader's run (``output_limits``).

The rule (tests/test_import_graph.py enforces it): these files are copied into a sandbox, where
``grading`` does not exist, so they import the standard library, NumPy and the Jupyter stack the notebooks
need, and each other only as plain sibling modules (``import wire``), never ``grading``.
"""
