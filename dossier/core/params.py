"""Whole numbers read from request parameters, strictly."""


def row_id(text: str | None) -> int | None:
    """The non-negative integer `text` spells in ASCII digits (an id, an id cursor), else None.

    `str.isdigit` is true for '²', which int() refuses, and int() refuses strings of more than
    4300 digits; neither may turn a bad parameter into a server error.
    """
    if text and text.isascii() and text.isdigit() and len(text) <= 19:
        return int(text)
    return None
