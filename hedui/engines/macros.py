"""DuckDB macros expanded inline, for an engine that has none (Spark 3.3 has no SQL functions).

The rules and staging queries share their definitions as DuckDB macros: what an active household is
(`hedui/rules/shared_definitions.py`), the verified-income model (`hedui/income/model.sql`), the value
normalisation of every delivery (`connectors/sql/macros.sql`). Spark 3.3 cannot create them, so a query bound
for Spark has every call replaced by the macro's body, its parameters substituted by the call's arguments:

    severe_disability(c.cert_status, ...)         ->  (c.cert_status in (select unnest(...)) and ...)
    from active_households_of($active_statuses)   ->  from (select * from staged.households where ...)

A scalar macro's body and each argument are parenthesised, so that operator precedence cannot change when the
text moves. A table macro becomes a subquery under the call's alias (or the macro's name). `query_table('x')`,
DuckDB's way of naming a table by a macro argument, becomes the table `x` once the argument is a literal.

The expansion works on sqlglot syntax trees, never on text, so that a parameter name is replaced only where it is
a column reference, never inside a string or as part of a longer name.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import sqlglot
from sqlglot import exp

# expansion stops here: a macro that (directly or not) calls itself is an error, not an endless loop
MAX_DEPTH = 32


class MacroError(ValueError):
    """A macro call cannot be expanded; the message names the macro and why."""


@dataclass(frozen=True)
class Macro:
    name: str
    parameters: tuple[str, ...]
    body: exp.Expr
    is_table: bool
    # where it is defined, for messages
    source: str


def macros_from_sql(text: str, source: str) -> dict[str, Macro]:
    """The `create [or replace] [temp] macro` statements of `text`, by name (other statements are skipped)."""
    macros: dict[str, Macro] = {}
    for statement in _statements(text):
        words = [token.text.lower() for token in sqlglot.tokenize(statement, read="duckdb")[:6]]
        if not words or words[0] != "create" or "macro" not in words:
            continue
        tree = sqlglot.parse_one(statement, read="duckdb")
        if not isinstance(tree, exp.Create) or str(tree.args.get("kind")).upper() != "MACRO":
            raise MacroError(f"{source}: cannot read the macro definition {statement[:60]!r}")
        udf = tree.this
        name = udf.this.name.lower()
        parameters = tuple(param.name.lower() for param in udf.expressions)
        body = tree.expression
        macros[name] = Macro(name, parameters, body, isinstance(body, exp.Query), source)
    return macros


def _statements(text: str) -> list[str]:
    """`text` split into statements at the semicolons outside strings and comments."""
    return [sql for sql in (s.strip() for s in _split(text)) if sql and not _only_comments(sql)]


def _split(text: str) -> list[str]:
    tokens = sqlglot.tokenize(text, read="duckdb")
    pieces, start = [], 0
    for token in tokens:
        if token.token_type == sqlglot.TokenType.SEMICOLON:
            pieces.append(text[start:token.start])
            start = token.end + 1
    pieces.append(text[start:])
    return pieces


def _only_comments(sql: str) -> bool:
    return not sqlglot.tokenize(sql, read="duckdb")


@cache
def project_macros() -> dict[str, Macro]:
    """Every macro the rules and staging queries may call: the shared rule definitions, the verified-income
    model, and the value normalisation of the connectors. (The caseworker lists' and reports' macros of
    hedui/deliver stay on DuckDB, which keeps the small state, and are not part of the portable SQL.)"""
    from hedui.rules.shared_definitions import _MACROS as RULE_MACROS

    macros: dict[str, Macro] = {}
    macros.update(macros_from_sql((files("connectors") / "sql" / "macros.sql").read_text(encoding="utf-8"),
                                  "connectors/sql/macros.sql"))
    for name in ("window.sql", "model.sql"):
        macros.update(macros_from_sql((files("hedui.income") / name).read_text(encoding="utf-8"),
                                      f"hedui/income/{name}"))
    macros.update(macros_from_sql(";\n".join(RULE_MACROS), "hedui/rules/shared_definitions.py"))
    return macros


def expand_macros(tree: exp.Expr, macros: dict[str, Macro]) -> exp.Expr:
    """`tree` with every call of one of `macros` replaced by the macro's body, until none is left."""
    for _ in range(MAX_DEPTH):
        calls = [node for node in tree.walk() if _called_macro(node, macros)]
        if not calls:
            return tree
        for node in calls:
            replacement = _expansion(node, macros)
            if node is tree:
                tree = replacement
            else:
                node.replace(replacement)
    raise MacroError(f"macro expansion did not finish after {MAX_DEPTH} rounds: a macro calls itself")


def _called_macro(node: exp.Expr, macros: dict[str, Macro]) -> Macro | None:
    if isinstance(node, exp.Table) and isinstance(node.this, exp.Anonymous):
        macro = macros.get(node.this.name.lower())
        return macro if macro and macro.is_table else None
    if isinstance(node, exp.Anonymous) and not isinstance(node.parent, exp.Table):
        macro = macros.get(node.name.lower())
        return macro if macro and not macro.is_table else None
    return None


def _expansion(node: exp.Expr, macros: dict[str, Macro]) -> exp.Expr:
    call = node.this if isinstance(node, exp.Table) else node
    macro = macros[call.name.lower()]
    arguments = call.expressions
    if len(arguments) != len(macro.parameters):
        raise MacroError(f"{macro.name} ({macro.source}) takes {len(macro.parameters)} argument(s)"
                         f" ({', '.join(macro.parameters)}); called with {len(arguments)}")
    body = _substitute(macro.body.copy(), dict(zip(macro.parameters, arguments)))
    if not macro.is_table:
        return exp.Paren(this=body)
    alias = node.args.get("alias")
    return exp.Subquery(this=body, alias=alias.copy() if alias else exp.TableAlias(this=exp.to_identifier(macro.name)))


def _substitute(body: exp.Expr, arguments: dict[str, exp.Expr]) -> exp.Expr:
    """The macro body with each unqualified column named after a parameter replaced by the argument; then
    `query_table('<name>')` by the table it names."""
    lambda_names = {ident.name.lower() for lam in body.find_all(exp.Lambda) for ident in lam.expressions}

    def replace(node: exp.Expr) -> exp.Expr:
        if (isinstance(node, exp.Column) and not node.table and node.name.lower() in arguments
                and node.name.lower() not in lambda_names):
            argument = arguments[node.name.lower()].copy()
            return argument if _atomic(argument) else exp.Paren(this=argument)
        return node

    body = body.transform(replace, copy=False)
    for table in list(body.find_all(exp.Table)):
        if isinstance(table.this, exp.Anonymous) and table.this.name.lower() == "query_table":
            (named,) = table.this.expressions
            if not (isinstance(named, exp.Literal) and named.is_string):
                raise MacroError(f"query_table needs a table name as a literal once expanded; got {named.sql()}")
            replacement = exp.to_table(named.this)
            if table.args.get("alias"):
                replacement.set("alias", table.args["alias"].copy())
            table.replace(replacement)
    return body


def _atomic(node: exp.Expr) -> bool:
    return isinstance(node, (exp.Column, exp.Literal, exp.Placeholder, exp.Paren, exp.Null, exp.Boolean))
