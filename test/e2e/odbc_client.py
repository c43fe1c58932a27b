"""psqlODBC (Debian's odbc-postgresql, the driver of Excel, Tableau and Power BI's ODBC mode)
through pyodbc against medlake serve: catalog functions (SQLTables, SQLColumns) and a query with
a bound parameter, in autocommit mode and in a transaction, where the driver sets a savepoint
around each statement.

    odbc_client.py PORT USER PASSWORD SCHEMA TABLE

Prints one line per check ("ok ..." or "FAIL ..."); exits 1 when any check failed.
"""
import sys

import pyodbc

port, user, password, schema, table = sys.argv[1:6]
failures = 0


def check(name, expected, actual):
    global failures
    if expected == actual:
        print(f"ok odbc {name}")
    else:
        print(f"FAIL odbc {name}: expected {expected!r} got {actual!r}")
        failures += 1


dsn = (f"DRIVER={{PostgreSQL Unicode}};SERVER=127.0.0.1;PORT={port};DATABASE=medlake;"
       f"UID={user};PWD={password};SSLmode=disable")
for mode in ("autocommit", "transaction"):
    try:
        conn = pyodbc.connect(dsn, autocommit=(mode == "autocommit"))
        cursor = conn.cursor()
        check(f"{mode} SQLTables", [(schema, table, "TABLE")],
              [(r.table_schem, r.table_name, r.table_type) for r in cursor.tables(schema=schema)])
        check(f"{mode} SQLColumns", [("id", "int8"), ("name", "text"), ("d", "date"), ("even", "bool")],
              [(r.column_name, r.type_name) for r in cursor.columns(table=table, schema=schema)])
        cursor.execute(f"SELECT count(*), max(name) FROM {schema}.{table} WHERE id < ?", 10)
        check(f"{mode} query column names", ["count", "max"], [d[0] for d in cursor.description])
        check(f"{mode} query rows", [(10, "name9")], [tuple(r) for r in cursor.fetchall()])
        conn.commit()
        conn.close()
    except pyodbc.Error as error:  # a driver error is a failed check, with its message
        print(f"FAIL odbc {mode}: {error}")
        failures += 1
sys.exit(1 if failures else 0)
