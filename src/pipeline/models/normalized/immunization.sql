-- @materialized: incremental
-- @unique_key: source_key
-- @incremental_sources: raw.fhir_resources, raw.hl7_messages
-- @write_order: patient_source_key, source_key
-- @key_index: true
-- @description: One row per vaccination (FHIR Immunization resources, HL7 v2 RXA segments of VXU^V04 messages): CVX code, lot, performer, time in UTC.
WITH fhir AS (
  SELECT
    'fhir|Immunization/' || resource_id AS source_key,
    'fhir' AS source_kind,
    'fhir|' || v[1] AS patient_source_key,
    CASE WHEN v[2] IS NOT NULL
         THEN 'fhir|' || v[2] END AS encounter_source_key,
    v[3] AS status,
    v[4] AS code_system,
    v[5] AS code,
    v[6] AS display,
    try_cast(v[7] AS TIMESTAMPTZ) AS occurrence_time,
    v[8] AS lot_number,
    regexp_replace(v[9], '^Practitioner/', '') AS performer,
    regexp_replace(v[10], '^Location/', '') AS location,
    coalesce(last_updated, received_at) AS record_time,
    received_at AS raw_received_at,
    content_hash AS raw_content_hash
  FROM (SELECT *, json_extract_string(payload, [  -- one parse; v[i] is the i-th path
      '$.patient.reference',              -- 1
      '$.encounter.reference',            -- 2
      '$.status',                         -- 3
      '$.vaccineCode.coding[0].system',   -- 4
      '$.vaccineCode.coding[0].code',     -- 5
      '$.vaccineCode.coding[0].display',  -- 6
      '$.occurrenceDateTime',             -- 7
      '$.lotNumber',                      -- 8
      '$.performer[0].actor.reference',   -- 9
      '$.location.reference'              -- 10
    ]) AS v FROM raw.fhir_resources WHERE resource_type = 'Immunization')
),
rxa AS (
  SELECT *, unnest(hl7_segments(msg, 'RXA')) AS seg, hl7_segment(msg, 'ORC') AS orc,
         list_filter(from_json(patient_identifiers, '[{"id":"VARCHAR","authority":"VARCHAR","type":"VARCHAR"}]'),
                     x -> x.type = 'PI')[1] AS local
  FROM (SELECT *, hl7_text(payload) AS msg FROM raw.hl7_messages WHERE message_type = 'VXU')
),
hl7 AS (
  SELECT
    'hl7|' || sending_facility || '|' ||
      coalesce(hl7_component(hl7_field(orc, 3), 1), idempotency_key || '|' || coalesce(hl7_field(seg, 1), '?')) AS source_key,
    'hl7' AS source_kind,
    'hl7|' || coalesce(local.authority, sending_facility) || '|' || local.id AS patient_source_key,
    CAST(NULL AS VARCHAR) AS encounter_source_key,
    CASE hl7_field(seg, 20) WHEN 'CP' THEN 'completed' WHEN 'PA' THEN 'completed' WHEN 'RE' THEN 'not-done'
                            WHEN 'NA' THEN 'not-done' ELSE 'completed' END AS status,
    CASE hl7_component(hl7_field(seg, 5), 3) WHEN 'CVX' THEN 'http://hl7.org/fhir/sid/cvx' ELSE hl7_component(hl7_field(seg, 5), 3) END AS code_system,
    hl7_component(hl7_field(seg, 5), 1) AS code,
    hl7_component(hl7_field(seg, 5), 2) AS display,
    coalesce(hl7_ts(hl7_field(seg, 3)), message_time) AS occurrence_time,
    hl7_unescape(hl7_field(seg, 15)) AS lot_number,
    hl7_component(hl7_field(seg, 10), 1) AS performer,
    hl7_component(hl7_field(seg, 11), 4) AS location,
    coalesce(message_time, received_at) AS record_time,
    received_at AS raw_received_at,
    content_hash AS raw_content_hash
  FROM rxa
  WHERE local.id IS NOT NULL AND coalesce(hl7_field(seg, 21), 'A') <> 'D'
)
SELECT * FROM (SELECT * FROM fhir UNION ALL SELECT * FROM hl7)
QUALIFY row_number() OVER (PARTITION BY source_key ORDER BY record_time DESC, raw_received_at DESC, raw_content_hash DESC) = 1
