-- @materialized: incremental
-- @unique_key: source_key
-- @incremental_sources: raw.fhir_resources, raw.hl7_messages
-- @write_order: patient_source_key, source_key
-- @key_index: true
-- @description: One row per encounter (FHIR Encounter resources; HL7 v2 ADT visits by PV1-19 visit number, state of the newest message), times in UTC.
WITH fhir AS (
  SELECT
    'fhir|Encounter/' || resource_id AS source_key,
    'fhir' AS source_kind,
    'fhir|' || v[1] AS patient_source_key,
    v[2] AS class,
    v[3] AS status,
    try_cast(v[4] AS TIMESTAMPTZ) AS start_time,
    try_cast(v[5] AS TIMESTAMPTZ) AS end_time,
    v[6] AS organization,
    v[7] AS reason_code,
    v[8] AS discharge_disposition,
    coalesce(last_updated, received_at) AS record_time,
    received_at AS raw_received_at,
    content_hash AS raw_content_hash
  FROM (SELECT *, json_extract_string(payload, [  -- one parse; v[i] is the i-th path
      '$.subject.reference',                                    -- 1
      '$.class.code',                                           -- 2
      '$.status',                                               -- 3
      '$.period.start',                                         -- 4
      '$.period.end',                                           -- 5
      '$.serviceProvider.reference',                            -- 6
      '$.reasonCode[0].coding[0].code',                         -- 7
      '$.hospitalization.dischargeDisposition.coding[0].code'   -- 8
    ]) AS v FROM raw.fhir_resources WHERE resource_type = 'Encounter')
),
adt AS (
  SELECT *, hl7_segment(msg, 'PV1') AS pv1,
         list_filter(from_json(patient_identifiers, '[{"id":"VARCHAR","authority":"VARCHAR","type":"VARCHAR"}]'),
                     x -> x.type = 'PI')[1] AS local
  FROM (SELECT *, hl7_text(payload) AS msg FROM raw.hl7_messages WHERE message_type = 'ADT')
),
hl7 AS (
  SELECT
    'hl7|' || coalesce(hl7_component(hl7_field(pv1, 19), 4), sending_facility) || '|' || hl7_component(hl7_field(pv1, 19), 1) AS source_key,
    'hl7' AS source_kind,
    'hl7|' || coalesce(local.authority, sending_facility) || '|' || local.id AS patient_source_key,
    CASE hl7_field(pv1, 2) WHEN 'E' THEN 'EMER' WHEN 'I' THEN 'IMP' WHEN 'O' THEN 'AMB' ELSE hl7_field(pv1, 2) END AS class,
    CASE WHEN trigger_event IN ('A03') THEN 'finished'
         WHEN trigger_event IN ('A11') THEN 'cancelled'  -- cancel admit/visit
         WHEN trigger_event IN ('A01', 'A02', 'A06', 'A07', 'A13') THEN 'in-progress'  -- A13: discharge cancelled
         WHEN trigger_event IN ('A05', 'A14') THEN 'planned'
         ELSE 'arrived' END AS status,
    hl7_ts(hl7_field(pv1, 44)) AS start_time,
    hl7_ts(hl7_field(pv1, 45)) AS end_time,
    hl7_component(hl7_field(pv1, 19), 4) AS organization,
    CAST(NULL AS VARCHAR) AS reason_code,
    hl7_field(pv1, 36) AS discharge_disposition,
    coalesce(message_time, received_at) AS record_time,
    received_at AS raw_received_at,
    content_hash AS raw_content_hash
  FROM adt
  WHERE pv1 IS NOT NULL AND hl7_component(hl7_field(pv1, 19), 1) IS NOT NULL AND local.id IS NOT NULL
)
SELECT * FROM (SELECT * FROM fhir UNION ALL SELECT * FROM hl7)
QUALIFY row_number() OVER (PARTITION BY source_key ORDER BY record_time DESC, raw_received_at DESC, raw_content_hash DESC) = 1
