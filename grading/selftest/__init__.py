"""Testing the grader: sample submissions (``samples``: planted bugs, other correct solutions, hostile code and
attacks) and the forecast of their grades by the trusted grader alone (``forecast``)."""
