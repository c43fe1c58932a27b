-- @materialized: incremental
-- @unique_key: source_key
-- @incremental_sources: raw.fhir_resources, raw.hl7_messages
-- @write_order: patient_source_key, source_key
-- @key_index: true
-- @description: One row per observation (FHIR Observation resources, HL7 v2 OBX segments of ORU messages): LOINC code, value, UCUM unit, reference range, times in UTC.
WITH fhir AS (
  SELECT
    'fhir|Observation/' || resource_id AS source_key,
    'fhir' AS source_kind,
    'fhir|' || v[1] AS patient_source_key,
    v[2] AS code_system,
    v[3] AS code,
    v[4] AS display,
    try_cast(v[5] AS DOUBLE) AS value_number,
    coalesce(v[6], v[7]) AS value_text,
    coalesce(v[8], v[9]) AS unit,
    try_cast(v[10] AS DOUBLE) AS reference_low,
    try_cast(v[11] AS DOUBLE) AS reference_high,
    v[12] AS interpretation,
    v[13] AS status,
    effective_time,
    coalesce(last_updated, received_at) AS record_time,
    received_at AS raw_received_at,
    content_hash AS raw_content_hash
  FROM (SELECT *, json_extract_string(payload, [  -- one parse; v[i] is the i-th path
      '$.subject.reference',                    -- 1
      '$.code.coding[0].system',                -- 2
      '$.code.coding[0].code',                  -- 3
      '$.code.coding[0].display',               -- 4
      '$.valueQuantity.value',                  -- 5
      '$.valueString',                          -- 6
      '$.valueCodeableConcept.coding[0].code',  -- 7
      '$.valueQuantity.code',                   -- 8
      '$.valueQuantity.unit',                   -- 9
      '$.referenceRange[0].low.value',          -- 10
      '$.referenceRange[0].high.value',         -- 11
      '$.interpretation[0].coding[0].code',     -- 12
      '$.status'                                -- 13
    ]) AS v FROM raw.fhir_resources WHERE resource_type = 'Observation')
),
obx AS (
  SELECT *, unnest(hl7_segments(hl7_text(payload), 'OBX')) AS seg,
         list_filter(from_json(patient_identifiers, '[{"id":"VARCHAR","authority":"VARCHAR","type":"VARCHAR"}]'),
                     x -> x.type = 'PI')[1] AS local
  FROM raw.hl7_messages
  WHERE message_type = 'ORU'
),
hl7 AS (
  SELECT
    'hl7|' || idempotency_key || '|' || coalesce(hl7_field(seg, 1), '?') AS source_key,
    'hl7' AS source_kind,
    'hl7|' || coalesce(local.authority, sending_facility) || '|' || local.id AS patient_source_key,
    CASE hl7_component(hl7_field(seg, 3), 3) WHEN 'LN' THEN 'http://loinc.org' ELSE hl7_component(hl7_field(seg, 3), 3) END AS code_system,
    hl7_component(hl7_field(seg, 3), 1) AS code,
    hl7_component(hl7_field(seg, 3), 2) AS display,
    CASE WHEN hl7_field(seg, 2) IN ('NM', 'SN') THEN try_cast(hl7_field(seg, 5) AS DOUBLE) END AS value_number,
    CASE WHEN hl7_field(seg, 2) NOT IN ('NM', 'SN') THEN hl7_unescape(hl7_field(seg, 5)) END AS value_text,
    hl7_component(hl7_field(seg, 6), 1) AS unit,
    try_cast(nullif(split_part(hl7_field(seg, 7), '-', 1), '') AS DOUBLE) AS reference_low,
    try_cast(nullif(split_part(hl7_field(seg, 7), '-', 2), '') AS DOUBLE) AS reference_high,
    hl7_field(seg, 8) AS interpretation,
    CASE hl7_field(seg, 11) WHEN 'F' THEN 'final' WHEN 'P' THEN 'preliminary' WHEN 'C' THEN 'corrected' WHEN 'X' THEN 'cancelled' ELSE 'unknown' END AS status,
    coalesce(hl7_ts(hl7_field(seg, 14)), message_time) AS effective_time,
    coalesce(message_time, received_at) AS record_time,
    received_at AS raw_received_at,
    content_hash AS raw_content_hash
  FROM obx
  WHERE local.id IS NOT NULL
)
SELECT *, coalesce(code_system = 'http://loinc.org', false) AND loinc_ok(code) AS code_format_ok
FROM (SELECT * FROM fhir UNION ALL SELECT * FROM hl7)
QUALIFY row_number() OVER (PARTITION BY source_key ORDER BY record_time DESC, raw_received_at DESC, raw_content_hash DESC) = 1
