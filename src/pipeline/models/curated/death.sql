-- @materialized: incremental
-- @incremental_by: person_id
-- @key_lookup: normalized.person_link.source_key = normalized.patient.source_key
-- @description: OMOP CDM v5.4 DEATH: at most one row per person in curated.person whose records carry a date of death (FHIR deceasedDateTime, HL7 v2 PID-29); the regional master (FHIR) first, then the newest record. death_type_concept_id 32817 (EHR); the cause is not in the sources.
SELECT
  p.person_id,
  r.death_date,
  CAST(NULL AS TIMESTAMP) AS death_datetime,
  CAST(32817 AS INTEGER) AS death_type_concept_id,
  CAST(NULL AS INTEGER) AS cause_concept_id,
  CAST(NULL AS VARCHAR) AS cause_source_value,
  CAST(NULL AS INTEGER) AS cause_source_concept_id
FROM normalized.patient r
JOIN normalized.person_link l ON l.source_key = r.source_key
JOIN curated.person p ON p.person_id = l.person_id
WHERE r.death_date IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY p.person_id ORDER BY r.source_kind <> 'fhir', r.record_time DESC, r.source_key) = 1
