"""psqlODBC (Debian's odbc-postgresql, the driver of Excel, Tableau and Power BI's ODBC mode)
through pyodbc against medlake serve: catalog functions (SQLTables, SQLColumns) and a query with
a bound parameter, in autocommit mode and in a transaction, where the driver sets a savepoint
around each statement.

    odbc_client.py PORT USER PASSWORD SCHEMA TABLE

Prints one line per check ("ok ..." or "FAIL ..."); exits 1 when any check failed.
"""
import pyodbc

from client_checks import Checks

c = Checks("odbc")
dsn = (f"DRIVER={{PostgreSQL Unicode}};SERVER=127.0.0.1;PORT={c.port};DATABASE=medlake;"
       f"UID={c.user};PWD={c.password};SSLmode=disable")
for mode in ("autocommit", "transaction"):
    try:
        conn = pyodbc.connect(dsn, autocommit=(mode == "autocommit"))
        cursor = conn.cursor()
        c.check(f"{mode} SQLTables", [(c.schema, c.table, "TABLE")],
                [(r.table_schem, r.table_name, r.table_type) for r in cursor.tables(schema=c.schema)])
        c.check(f"{mode} SQLColumns", [("id", "int8"), ("name", "text"), ("d", "date"), ("even", "bool")],
                [(r.column_name, r.type_name) for r in cursor.columns(table=c.table, schema=c.schema)])
        cursor.execute(f"SELECT count(*), max(name) FROM {c.schema}.{c.table} WHERE id < ?", 10)
        c.check(f"{mode} query column names", ["count", "max"], [d[0] for d in cursor.description])
        c.check(f"{mode} query rows", [(10, "name9")], [tuple(r) for r in cursor.fetchall()])
        conn.commit()
        conn.close()
    except pyodbc.Error as error:  # a driver error is a failed check, with its message
        c.fail(f"{mode}: {error}")
c.exit()
