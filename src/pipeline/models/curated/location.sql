-- @materialized: table
-- @description: OMOP CDM v5.4 LOCATION: the distinct addresses of patients (municipality and postal code only: street lines are not copied) and of organizations (street, city, postal code). location_id is derived from the address, so it is stable across rebuilds.
WITH addresses AS (
  SELECT CAST(NULL AS VARCHAR) AS address_1, municipality AS city, postal_code AS zip, CAST(NULL AS VARCHAR) AS country
  FROM normalized.patient
  WHERE municipality IS NOT NULL OR postal_code IS NOT NULL
  UNION ALL
  SELECT address_line, city, postal_code, country
  FROM normalized.organization
  WHERE address_line IS NOT NULL OR city IS NOT NULL OR postal_code IS NOT NULL
),
keyed AS (
  SELECT *, 'location|' || coalesce(address_1, '') || '|' || coalesce(city, '') || '|' || coalesce(zip, '') AS location_key
  FROM addresses
)
SELECT
  CAST(md5_number(location_key) >> 68 AS BIGINT) AS location_id,
  address_1,
  CAST(NULL AS VARCHAR) AS address_2,
  city,
  CAST(NULL AS VARCHAR) AS state,
  zip,
  CAST(NULL AS VARCHAR) AS county,
  concat_ws(', ', address_1, concat_ws(' ', zip, city)) AS location_source_value,
  CAST(0 AS INTEGER) AS country_concept_id,
  country AS country_source_value,
  CAST(NULL AS DOUBLE) AS latitude,
  CAST(NULL AS DOUBLE) AS longitude
FROM keyed
QUALIFY row_number() OVER (PARTITION BY location_key ORDER BY country NULLS LAST) = 1
