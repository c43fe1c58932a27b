-- Queries psql 15.18 sends for `\dn` (captured with `psql -E` against PostgreSQL 15).
-- The table's oid is written as {oid}; the test substitutes the shim's.
-- query 1
SELECT n.nspname AS "Name",
  pg_catalog.pg_get_userbyid(n.nspowner) AS "Owner"
FROM pg_catalog.pg_namespace n
WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
ORDER BY 1;
