"""``hwcheck list``: one row per problem. Spec text is ``Text``, so brackets print as written."""

from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text


def render(catalog, console) -> None:
    table = Table(box=box.SIMPLE_HEAD, title=Text(f"Problems in {catalog.folder}"),
                  title_justify="left")
    table.add_column("id", style="bold")
    table.add_column("title", overflow="fold")
    table.add_column("kind")
    table.add_column("points", justify="right")
    table.add_column("parts", overflow="fold")
    for spec in catalog.specs.values():
        table.add_row(Text(spec.id), Text(spec.title), spec.kind, f"{spec.points:g}",
                      Text(", ".join(p.name for p in spec.parts)))
    console.print(table)
