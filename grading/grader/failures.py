"""How a grade cell fails: the submission's code failed (``SubmissionFailure``, whose message is the feedback),
or the cell's time is up (``CellTimeout``)."""


class SubmissionFailure(Exception):
    """The submission's code failed: raised, hung, crashed, or sent something that is not plain data."""


class CellTimeout(BaseException):
    """A grade cell's time is up (raised by an alarm, so that no check code can catch it as an Exception)."""
