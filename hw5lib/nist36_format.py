"""The NIST36 format, shared by the loader (``data``) and the offline stand-in (``standin``): the classes in
label order, and the error a file not in that format raises."""

CLASS_NAMES = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"  # label i is CLASS_NAMES[i]: 26 letters, then 10 digits


class DataError(ValueError):
    """A data file is missing or not in the NIST36 format; the message says which and how to fix it."""
