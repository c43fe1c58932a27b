-- @materialized: incremental
-- @incremental_by: person_id
-- @key_lookup: normalized.person_link.source_key = normalized.encounter.patient_source_key
-- @description: OMOP CDM v5.4 VISIT_OCCURRENCE: one row per visit (curated.visit_source groups the source encounters). visit_concept_id from the encounter class: IMP 9201 Inpatient Visit, AMB 9202 Outpatient Visit, EMER 9203 Emergency Room Visit, else 0; visit_type_concept_id 32817 (EHR). End time from any record of the visit; a visit without one ends on its start date.
WITH members AS (
  SELECT s.visit_occurrence_id, s.person_id, s.is_primary, s.source_key, e.*
  FROM curated.visit_source s
  JOIN normalized.encounter e ON e.source_key = s.source_key
),
visits AS (
  SELECT
    visit_occurrence_id,
    any_value(person_id) AS person_id,
    first(class ORDER BY is_primary DESC) AS class,
    first(start_time ORDER BY is_primary DESC) AS start_time,
    max(end_time) AS end_time,
    first(regexp_replace(organization, '^Organization/', '') ORDER BY is_primary DESC) AS organization_id,
    first(discharge_disposition ORDER BY is_primary DESC) FILTER (WHERE discharge_disposition IS NOT NULL) AS discharge_disposition
  FROM members
  GROUP BY visit_occurrence_id
),
shaped AS (
  SELECT
    v.*,
    timezone('UTC', start_time) AS start_utc,
    timezone('UTC', CASE WHEN end_time >= start_time THEN end_time END) AS end_utc,
    c.care_site_id
  FROM visits v
  LEFT JOIN curated.care_site c ON c.care_site_source_value = v.organization_id
)
SELECT
  visit_occurrence_id,
  person_id,
  CAST(CASE class WHEN 'IMP' THEN 9201 WHEN 'AMB' THEN 9202 WHEN 'EMER' THEN 9203 ELSE 0 END AS INTEGER) AS visit_concept_id,
  CAST(start_utc AS DATE) AS visit_start_date,
  start_utc AS visit_start_datetime,
  CAST(coalesce(end_utc, start_utc) AS DATE) AS visit_end_date,
  end_utc AS visit_end_datetime,
  CAST(32817 AS INTEGER) AS visit_type_concept_id,
  CAST(NULL AS BIGINT) AS provider_id,
  care_site_id,
  class AS visit_source_value,
  CAST(0 AS INTEGER) AS visit_source_concept_id,
  CAST(NULL AS INTEGER) AS admitted_from_concept_id,
  CAST(NULL AS VARCHAR) AS admitted_from_source_value,
  CAST(CASE WHEN discharge_disposition IS NOT NULL THEN 0 END AS INTEGER) AS discharged_to_concept_id,
  discharge_disposition AS discharged_to_source_value,
  lag(visit_occurrence_id) OVER (PARTITION BY person_id ORDER BY start_utc, visit_occurrence_id) AS preceding_visit_occurrence_id
FROM shaped
