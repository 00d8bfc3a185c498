"""What people read: a student's pages (``pages``: nbgrader's, made inert by ``inert``, and our summary), the
grade table and its exports (``report``), and the Content-Security-Policy of the instructor's pages
(``page_policy``, with ``inert_preprocessor`` for formgrader)."""
