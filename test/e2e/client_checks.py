"""Shared by the Python client tests (sqlalchemy_client.py, odbc_client.py): their arguments
and one line per check ("ok <client> ..." or "FAIL <client> ...")."""
import sys


class Checks:
    def __init__(self, client):
        self.client = client
        self.failures = 0
        # PORT USER PASSWORD SCHEMA TABLE
        self.port, self.user, self.password, self.schema, self.table = sys.argv[1:6]

    def check(self, name, expected, actual):
        if expected == actual:
            print(f"ok {self.client} {name}")
        else:
            print(f"FAIL {self.client} {name}: expected {expected!r} got {actual!r}")
            self.failures += 1

    def fail(self, what):
        print(f"FAIL {self.client}: {what}")
        self.failures += 1

    def exit(self):
        sys.exit(1 if self.failures else 0)
