"""What people read: a student's pages (``pages``: nbgrader's, made inert by ``inert``, and our summary), the
grade table and its exports (``report``; ``lms_grades`` for Canvas and Moodle), the similarity report
(``similarity``), and the Content-Security-Policy of the instructor's pages
(``page_policy``, with ``inert_preprocessor`` for formgrader)."""
