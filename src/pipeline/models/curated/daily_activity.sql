-- @materialized: table
-- @description: Activity per day (UTC) and care site (hospital or primary care centre): visits started by class, admissions, discharges, deaths at discharge, inpatients in bed at the end of the day, distinct patients seen, and the diagnoses, drug orders, vaccinations, measurements and procedures attached to the care site (through their visit, or the vaccination's place). One row per care site and day with any activity.
WITH visit_events AS (
  SELECT care_site_id, visit_start_date AS activity_date, person_id, visit_concept_id AS concept, 'visit' AS kind
  FROM curated.visit_occurrence
  UNION ALL
  SELECT care_site_id, visit_end_date, person_id, visit_concept_id, 'discharge'
  FROM curated.visit_occurrence
  WHERE visit_concept_id = 9201 AND visit_end_datetime IS NOT NULL
  UNION ALL
  SELECT care_site_id, visit_end_date, person_id, visit_concept_id, 'death'
  FROM curated.visit_occurrence
  WHERE discharged_to_source_value IN ('exp', '20')
  UNION ALL
  SELECT care_site_id, CAST(day AS DATE), person_id, visit_concept_id, 'in_bed'
  FROM (
    SELECT *, unnest(generate_series(CAST(visit_start_date AS TIMESTAMP), CAST(visit_end_date AS TIMESTAMP) - INTERVAL 1 DAY, INTERVAL 1 DAY)) AS day
    FROM curated.visit_occurrence
    WHERE visit_concept_id = 9201 AND visit_end_date > visit_start_date
  )
),
fact_events AS (
  SELECT care_site_id, start_date AS activity_date, person_id, CAST(NULL AS INTEGER) AS concept, domain AS kind
  FROM curated.clinical_event
  WHERE care_site_id IS NOT NULL
),
all_events AS (
  SELECT * FROM visit_events UNION ALL SELECT * FROM fact_events
)
SELECT
  e.activity_date,
  e.care_site_id,
  any_value(c.care_site_source_value) AS organization_id,
  any_value(c.care_site_name) AS organization_name,
  any_value(c.place_of_service_source_value) AS organization_type,
  count(*) FILTER (WHERE kind = 'visit') AS encounters,
  count(*) FILTER (WHERE kind = 'visit' AND concept = 9201) AS inpatient_encounters,
  count(*) FILTER (WHERE kind = 'visit' AND concept = 9202) AS outpatient_encounters,
  count(*) FILTER (WHERE kind = 'visit' AND concept = 9203) AS emergency_encounters,
  count(*) FILTER (WHERE kind = 'visit' AND concept NOT IN (9201, 9202, 9203)) AS other_encounters,
  count(*) FILTER (WHERE kind = 'visit' AND concept = 9201) AS admissions,
  count(*) FILTER (WHERE kind = 'discharge') AS discharges,
  count(*) FILTER (WHERE kind = 'death') AS deaths,
  count(*) FILTER (WHERE kind = 'in_bed') AS inpatients_in_bed,
  count(DISTINCT person_id) FILTER (WHERE kind = 'visit') AS patients_seen,
  count(*) FILTER (WHERE kind = 'condition') AS diagnoses,
  count(*) FILTER (WHERE kind = 'drug') AS drug_orders,
  count(*) FILTER (WHERE kind = 'vaccine') AS vaccinations,
  count(*) FILTER (WHERE kind IN ('measurement', 'observation')) AS observations,
  count(*) FILTER (WHERE kind = 'procedure') AS procedures
FROM all_events e
LEFT JOIN curated.care_site c ON c.care_site_id = e.care_site_id
WHERE e.care_site_id IS NOT NULL AND e.activity_date IS NOT NULL
GROUP BY e.activity_date, e.care_site_id
ORDER BY e.activity_date, organization_id
