-- @materialized: incremental
-- @unique_key: source_key
-- @incremental_sources: raw.fhir_resources
-- @description: One row per practitioner (FHIR Practitioner resources of the regional directory): licence number, name, sex, specialty as text.
SELECT
  'fhir|Practitioner/' || resource_id AS source_key,
  'fhir' AS source_kind,
  resource_id AS practitioner_id,
  v[1] AS licence_number,
  v[2] AS family_name,
  v[3] AS given_name,
  v[4] AS sex,
  coalesce(v[5],
           v[6]) AS specialty,
  v[7] AS specialty_code,
  coalesce(try_cast(v[8] AS BOOLEAN), true) AS active,
  coalesce(last_updated, received_at) AS record_time,
  received_at AS raw_received_at,
  content_hash AS raw_content_hash
FROM (SELECT *, json_extract_string(payload, [  -- one parse; v[i] is the i-th path
      '$.identifier[0].value',                      -- 1
      '$.name[0].family',                           -- 2
      '$.name[0].given[0]',                         -- 3
      '$.gender',                                   -- 4
      '$.qualification[0].code.coding[0].display',  -- 5
      '$.qualification[0].code.text',               -- 6
      '$.qualification[0].code.coding[0].code',     -- 7
      '$.active'                                    -- 8
    ]) AS v FROM raw.fhir_resources WHERE resource_type = 'Practitioner')
QUALIFY row_number() OVER (PARTITION BY source_key ORDER BY record_time DESC, raw_received_at DESC, raw_content_hash DESC) = 1
