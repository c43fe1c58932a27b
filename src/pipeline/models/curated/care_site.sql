-- @materialized: table
-- @description: OMOP CDM v5.4 CARE_SITE: one row per organization of the regional directory (hospitals, primary care centres) plus any organization code seen on an encounter or vaccination that the directory lacks. place_of_service_concept_id 8717 (Inpatient Hospital) for hospitals, 0 otherwise.
WITH codes AS (
  SELECT organization_id, name, type_text,
         CASE WHEN address_line IS NOT NULL OR city IS NOT NULL OR postal_code IS NOT NULL
              THEN 'location|' || coalesce(address_line, '') || '|' || coalesce(city, '') || '|' || coalesce(postal_code, '') END AS location_key,
         0 AS rank
  FROM normalized.organization
  UNION ALL
  SELECT DISTINCT regexp_replace(organization, '^Organization/', ''), NULL, NULL, NULL, 1
  FROM normalized.encounter
  WHERE organization IS NOT NULL
  UNION ALL
  SELECT DISTINCT location, NULL, NULL, NULL, 1
  FROM normalized.immunization
  WHERE location IS NOT NULL
)
SELECT
  CAST(md5_number('care_site|' || organization_id) >> 68 AS BIGINT) AS care_site_id,
  name AS care_site_name,
  CAST(CASE WHEN type_text = 'Hospital' THEN 8717 ELSE 0 END AS INTEGER) AS place_of_service_concept_id,
  CAST(md5_number(location_key) >> 68 AS BIGINT) AS location_id,
  organization_id AS care_site_source_value,
  type_text AS place_of_service_source_value
FROM codes
QUALIFY row_number() OVER (PARTITION BY organization_id ORDER BY rank, name) = 1
