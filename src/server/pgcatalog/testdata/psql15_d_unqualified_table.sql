-- Queries psql 15.18 sends for `\d patient` (captured with `psql -E` against PostgreSQL 15).
-- The table's oid is written as {oid}; the test substitutes the shim's.
-- query 1
SELECT c.oid,
  n.nspname,
  c.relname
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relname OPERATOR(pg_catalog.~) '^(patient)$' COLLATE pg_catalog.default
  AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 2, 3;
