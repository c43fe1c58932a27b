-- The demo job of the foundation issue: a small synthetic table, loaded and queried in one
-- session. Later issues replace this with a generated region, ingested and modelled in the lake.
-- All names are invented; there is no patient data here.

CREATE TEMP TABLE care_site AS
SELECT * FROM (VALUES
  ('H01', 'Hospital Universitario Norte (synthetic)', 'hospital', 'Madrid', 812),
  ('H02', 'Hospital General del Sur (synthetic)', 'hospital', 'Getafe', 455),
  ('H03', 'Hospital Infantil del Este (synthetic)', 'hospital', 'Alcalá de Henares', 230),
  ('C001', 'Centro de Salud Centro (synthetic)', 'primary_care', 'Madrid', 0),
  ('C002', 'Centro de Salud Ribera (synthetic)', 'primary_care', 'Getafe', 0),
  ('C003', 'Centro de Salud Sierra (synthetic)', 'primary_care', 'Collado Villalba', 0)
) AS t(care_site_id, name, kind, municipality, beds);

-- 10,000 synthetic visits spread over the sites and 2025.
CREATE TEMP TABLE visit AS
SELECT
  i AS visit_id,
  (ARRAY['H01','H02','H03','C001','C002','C003'])[1 + (hash(i) % 6)::INT] AS care_site_id,
  DATE '2025-01-01' + ((hash(i * 7) % 365)::INT) AS visit_date,
  CASE WHEN hash(i * 13) % 10 < 2 THEN 'emergency' WHEN hash(i * 13) % 10 < 3 THEN 'inpatient'
       ELSE 'outpatient' END AS visit_type
FROM range(10000) t(i);

SELECT kind, count(*) AS sites, sum(beds) AS beds FROM care_site GROUP BY kind ORDER BY kind;

SELECT s.name, v.visit_type, count(*) AS visits
FROM visit v JOIN care_site s USING (care_site_id)
WHERE s.kind = 'hospital'
GROUP BY ALL ORDER BY s.name, visits DESC;

SELECT strftime(visit_date, '%Y-%m') AS month, count(*) AS visits,
       round(100.0 * count(*) FILTER (WHERE visit_type = 'emergency') / count(*), 1) AS pct_emergency
FROM visit GROUP BY month ORDER BY month LIMIT 6;
