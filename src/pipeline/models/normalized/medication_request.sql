-- @materialized: incremental
-- @unique_key: source_key
-- @incremental_sources: raw.fhir_resources, raw.hl7_messages
-- @write_order: patient_source_key, source_key
-- @key_index: true
-- @description: One row per medication order (FHIR MedicationRequest resources, HL7 v2 RDE^O11 orders: ORC, RXE, RXR), ATC codes with a format check, times in UTC.
WITH fhir AS (
  SELECT
    'fhir|MedicationRequest/' || resource_id AS source_key,
    'fhir' AS source_kind,
    'fhir|' || v[1] AS patient_source_key,
    CASE WHEN v[2] IS NOT NULL
         THEN 'fhir|' || v[2] END AS encounter_source_key,
    v[3] AS status,
    v[4] AS intent,
    v[5] AS code_system,
    v[6] AS code,
    coalesce(v[7],
             v[8]) AS display,
    v[9] AS dosage_text,
    v[10] AS route_code,
    try_cast(v[11] AS TIMESTAMPTZ) AS authored_time,
    try_cast(left(v[12], 10) AS DATE) AS validity_start,
    try_cast(left(v[13], 10) AS DATE) AS validity_end,
    regexp_replace(v[14], '^Practitioner/', '') AS requester,
    coalesce(last_updated, received_at) AS record_time,
    received_at AS raw_received_at,
    content_hash AS raw_content_hash
  FROM (SELECT *, json_extract_string(payload, [  -- one parse; v[i] is the i-th path
      '$.subject.reference',                            -- 1
      '$.encounter.reference',                          -- 2
      '$.status',                                       -- 3
      '$.intent',                                       -- 4
      '$.medicationCodeableConcept.coding[0].system',   -- 5
      '$.medicationCodeableConcept.coding[0].code',     -- 6
      '$.medicationCodeableConcept.coding[0].display',  -- 7
      '$.medicationCodeableConcept.text',               -- 8
      '$.dosageInstruction[0].text',                    -- 9
      '$.dosageInstruction[0].route.coding[0].code',    -- 10
      '$.authoredOn',                                   -- 11
      '$.dispenseRequest.validityPeriod.start',         -- 12
      '$.dispenseRequest.validityPeriod.end',           -- 13
      '$.requester.reference'                           -- 14
    ]) AS v FROM raw.fhir_resources WHERE resource_type = 'MedicationRequest')
),
rde AS (
  SELECT *, hl7_segment(msg, 'ORC') AS orc, hl7_segment(msg, 'RXE') AS rxe, hl7_segment(msg, 'RXR') AS rxr,
         hl7_segment(msg, 'PV1') AS pv1,
         list_filter(from_json(patient_identifiers, '[{"id":"VARCHAR","authority":"VARCHAR","type":"VARCHAR"}]'),
                     x -> x.type = 'PI')[1] AS local
  FROM (SELECT *, hl7_text(payload) AS msg FROM raw.hl7_messages WHERE message_type = 'RDE')
),
hl7 AS (
  SELECT
    'hl7|' || sending_facility || '|' || coalesce(hl7_component(hl7_field(orc, 2), 1), idempotency_key) AS source_key,
    'hl7' AS source_kind,
    'hl7|' || coalesce(local.authority, sending_facility) || '|' || local.id AS patient_source_key,
    CASE WHEN hl7_component(hl7_field(pv1, 19), 1) IS NOT NULL
         THEN 'hl7|' || coalesce(hl7_component(hl7_field(pv1, 19), 4), sending_facility) || '|' || hl7_component(hl7_field(pv1, 19), 1) END AS encounter_source_key,
    CASE hl7_field(orc, 1) WHEN 'NW' THEN 'active' WHEN 'CA' THEN 'cancelled' WHEN 'DC' THEN 'stopped'
                           WHEN 'HD' THEN 'on-hold' ELSE 'unknown' END AS status,
    'order' AS intent,
    CASE hl7_component(hl7_field(rxe, 2), 3) WHEN 'WHOATC' THEN 'http://www.whocc.no/atc' ELSE hl7_component(hl7_field(rxe, 2), 3) END AS code_system,
    hl7_component(hl7_field(rxe, 2), 1) AS code,
    hl7_component(hl7_field(rxe, 2), 2) AS display,
    hl7_component(hl7_field(rxe, 7), 2) AS dosage_text,
    hl7_component(hl7_field(rxr, 1), 1) AS route_code,
    coalesce(hl7_ts(hl7_field(orc, 9)), message_time) AS authored_time,
    hl7_date(hl7_component(hl7_field(rxe, 1), 4)) AS validity_start,
    hl7_date(hl7_component(hl7_field(rxe, 1), 5)) AS validity_end,
    hl7_component(hl7_field(orc, 12), 1) AS requester,
    coalesce(message_time, received_at) AS record_time,
    received_at AS raw_received_at,
    content_hash AS raw_content_hash
  FROM rde
  WHERE rxe IS NOT NULL AND local.id IS NOT NULL
)
SELECT *, coalesce(code_system = 'http://www.whocc.no/atc', false) AND atc_ok(code) AS code_format_ok
FROM (SELECT * FROM fhir UNION ALL SELECT * FROM hl7)
QUALIFY row_number() OVER (PARTITION BY source_key ORDER BY record_time DESC, raw_received_at DESC, raw_content_hash DESC) = 1
