"""The course: where things are and what they are called (``paths``), nbgrader's configuration, the course
folder and its release (``build``, ``stubs``, ``verify`` with ``answer_scan``, ``expected_values``), the points
table and the gradebook, who submitted when (``roster``) and the late policy (``late_policy``), the locked
package versions (``locks``). Everything else in ``grading`` builds on this; it imports nothing above it."""
