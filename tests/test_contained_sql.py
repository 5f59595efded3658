"""Steward SQL runs contained: one SELECT, over the given snapshot files only."""

import duckdb
import pytest

from assets.contained_sql import UserSQLError, contained_connection, single_select


@pytest.fixture
def penguins(tmp_path):
    path = tmp_path / "train.parquet"
    duckdb.connect().execute(f"COPY (SELECT 'Adelie' AS species, 39.1 AS bill UNION ALL SELECT 'Gentoo', 46.1)"
                             f" TO '{path}' (FORMAT parquet)")
    return path


def test_the_named_snapshots_are_readable(penguins):
    connection = contained_connection({"penguins/train": [penguins]})
    rows = connection.execute(single_select('SELECT species FROM "penguins/train" ORDER BY 1', "query")).fetchall()
    assert rows == [("Adelie",), ("Gentoo",)]


@pytest.mark.parametrize("sql", ["SELECT * FROM read_csv('/etc/passwd')", "SELECT * FROM '/etc/hostname'",
                                 "SELECT * FROM read_text('/etc/passwd')"])
def test_other_files_cannot_be_read(penguins, sql):
    connection = contained_connection({"penguins/train": [penguins]})
    with pytest.raises((duckdb.PermissionException, duckdb.CatalogException)):  # a bare path is no table here
        connection.execute(single_select(sql, "query")).fetchall()


def test_the_configuration_cannot_be_reopened(penguins):
    connection = contained_connection({"penguins/train": [penguins]})
    with pytest.raises(duckdb.Error):
        connection.execute("SET enable_external_access = true")


@pytest.mark.parametrize("sql, message", [
    ("DELETE FROM t", "must be a SELECT statement, not DELETE"),
    ("COPY (SELECT 1) TO 'x.csv'", "must be a SELECT statement, not COPY"),
    ("ATTACH 'x.db'", "must be a SELECT statement, not ATTACH"),
    ("SELECT 1; DROP TABLE t", "must be one SELECT statement, found 2 statements"),
    ("SELEC 1", "query of x does not parse: Parser Error"),
])
def test_anything_but_one_select_is_refused_by_name(sql, message):
    with pytest.raises(UserSQLError, match=message.replace("(", r"\(")):
        single_select(sql, "query of x")
