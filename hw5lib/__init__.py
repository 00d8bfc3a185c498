"""hw5lib: the module of the 'Neural Networks for Recognition' course bundle.

Students fill in the student-fillable files (listed in pyproject.toml, [tool.hw5.student-files]);
everything else is provided. Submodules are imported on demand, e.g. ``from hw5lib import nn``.
"""

__version__ = "0.1.0"
