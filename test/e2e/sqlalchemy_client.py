"""SQLAlchemy 1.4 over psycopg2 (Debian's python3-sqlalchemy, python3-psycopg2) against medlake
serve: what Superset, pandas.read_sql and notebooks do when they connect, list schemas, tables
and columns, and run a query with a bound parameter.

    sqlalchemy_client.py PORT USER PASSWORD SCHEMA TABLE

Prints one line per check ("ok ..." or "FAIL ..."); exits 1 when any check failed.
"""
import sqlalchemy as sa

from client_checks import Checks

c = Checks("sqlalchemy")
engine = sa.create_engine(f"postgresql+psycopg2://{c.user}:{c.password}@127.0.0.1:{c.port}/medlake?sslmode=disable")
try:
    inspector = sa.inspect(engine)  # connects: version, current schema, settings probes
    c.check("schema listed", True, c.schema in inspector.get_schema_names())
    c.check("table listed", [c.table], inspector.get_table_names(schema=c.schema))
    columns = inspector.get_columns(c.table, schema=c.schema)
    c.check("columns", [("id", "BIGINT"), ("name", "TEXT"), ("d", "DATE"), ("even", "BOOLEAN")],
            [(col["name"], str(col["type"])) for col in columns])
    c.check("primary key", [], inspector.get_pk_constraint(c.table, schema=c.schema)["constrained_columns"])
    c.check("table comment", "a test table", inspector.get_table_comment(c.table, schema=c.schema)["text"])
    with engine.connect() as conn:
        result = conn.execute(sa.text(f"SELECT count(*), max(name) FROM {c.schema}.{c.table} WHERE id < :n"),
                              {"n": 10})
        c.check("query column names", ["count", "max"], list(result.keys()))
        c.check("query rows", [(10, "name9")], [tuple(r) for r in result.fetchall()])
except Exception as error:  # a client error is a failed check, with its message
    c.fail(f"{type(error).__name__}: {str(error).splitlines()[0]}")
c.exit()
