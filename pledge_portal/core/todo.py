"""The home page's to-do list: what waits for this user now, built from the data by each app's selectors.

Each app contributes the items of its own work (``returns.selectors.todo_for``, ``references.selectors.todo_for``)
through the access policy, so an item shows only to someone who may act on it. A fixed number of queries per
app, whatever the amount of data; each kind of item lists at most ``SHOWN`` objects and says how many more.
"""

from dataclasses import dataclass
from datetime import date

SHOWN = 5


@dataclass(frozen=True)
class ToDo:
    text: str  # what to do, naming the object: "Sign off Camden's return for July to September 2026"
    url: str
    due: date | None = None
    overdue: bool = False


def todo_for(user, *, today: date) -> list[ToDo]:
    """Everything waiting for ``user``, most urgent first (overdue, then by due date, then the rest)."""
    from references.selectors import todo_for as references_todo
    from returns.selectors import todo_for as returns_todo

    items = [*returns_todo(user, today=today), *references_todo(user, today=today)]
    return sorted(items, key=lambda t: (not t.overdue, t.due is None, t.due or today))
