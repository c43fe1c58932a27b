-- @materialized: incremental
-- @unique_key: source_key
-- @incremental_sources: raw.fhir_resources
-- @description: One row per healthcare organization (FHIR Organization resources: hospitals, primary care centres); organization_id is the code HL7 v2 messages use (PV1-19.4, RXA-11.4).
SELECT
  'fhir|Organization/' || resource_id AS source_key,
  'fhir' AS source_kind,
  resource_id AS organization_id,
  v[1] AS identifier,
  v[2] AS name,
  v[3] AS type_code,
  coalesce(v[4], v[5]) AS type_text,
  v[6] AS address_line,
  v[7] AS city,
  v[8] AS state,
  v[9] AS postal_code,
  v[10] AS country,
  v[11] AS phone,
  regexp_replace(v[12], '^Organization/', '') AS part_of,
  coalesce(try_cast(v[13] AS BOOLEAN), true) AS active,
  coalesce(last_updated, received_at) AS record_time,
  received_at AS raw_received_at,
  content_hash AS raw_content_hash
FROM (SELECT *, json_extract_string(payload, [  -- one parse; v[i] is the i-th path
      '$.identifier[0].value',        -- 1
      '$.name',                       -- 2
      '$.type[0].coding[0].code',     -- 3
      '$.type[0].text',               -- 4
      '$.type[0].coding[0].display',  -- 5
      '$.address[0].line[0]',         -- 6
      '$.address[0].city',            -- 7
      '$.address[0].state',           -- 8
      '$.address[0].postalCode',      -- 9
      '$.address[0].country',         -- 10
      '$.telecom[0].value',           -- 11
      '$.partOf.reference',           -- 12
      '$.active'                      -- 13
    ]) AS v FROM raw.fhir_resources WHERE resource_type = 'Organization')
QUALIFY row_number() OVER (PARTITION BY source_key ORDER BY record_time DESC, raw_received_at DESC, raw_content_hash DESC) = 1
