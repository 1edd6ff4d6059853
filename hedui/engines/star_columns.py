"""A CTE's `t.*` written out as the columns DuckDB gives it, for Spark.

DuckDB names a CTE's columns uniquely: when `t.*` brings a column whose name the CTE already has, the later one is
renamed `name_1` (`roster.*` beside the household's `township` brings the roster's as `township_1`), and a query
that reads `township` reads the first. Spark keeps both names, and then refuses the reference as ambiguous, so a
rule that runs on DuckDB fails on Spark (or, read as `township_1`, finds no such column).

The rules are written for DuckDB, so DuckDB is asked (`describe`, which plans without running) what the columns
of each CTE with a star are, and what the columns of the star's source are. The star is replaced by those source
columns, each aliased by the name DuckDB gives it in the CTE; the other items keep DuckDB's name too. Spark then
sees the same columns under the same names.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

__all__ = ["name_star_columns"]


def _is_star(item: exp.Expr) -> bool:
    return isinstance(item, exp.Star) or (isinstance(item, exp.Column) and isinstance(item.this, exp.Star))


def _describe(con, ctes: list[exp.CTE], query: exp.Select, parameters: dict[str, Any]) -> list[str]:
    """The column names DuckDB gives `query` under the `ctes` before it."""
    statement = query.copy()
    for cte in ctes:
        statement = statement.with_(cte.alias, as_=cte.this.copy(), copy=False)
    used = {node.name for node in statement.find_all(exp.Placeholder) if node.name}
    described = con.execute(f"describe {statement.sql('duckdb')}",
                            {name: value for name, value in parameters.items() if name in used})
    return [row[0] for row in described.fetchall()]


def _source(select: exp.Select, name: str) -> exp.Expr | None:
    """The FROM or JOIN item of `select` called `name` (by alias or table name), without its alias."""
    items = [select.args["from_"].this] if select.args.get("from_") else []
    items += [join.this for join in select.args.get("joins") or []]
    for item in items:
        if item.alias_or_name.lower() == name.lower():
            plain = item.copy()
            plain.set("alias", None)
            return plain
    return None


def name_star_columns(con, tree: exp.Expr, parameters: dict[str, Any]) -> exp.Expr:
    """`tree` (a DuckDB query, its macros not yet expanded, so DuckDB can plan its parts) with every `t.*` in the
    select list of a top-level CTE replaced by the columns DuckDB gives it. A bare `*` and a star whose source
    is a subquery stay as they are. Changes `tree`."""
    ctes = list(tree.ctes) if isinstance(tree, exp.Query) else []
    for position, cte in enumerate(ctes):
        select = cte.this
        if not isinstance(select, exp.Select):
            continue
        stars = [item for item in select.expressions if _is_star(item) and isinstance(item, exp.Column)]
        if not stars:
            continue
        sources = {}
        for star in stars:
            source = _source(select, star.table)
            if source is None or not isinstance(source, exp.Table):
                break
            sources[id(star)] = source
        else:
            names = _describe(con, ctes[:position + 1], exp.select("*").from_(exp.to_identifier(cte.alias)),
                              parameters)
            written: list[exp.Expr] = []
            for item in select.expressions:
                if id(item) in sources:
                    columns = _describe(con, ctes[:position], exp.select("*").from_(sources[id(item)].copy()),
                                        parameters)
                    written += [exp.column(column, table=item.table, quoted=True) for column in columns]
                else:
                    written.append(item)
            if len(written) != len(names):
                continue  # not what DuckDB made of it: leave it to Spark
            select.set("expressions", [
                item if item.alias_or_name == name else exp.alias_(
                    item.this if isinstance(item, exp.Alias) else item, name, quoted=True)
                for item, name in zip(written, names)])
    return tree
