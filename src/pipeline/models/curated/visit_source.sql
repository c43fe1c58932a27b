-- @materialized: incremental
-- @incremental_by: person_id
-- @key_lookup: normalized.person_link.source_key = normalized.encounter.patient_source_key
-- @description: Which normalized encounters make each OMOP visit. The same visit often arrives from several systems (the hospital's HL7 v2 ADT feed and the regional FHIR server): encounters of one person with the same class, start time and organization are one visit. One row per normalized.encounter of a person in curated.person; is_primary marks the record whose values the visit shows (FHIR first, then the newest).
WITH linked AS (
  SELECT e.source_key, e.source_kind, e.record_time, p.person_id,
         'visit|' || p.person_id || '|' || coalesce(e.class, '') || '|' || strftime(timezone('UTC', e.start_time), '%Y-%m-%dT%H:%M:%S') || '|' ||
           coalesce(regexp_replace(e.organization, '^Organization/', ''), '') AS visit_key
  FROM normalized.encounter e
  JOIN normalized.person_link l ON l.source_key = e.patient_source_key
  JOIN curated.person p ON p.person_id = l.person_id
  WHERE e.start_time IS NOT NULL AND coalesce(e.status, '') NOT IN ('cancelled', 'entered-in-error')
)
SELECT
  source_key,
  person_id,
  CAST(md5_number(visit_key) >> 68 AS BIGINT) AS visit_occurrence_id,
  visit_key,
  row_number() OVER (PARTITION BY visit_key ORDER BY source_kind <> 'fhir', record_time DESC, source_key) = 1 AS is_primary,
  count(*) OVER (PARTITION BY visit_key) AS source_records
FROM linked
