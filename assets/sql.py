"""Quoting for the SQL text DuckDB cannot take as a parameter (file paths in views and COPY targets, column
names): one place, so every caller escapes the same way."""


def sql_string(text: object) -> str:
    """A SQL string literal: 'it''s'."""
    return "'" + str(text).replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    """A quoted SQL identifier: "a ""b"" c"."""
    return '"' + name.replace('"', '""') + '"'
