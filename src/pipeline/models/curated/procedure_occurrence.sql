-- @materialized: incremental
-- @incremental_by: person_id
-- @description: OMOP CDM v5.4 PROCEDURE_OCCURRENCE: procedures (curated.clinical_event, domain procedure; from FHIR Procedure and HL7 v2 PR1). procedure_concept_id 0 (mapping needs the OMOP vocabulary); the source code is in procedure_source_value; procedure_type_concept_id 32817 (EHR).
SELECT
  event_id AS procedure_occurrence_id,
  person_id,
  CAST(0 AS INTEGER) AS procedure_concept_id,
  start_date AS procedure_date,
  start_time AS procedure_datetime,
  CASE WHEN end_date >= start_date THEN end_date END AS procedure_end_date,
  CASE WHEN end_date >= start_date THEN end_time END AS procedure_end_datetime,
  CAST(32817 AS INTEGER) AS procedure_type_concept_id,
  CAST(NULL AS INTEGER) AS modifier_concept_id,
  CAST(NULL AS INTEGER) AS quantity,
  provider_id,
  visit_occurrence_id,
  CAST(NULL AS BIGINT) AS visit_detail_id,
  code AS procedure_source_value,
  CAST(0 AS INTEGER) AS procedure_source_concept_id,
  CAST(NULL AS VARCHAR) AS modifier_source_value
FROM curated.clinical_event
WHERE domain = 'procedure'
