-- @materialized: incremental
-- @unique_key: source_key
-- @incremental_sources: raw.fhir_resources, raw.hl7_messages
-- @write_order: source_key
-- @key_index: true
-- @description: One row per patient record of each source system (FHIR Patient resources, HL7 v2 PID segments), newest version; national ids as sent (validated by the patient index).
WITH fhir AS (
  SELECT
    'fhir|Patient/' || resource_id AS source_key,
    'fhir' AS source_kind,
    'fhir' AS source_system,
    resource_id AS local_id,
    CAST(NULL AS VARCHAR) AS assigning_authority,
    list_filter(ids, x -> x.system LIKE '%/dni' OR x.system LIKE '%/nie')[1].value AS national_id,
    list_filter(ids, x -> x.system LIKE '%/cip')[1].value AS health_card_id,
    list_filter(ids, x -> x.system LIKE '%/nuss')[1].value AS social_security_id,
    v[1] AS family_name,
    v[2] AS given_name,
    v[3] AS sex,
    try_cast(v[4] AS DATE) AS birth_date,
    try_cast(left(v[5], 10) AS DATE) AS death_date,
    v[6] AS municipality,
    v[7] AS postal_code,
    v[8] AS phone,
    coalesce(last_updated, received_at) AS record_time,
    received_at AS raw_received_at,
    content_hash AS raw_content_hash
  FROM (
    SELECT *, json_extract_string(payload, [  -- one parse; v[i] is the i-th path
      '$.name[0].family',          -- 1
      '$.name[0].given[0]',        -- 2
      '$.gender',                  -- 3
      '$.birthDate',               -- 4
      '$.deceasedDateTime',        -- 5
      '$.address[-1].city',        -- 6
      '$.address[-1].postalCode',  -- 7
      '$.telecom[0].value',        -- 8
      '$.identifier'               -- 9
    ]) AS v,
           from_json(CAST(v[9] AS JSON), '[{"system":"VARCHAR","value":"VARCHAR"}]') AS ids
    FROM raw.fhir_resources
    WHERE resource_type = 'Patient'
  )
),
hl7 AS (
  SELECT
    'hl7|' || coalesce(local.authority, sending_facility) || '|' || local.id AS source_key,
    'hl7' AS source_kind,
    sending_application || '|' || sending_facility AS source_system,
    local.id AS local_id,
    local.authority AS assigning_authority,
    list_filter(ids, x -> x.type = 'NNESP')[1].id AS national_id,
    list_filter(ids, x -> x.type = 'JHN')[1].id AS health_card_id,
    list_filter(ids, x -> x.type = 'SS')[1].id AS social_security_id,
    hl7_subcomponent(hl7_field(pid, 5), 1, 1) || coalesce(' ' || hl7_subcomponent(hl7_field(pid, 5), 1, 3), '') AS family_name,
    hl7_component(hl7_field(pid, 5), 2) AS given_name,
    CASE hl7_field(pid, 8) WHEN 'F' THEN 'female' WHEN 'M' THEN 'male' WHEN 'O' THEN 'other' WHEN 'U' THEN 'unknown' END AS sex,
    hl7_date(hl7_field(pid, 7)) AS birth_date,
    hl7_date(hl7_field(pid, 29)) AS death_date,
    hl7_component(hl7_field(pid, 11), 3) AS municipality,
    hl7_component(hl7_field(pid, 11), 5) AS postal_code,
    hl7_component(hl7_field(pid, 13), 1) AS phone,
    coalesce(message_time, received_at) AS record_time,
    received_at AS raw_received_at,
    content_hash AS raw_content_hash
  FROM (
    SELECT *, hl7_segment(hl7_text(payload), 'PID') AS pid,
           from_json(patient_identifiers, '[{"id":"VARCHAR","authority":"VARCHAR","type":"VARCHAR"}]') AS ids,
           list_filter(from_json(patient_identifiers, '[{"id":"VARCHAR","authority":"VARCHAR","type":"VARCHAR"}]'),
                       x -> x.type = 'PI')[1] AS local
    FROM raw.hl7_messages
  )
  WHERE pid IS NOT NULL AND local.id IS NOT NULL
)
SELECT * FROM (SELECT * FROM fhir UNION ALL SELECT * FROM hl7)
QUALIFY row_number() OVER (PARTITION BY source_key ORDER BY record_time DESC, raw_received_at DESC, raw_content_hash DESC) = 1
