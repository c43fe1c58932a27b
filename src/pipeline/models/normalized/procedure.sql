-- @materialized: incremental
-- @unique_key: source_key
-- @incremental_sources: raw.fhir_resources, raw.hl7_messages
-- @write_order: patient_source_key, source_key
-- @key_index: true
-- @description: One row per procedure (FHIR Procedure resources, HL7 v2 PR1 segments of ADT messages), times in UTC.
WITH fhir AS (
  SELECT
    'fhir|Procedure/' || resource_id AS source_key,
    'fhir' AS source_kind,
    'fhir|' || v[1] AS patient_source_key,
    CASE WHEN v[2] IS NOT NULL
         THEN 'fhir|' || v[2] END AS encounter_source_key,
    v[3] AS status,
    v[4] AS code_system,
    v[5] AS code,
    coalesce(v[6], v[7]) AS display,
    try_cast(coalesce(v[8], v[9]) AS TIMESTAMPTZ) AS start_time,
    try_cast(v[10] AS TIMESTAMPTZ) AS end_time,
    regexp_replace(v[11], '^Practitioner/', '') AS performer,
    coalesce(last_updated, received_at) AS record_time,
    received_at AS raw_received_at,
    content_hash AS raw_content_hash
  FROM (SELECT *, json_extract_string(payload, [  -- one parse; v[i] is the i-th path
      '$.subject.reference',             -- 1
      '$.encounter.reference',           -- 2
      '$.status',                        -- 3
      '$.code.coding[0].system',         -- 4
      '$.code.coding[0].code',           -- 5
      '$.code.coding[0].display',        -- 6
      '$.code.text',                     -- 7
      '$.performedDateTime',             -- 8
      '$.performedPeriod.start',         -- 9
      '$.performedPeriod.end',           -- 10
      '$.performer[0].actor.reference'   -- 11
    ]) AS v FROM raw.fhir_resources WHERE resource_type = 'Procedure')
),
pr1 AS (
  SELECT *, unnest(hl7_segments(msg, 'PR1')) AS seg, hl7_segment(msg, 'PV1') AS pv1,
         list_filter(from_json(patient_identifiers, '[{"id":"VARCHAR","authority":"VARCHAR","type":"VARCHAR"}]'),
                     x -> x.type = 'PI')[1] AS local
  FROM (SELECT *, hl7_text(payload) AS msg FROM raw.hl7_messages WHERE message_type = 'ADT')
),
hl7 AS (
  SELECT
    'hl7|' || coalesce(hl7_component(hl7_field(pv1, 19), 4), sending_facility) || '|' ||
      coalesce(hl7_component(hl7_field(pv1, 19), 1), idempotency_key) || '|' ||
      coalesce(hl7_component(hl7_field(seg, 3), 1), '?') || '|' || coalesce(hl7_field(seg, 5), '') AS source_key,
    'hl7' AS source_kind,
    'hl7|' || coalesce(local.authority, sending_facility) || '|' || local.id AS patient_source_key,
    CASE WHEN hl7_component(hl7_field(pv1, 19), 1) IS NOT NULL
         THEN 'hl7|' || coalesce(hl7_component(hl7_field(pv1, 19), 4), sending_facility) || '|' || hl7_component(hl7_field(pv1, 19), 1) END AS encounter_source_key,
    'completed' AS status,
    CASE hl7_component(hl7_field(seg, 3), 3) WHEN 'SCT' THEN 'http://snomed.info/sct'
                                            WHEN 'I10P' THEN 'http://www.cms.gov/Medicare/Coding/ICD10'
                                            ELSE hl7_component(hl7_field(seg, 3), 3) END AS code_system,
    hl7_component(hl7_field(seg, 3), 1) AS code,
    coalesce(hl7_component(hl7_field(seg, 3), 2), hl7_unescape(hl7_field(seg, 4))) AS display,
    coalesce(hl7_ts(hl7_field(seg, 5)), message_time) AS start_time,
    CAST(NULL AS TIMESTAMPTZ) AS end_time,
    hl7_component(hl7_field(seg, 12), 1) AS performer,
    coalesce(message_time, received_at) AS record_time,
    received_at AS raw_received_at,
    content_hash AS raw_content_hash
  FROM pr1
  WHERE local.id IS NOT NULL
)
SELECT * FROM (SELECT * FROM fhir UNION ALL SELECT * FROM hl7)
QUALIFY row_number() OVER (PARTITION BY source_key ORDER BY record_time DESC, raw_received_at DESC, raw_content_hash DESC) = 1
