-- @materialized: incremental
-- @unique_key: source_key
-- @incremental_sources: raw.fhir_resources
-- @description: One row per practitioner (FHIR Practitioner resources of the regional directory): licence number, name, sex, specialty as text.
SELECT
  'fhir|Practitioner/' || resource_id AS source_key,
  'fhir' AS source_kind,
  resource_id AS practitioner_id,
  json_extract_string(j, '$.identifier[0].value') AS licence_number,
  json_extract_string(j, '$.name[0].family') AS family_name,
  json_extract_string(j, '$.name[0].given[0]') AS given_name,
  json_extract_string(j, '$.gender') AS sex,
  coalesce(json_extract_string(j, '$.qualification[0].code.coding[0].display'),
           json_extract_string(j, '$.qualification[0].code.text')) AS specialty,
  json_extract_string(j, '$.qualification[0].code.coding[0].code') AS specialty_code,
  coalesce(try_cast(json_extract(j, '$.active') AS BOOLEAN), true) AS active,
  coalesce(last_updated, received_at) AS record_time,
  received_at AS raw_received_at,
  content_hash AS raw_content_hash
FROM (SELECT *, payload::JSON AS j FROM raw.fhir_resources WHERE resource_type = 'Practitioner')
QUALIFY row_number() OVER (PARTITION BY source_key ORDER BY record_time DESC, raw_received_at DESC, raw_content_hash DESC) = 1
