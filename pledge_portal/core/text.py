"""Quoting what someone typed, pasted or uploaded back to them, at a bounded cost.

A message that repeats a value must not grow with it: one cell holding 32,767 characters, repeated on every
row of a small upload, once made an error page of 100 MB. Every message that quotes user input passes the
value through ``quote``, which keeps its first ``limit`` characters and marks the cut with an ellipsis. The
quotation marks stay with the message, which knows its own style (‘…’ or “…”).
"""

QUOTED_CHARACTERS = 50


def quote(value, limit: int = QUOTED_CHARACTERS) -> str:
    """``value`` as text, cut to at most ``limit`` characters (the last an ellipsis when anything was cut).

    Line breaks and tabs become spaces, so a quoted value stays on its line of a list or a CSV."""
    text = value if isinstance(value, str) else _text(value)
    cut = len(text) > limit
    text = text[: limit - 1 if cut else limit]
    text = text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ").replace("\t", " ")
    return f"{text.rstrip()}…" if cut else text


def _text(value) -> str:
    try:
        return str(value)
    except ValueError:  # an integer with more digits than Python will print
        return "(a number too long to show)"


def quoted_list(values, *, most: int = 10) -> str:
    """Values for a message, each quoted and cut: “a”, “b”, “c”, and at most ``most`` of them, then
    "and N more" (a sheet may have thousands of headings nobody asked for)."""
    values = list(values)
    shown = ", ".join(f"“{quote(value)}”" for value in values[:most])
    return shown + (f" and {len(values) - most:,} more" if len(values) > most else "")
