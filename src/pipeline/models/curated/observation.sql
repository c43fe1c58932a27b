-- @materialized: incremental
-- @incremental_by: person_id
-- @description: OMOP CDM v5.4 OBSERVATION: allergies and intolerances (source code, usually SNOMED CT, in observation_source_value and value_source_value, its text in value_as_string, category in qualifier_source_value) and observations whose value is text or a code (curated.clinical_event, domains allergy and observation). Concept ids 0 (mapping needs the OMOP vocabulary); observation_type_concept_id 32817 (EHR).
SELECT
  event_id AS observation_id,
  person_id,
  CAST(0 AS INTEGER) AS observation_concept_id,
  start_date AS observation_date,
  start_time AS observation_datetime,
  CAST(32817 AS INTEGER) AS observation_type_concept_id,
  value_number AS value_as_number,
  left(CASE WHEN domain = 'allergy' THEN display ELSE value_text END, 60) AS value_as_string,
  CAST(NULL AS INTEGER) AS value_as_concept_id,
  CAST(NULL AS INTEGER) AS qualifier_concept_id,
  CAST(CASE WHEN unit IS NOT NULL THEN 0 END AS INTEGER) AS unit_concept_id,
  provider_id,
  visit_occurrence_id,
  CAST(NULL AS BIGINT) AS visit_detail_id,
  code AS observation_source_value,
  CAST(0 AS INTEGER) AS observation_source_concept_id,
  unit AS unit_source_value,
  category AS qualifier_source_value,
  left(CASE WHEN domain = 'allergy' THEN code ELSE value_text END, 50) AS value_source_value,
  CAST(NULL AS BIGINT) AS observation_event_id,
  CAST(NULL AS INTEGER) AS obs_event_field_concept_id
FROM curated.clinical_event
WHERE domain IN ('allergy', 'observation')
