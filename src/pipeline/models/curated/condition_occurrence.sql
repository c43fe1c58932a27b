-- @materialized: incremental
-- @incremental_by: person_id
-- @description: OMOP CDM v5.4 CONDITION_OCCURRENCE: diagnoses and problem-list entries (curated.clinical_event, domain condition), one row per condition of a person and visit. condition_concept_id 0 (ICD-10 to SNOMED needs the OMOP vocabulary); the ICD-10 code is in condition_source_value; condition_type_concept_id 32817 (EHR).
SELECT
  event_id AS condition_occurrence_id,
  person_id,
  CAST(0 AS INTEGER) AS condition_concept_id,
  start_date AS condition_start_date,
  start_time AS condition_start_datetime,
  end_date AS condition_end_date,
  end_time AS condition_end_datetime,
  CAST(32817 AS INTEGER) AS condition_type_concept_id,
  CAST(NULL AS INTEGER) AS condition_status_concept_id,
  CAST(NULL AS VARCHAR) AS stop_reason,
  provider_id,
  visit_occurrence_id,
  CAST(NULL AS BIGINT) AS visit_detail_id,
  code AS condition_source_value,
  CAST(0 AS INTEGER) AS condition_source_concept_id,
  category AS condition_status_source_value
FROM curated.clinical_event
WHERE domain = 'condition'
