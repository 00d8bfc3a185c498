"""Course tooling for instructors: the student-file declaration, points, release and autograding."""
