-- @materialized: incremental
-- @unique_key: source_key
-- @incremental_sources: raw.fhir_resources, raw.hl7_messages
-- @write_order: patient_source_key, source_key
-- @key_index: true
-- @description: One row per allergy or intolerance (FHIR AllergyIntolerance resources; HL7 v2 AL1 segments of ADT messages), SNOMED CT or source codes.
WITH fhir AS (
  SELECT
    'fhir|AllergyIntolerance/' || resource_id AS source_key,
    'fhir' AS source_kind,
    'fhir|' || v[1] AS patient_source_key,
    CASE WHEN v[2] IS NOT NULL
         THEN 'fhir|' || v[2] END AS encounter_source_key,
    v[3] AS clinical_status,
    v[4] AS verification_status,
    v[5] AS type,
    v[6] AS category,
    v[7] AS criticality,
    v[8] AS code_system,
    v[9] AS code,
    coalesce(v[10], v[11]) AS display,
    try_cast(left(v[12], 10) AS DATE) AS recorded_date,
    coalesce(last_updated, received_at) AS record_time,
    received_at AS raw_received_at,
    content_hash AS raw_content_hash
  FROM (SELECT *, json_extract_string(payload, [  -- one parse; v[i] is the i-th path
      '$.patient.reference',                  -- 1
      '$.encounter.reference',                -- 2
      '$.clinicalStatus.coding[0].code',      -- 3
      '$.verificationStatus.coding[0].code',  -- 4
      '$.type',                               -- 5
      '$.category[0]',                        -- 6
      '$.criticality',                        -- 7
      '$.code.coding[0].system',              -- 8
      '$.code.coding[0].code',                -- 9
      '$.code.coding[0].display',             -- 10
      '$.code.text',                          -- 11
      '$.recordedDate'                        -- 12
    ]) AS v FROM raw.fhir_resources WHERE resource_type = 'AllergyIntolerance')
),
al1 AS (
  SELECT *, unnest(hl7_segments(msg, 'AL1')) AS seg,
         list_filter(from_json(patient_identifiers, '[{"id":"VARCHAR","authority":"VARCHAR","type":"VARCHAR"}]'),
                     x -> x.type = 'PI')[1] AS local
  FROM (SELECT *, hl7_text(payload) AS msg FROM raw.hl7_messages WHERE message_type = 'ADT')
),
hl7 AS (
  SELECT
    'hl7|' || coalesce(local.authority, sending_facility) || '|' || local.id || '|' ||
      coalesce(hl7_component(hl7_field(seg, 3), 1), hl7_component(hl7_field(seg, 3), 2), '?') AS source_key,
    'hl7' AS source_kind,
    'hl7|' || coalesce(local.authority, sending_facility) || '|' || local.id AS patient_source_key,
    CAST(NULL AS VARCHAR) AS encounter_source_key,
    'active' AS clinical_status,
    CAST(NULL AS VARCHAR) AS verification_status,
    'allergy' AS type,
    CASE hl7_component(hl7_field(seg, 2), 1) WHEN 'DA' THEN 'medication' WHEN 'FA' THEN 'food'
                                            WHEN 'EA' THEN 'environment' END AS category,
    CASE hl7_component(hl7_field(seg, 4), 1) WHEN 'SV' THEN 'high' WHEN 'MO' THEN 'low' WHEN 'MI' THEN 'low' END AS criticality,
    CASE hl7_component(hl7_field(seg, 3), 3) WHEN 'SCT' THEN 'http://snomed.info/sct' ELSE hl7_component(hl7_field(seg, 3), 3) END AS code_system,
    hl7_component(hl7_field(seg, 3), 1) AS code,
    hl7_component(hl7_field(seg, 3), 2) AS display,
    coalesce(hl7_date(hl7_field(seg, 6)), CAST(message_time AS DATE)) AS recorded_date,
    coalesce(message_time, received_at) AS record_time,
    received_at AS raw_received_at,
    content_hash AS raw_content_hash
  FROM al1
  WHERE local.id IS NOT NULL
)
SELECT * FROM (SELECT * FROM fhir UNION ALL SELECT * FROM hl7)
QUALIFY row_number() OVER (PARTITION BY source_key ORDER BY record_time DESC, raw_received_at DESC, raw_content_hash DESC) = 1
