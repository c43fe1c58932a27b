-- @materialized: incremental
-- @incremental_by: person_id
-- @key_lookup: normalized.person_link.source_key = normalized.encounter.patient_source_key, normalized.patient.source_key
-- @key_via: curated.care_site.care_site_id = curated.visit_occurrence.care_site_id
-- @description: One row per event of each person in curated.person, in time order: visits (start and end), conditions, measurements, observations, allergies, drug orders, vaccinations, procedures and death, with the code, a description, the OMOP row it became (omop_table, omop_id) and the source record shown (source_table, source_key; source_records counts the copies merged). Times in UTC.
WITH visits AS (
  SELECT
    v.person_id,
    v.visit_start_datetime AS event_time,
    v.visit_end_datetime AS event_end_time,
    'visit' AS event_kind,
    'http://terminology.hl7.org/CodeSystem/v3-ActCode' AS code_system,
    v.visit_source_value AS code,
    CASE v.visit_concept_id WHEN 9201 THEN 'Inpatient visit' WHEN 9202 THEN 'Outpatient visit'
                            WHEN 9203 THEN 'Emergency room visit' ELSE 'Visit' END ||
      coalesce(' at ' || coalesce(c.care_site_name, c.care_site_source_value), '') AS description,
    CAST(coalesce('discharged: ' || v.discharged_to_source_value, NULL) AS VARCHAR) AS value,
    v.visit_occurrence_id,
    v.care_site_id,
    'visit_occurrence' AS omop_table,
    v.visit_occurrence_id AS omop_id,
    'normalized.encounter' AS source_table,
    s.source_key,
    s.source_records
  FROM curated.visit_occurrence v
  JOIN curated.visit_source s ON s.visit_occurrence_id = v.visit_occurrence_id AND s.is_primary
  LEFT JOIN curated.care_site c ON c.care_site_id = v.care_site_id
),
facts AS (
  SELECT
    person_id,
    start_time AS event_time,
    CASE WHEN end_time > start_time THEN end_time END AS event_end_time,
    domain AS event_kind,
    code_system,
    code,
    display AS description,
    CASE WHEN value_number IS NOT NULL THEN CAST(value_number AS VARCHAR) || coalesce(' ' || unit, '')
         ELSE coalesce(value_text, dosage_text) END AS value,
    visit_occurrence_id,
    care_site_id,
    CASE domain WHEN 'condition' THEN 'condition_occurrence' WHEN 'measurement' THEN 'measurement'
                WHEN 'procedure' THEN 'procedure_occurrence' WHEN 'drug' THEN 'drug_exposure'
                WHEN 'vaccine' THEN 'drug_exposure' ELSE 'observation' END AS omop_table,
    event_id AS omop_id,
    source_table,
    source_key,
    source_records
  FROM curated.clinical_event
),
deaths AS (
  SELECT
    d.person_id,
    CAST(d.death_date AS TIMESTAMP) AS event_time,
    CAST(NULL AS TIMESTAMP) AS event_end_time,
    'death' AS event_kind,
    CAST(NULL AS VARCHAR) AS code_system,
    CAST(NULL AS VARCHAR) AS code,
    'Death' AS description,
    CAST(NULL AS VARCHAR) AS value,
    CAST(NULL AS BIGINT) AS visit_occurrence_id,
    CAST(NULL AS BIGINT) AS care_site_id,
    'death' AS omop_table,
    d.person_id AS omop_id,
    'normalized.patient' AS source_table,
    p.person_source_value AS source_key,
    CAST(1 AS BIGINT) AS source_records
  FROM curated.death d
  JOIN curated.person p ON p.person_id = d.person_id
)
SELECT *
FROM (SELECT * FROM visits UNION ALL SELECT * FROM facts UNION ALL SELECT * FROM deaths)
ORDER BY person_id, event_time, event_kind, omop_id
