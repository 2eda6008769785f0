"""Sortable table headings: the link each column heading points to, and its `aria-sort` state.

Plain data in, plain data out (no Django): `query` is anything with `copy()`, `pop()` and
`urlencode()` — a Django `QueryDict` in practice — so list screens of every layer can share it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class Query(Protocol):
    def copy(self) -> Any: ...


def sort_links(
    query: Query, columns: Mapping[str, tuple[str, str]], current: str
) -> dict[str, dict[str, str]]:
    """Per column `{name: (ascending key, key of the first click)}`: `{"href", "state"}`.

    Clicking the column sorted now reverses it; any other column starts with its first-click
    key. The page number is dropped (a new order starts on page 1); other parameters stay.
    """
    rest = query.copy()
    rest.pop("sort", None)
    rest.pop("page", None)
    encoded = rest.urlencode()
    prefix = f"{encoded}&" if encoded else ""
    links = {}
    for column, (asc, first) in columns.items():
        if current == asc:
            state, target = "ascending", f"-{asc}"
        elif current == f"-{asc}":
            state, target = "descending", asc
        else:
            state, target = "none", first
        links[column] = {"href": f"?{prefix}sort={target}", "state": state}
    return links
