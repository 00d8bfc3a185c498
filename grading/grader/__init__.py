"""The trusted side of the boundary: ``trusted`` decides every automatic point and never runs submission code;
it reaches the submission's functions through ``handles`` on the sandbox, within ``limits``, and checks them
with ``grading_checks`` and ``gradcheck`` (grading only, never in the release). ``result`` is what it
concludes; ``notebook_scan`` names tampering with the notebooks."""
