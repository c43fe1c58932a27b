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
    'fhir|' || json_extract_string(j, '$.subject.reference') AS patient_source_key,
    CASE WHEN json_extract_string(j, '$.encounter.reference') IS NOT NULL
         THEN 'fhir|' || json_extract_string(j, '$.encounter.reference') END AS encounter_source_key,
    json_extract_string(j, '$.code.coding[0].system') AS code_system,
    json_extract_string(j, '$.code.coding[0].code') AS code,
    json_extract_string(j, '$.code.coding[0].display') AS display,
    json_extract_string(j, '$.clinicalStatus.coding[0].code') AS clinical_status,
    json_extract_string(j, '$.category[0].coding[0].code') AS category,
    try_cast(left(json_extract_string(j, '$.onsetDateTime'), 10) AS DATE) AS onset_date,
    try_cast(left(json_extract_string(j, '$.abatementDateTime'), 10) AS DATE) AS abatement_date,
    coalesce(last_updated, received_at) AS record_time,
    received_at AS raw_received_at,
    content_hash AS raw_content_hash
  FROM (SELECT *, payload::JSON AS j FROM raw.fhir_resources WHERE resource_type = 'Condition')
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
