-- @materialized: incremental
-- @unique_key: source_key
-- @incremental_sources: raw.fhir_resources
-- @description: One row per healthcare organization (FHIR Organization resources: hospitals, primary care centres); organization_id is the code HL7 v2 messages use (PV1-19.4, RXA-11.4).
SELECT
  'fhir|Organization/' || resource_id AS source_key,
  'fhir' AS source_kind,
  resource_id AS organization_id,
  json_extract_string(j, '$.identifier[0].value') AS identifier,
  json_extract_string(j, '$.name') AS name,
  json_extract_string(j, '$.type[0].coding[0].code') AS type_code,
  coalesce(json_extract_string(j, '$.type[0].text'), json_extract_string(j, '$.type[0].coding[0].display')) AS type_text,
  json_extract_string(j, '$.address[0].line[0]') AS address_line,
  json_extract_string(j, '$.address[0].city') AS city,
  json_extract_string(j, '$.address[0].state') AS state,
  json_extract_string(j, '$.address[0].postalCode') AS postal_code,
  json_extract_string(j, '$.address[0].country') AS country,
  json_extract_string(j, '$.telecom[0].value') AS phone,
  regexp_replace(json_extract_string(j, '$.partOf.reference'), '^Organization/', '') AS part_of,
  coalesce(try_cast(json_extract(j, '$.active') AS BOOLEAN), true) AS active,
  coalesce(last_updated, received_at) AS record_time,
  received_at AS raw_received_at,
  content_hash AS raw_content_hash
FROM (SELECT *, payload::JSON AS j FROM raw.fhir_resources WHERE resource_type = 'Organization')
QUALIFY row_number() OVER (PARTITION BY source_key ORDER BY record_time DESC, raw_received_at DESC, raw_content_hash DESC) = 1
