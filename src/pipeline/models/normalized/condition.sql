-- @materialized: incremental
-- @unique_key: source_key
-- @incremental_sources: raw.fhir_resources, raw.hl7_messages
-- @write_order: patient_source_key, source_key
-- @key_index: true
-- @description: One row per diagnosis (FHIR Condition resources, HL7 v2 DG1 segments of ADT messages), ICD-10 codes with a format check.
WITH fhir AS (
  SELECT
    'fhir|Condition/' || resource_id AS source_key,
    'fhir' AS source_kind,
    'fhir|' || v[1] AS patient_source_key,
    CASE WHEN v[2] IS NOT NULL
         THEN 'fhir|' || v[2] END AS encounter_source_key,
    v[3] AS code_system,
    v[4] AS code,
    v[5] AS display,
    v[6] AS clinical_status,
    v[7] AS category,
    try_cast(left(v[8], 10) AS DATE) AS onset_date,
    try_cast(left(v[9], 10) AS DATE) AS abatement_date,
    coalesce(last_updated, received_at) AS record_time,
    received_at AS raw_received_at,
    content_hash AS raw_content_hash
  FROM (SELECT *, json_extract_string(payload, [  -- one parse; v[i] is the i-th path
      '$.subject.reference',              -- 1
      '$.encounter.reference',            -- 2
      '$.code.coding[0].system',          -- 3
      '$.code.coding[0].code',            -- 4
      '$.code.coding[0].display',         -- 5
      '$.clinicalStatus.coding[0].code',  -- 6
      '$.category[0].coding[0].code',     -- 7
      '$.onsetDateTime',                  -- 8
      '$.abatementDateTime'               -- 9
    ]) AS v FROM raw.fhir_resources WHERE resource_type = 'Condition')
),
dg1 AS (
  SELECT *, unnest(hl7_segments(msg, 'DG1')) AS seg, hl7_segment(msg, 'PV1') AS pv1,
         list_filter(from_json(patient_identifiers, '[{"id":"VARCHAR","authority":"VARCHAR","type":"VARCHAR"}]'),
                     x -> x.type = 'PI')[1] AS local
  FROM (SELECT *, hl7_text(payload) AS msg FROM raw.hl7_messages WHERE message_type = 'ADT')
),
hl7 AS (
  SELECT
    'hl7|' || coalesce(hl7_component(hl7_field(pv1, 19), 4), sending_facility) || '|' ||
      coalesce(hl7_component(hl7_field(pv1, 19), 1), idempotency_key) || '|' || coalesce(hl7_component(hl7_field(seg, 3), 1), '?') AS source_key,
    'hl7' AS source_kind,
    'hl7|' || coalesce(local.authority, sending_facility) || '|' || local.id AS patient_source_key,
    CASE WHEN hl7_field(pv1, 19) IS NOT NULL
         THEN 'hl7|' || coalesce(hl7_component(hl7_field(pv1, 19), 4), sending_facility) || '|' || hl7_component(hl7_field(pv1, 19), 1) END AS encounter_source_key,
    CASE hl7_component(hl7_field(seg, 3), 3) WHEN 'I10' THEN 'http://hl7.org/fhir/sid/icd-10' ELSE hl7_component(hl7_field(seg, 3), 3) END AS code_system,
    hl7_component(hl7_field(seg, 3), 1) AS code,
    hl7_component(hl7_field(seg, 3), 2) AS display,
    'active' AS clinical_status,
    'encounter-diagnosis' AS category,
    CAST(hl7_ts(hl7_field(seg, 5)) AS DATE) AS onset_date,
    CAST(NULL AS DATE) AS abatement_date,
    coalesce(message_time, received_at) AS record_time,
    received_at AS raw_received_at,
    content_hash AS raw_content_hash
  FROM dg1
  WHERE local.id IS NOT NULL
)
SELECT *, coalesce(code_system = 'http://hl7.org/fhir/sid/icd-10', false) AND icd10_ok(code) AS code_format_ok
FROM (SELECT * FROM fhir UNION ALL SELECT * FROM hl7)
QUALIFY row_number() OVER (PARTITION BY source_key ORDER BY record_time DESC, raw_received_at DESC, raw_content_hash DESC) = 1
