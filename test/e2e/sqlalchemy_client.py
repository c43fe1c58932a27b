"""SQLAlchemy 1.4 over psycopg2 (Debian's python3-sqlalchemy, python3-psycopg2) against medlake
serve: what Superset, pandas.read_sql and notebooks do when they connect, list schemas, tables
and columns, and run a query with a bound parameter.

    sqlalchemy_client.py PORT USER PASSWORD SCHEMA TABLE

Prints one line per check ("ok ..." or "FAIL ..."); exits 1 when any check failed.
"""
import sys

import sqlalchemy as sa

port, user, password, schema, table = sys.argv[1:6]
failures = 0


def check(name, expected, actual):
    global failures
    if expected == actual:
        print(f"ok sqlalchemy {name}")
    else:
        print(f"FAIL sqlalchemy {name}: expected {expected!r} got {actual!r}")
        failures += 1


engine = sa.create_engine(f"postgresql+psycopg2://{user}:{password}@127.0.0.1:{port}/medlake?sslmode=disable")
try:
    inspector = sa.inspect(engine)  # connects: version, current schema, settings probes
    check("schema listed", True, schema in inspector.get_schema_names())
    check("table listed", [table], inspector.get_table_names(schema=schema))
    columns = inspector.get_columns(table, schema=schema)
    check("columns", [("id", "BIGINT"), ("name", "TEXT"), ("d", "DATE"), ("even", "BOOLEAN")],
          [(c["name"], str(c["type"])) for c in columns])
    check("primary key", [], inspector.get_pk_constraint(table, schema=schema)["constrained_columns"])
    check("table comment", "a test table", inspector.get_table_comment(table, schema=schema)["text"])
    with engine.connect() as conn:
        result = conn.execute(sa.text(f"SELECT count(*), max(name) FROM {schema}.{table} WHERE id < :n"), {"n": 10})
        check("query column names", ["count", "max"], list(result.keys()))
        check("query rows", [(10, "name9")], [tuple(r) for r in result.fetchall()])
except Exception as error:  # a client error is a failed check, with its message
    print(f"FAIL sqlalchemy: {type(error).__name__}: {str(error).splitlines()[0]}")
    failures += 1
sys.exit(1 if failures else 0)
