-- @materialized: incremental
-- @incremental_by: person_id
-- @description: OMOP CDM v5.4 MEASUREMENT: laboratory results and vital signs with a numeric (or no) value (curated.clinical_event, domain measurement). measurement_concept_id and unit_concept_id 0 (LOINC and UCUM mapping needs the OMOP vocabulary); the LOINC code and UCUM unit are in measurement_source_value and unit_source_value; measurement_type_concept_id 32817 (EHR).
SELECT
  event_id AS measurement_id,
  person_id,
  CAST(0 AS INTEGER) AS measurement_concept_id,
  start_date AS measurement_date,
  start_time AS measurement_datetime,
  strftime(start_time, '%H:%M:%S') AS measurement_time,
  CAST(32817 AS INTEGER) AS measurement_type_concept_id,
  CAST(NULL AS INTEGER) AS operator_concept_id,
  value_number AS value_as_number,
  CAST(NULL AS INTEGER) AS value_as_concept_id,
  CAST(CASE WHEN unit IS NOT NULL THEN 0 END AS INTEGER) AS unit_concept_id,
  range_low,
  range_high,
  provider_id,
  visit_occurrence_id,
  CAST(NULL AS BIGINT) AS visit_detail_id,
  code AS measurement_source_value,
  CAST(0 AS INTEGER) AS measurement_source_concept_id,
  unit AS unit_source_value,
  CAST(NULL AS INTEGER) AS unit_source_concept_id,
  left(coalesce(CAST(value_number AS VARCHAR), value_text), 50) AS value_source_value,
  CAST(NULL AS BIGINT) AS measurement_event_id,
  CAST(NULL AS INTEGER) AS meas_event_field_concept_id
FROM curated.clinical_event
WHERE domain = 'measurement'
