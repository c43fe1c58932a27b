-- @materialized: table
-- @description: OMOP CDM v5.4 PROVIDER: one row per practitioner of the regional directory. Specialty kept as source text (specialty_concept_id 0: mapping needs the OMOP vocabulary); gender_concept_id 8507 / 8532 / 0. NPI and DEA are US identifiers and stay empty; the Spanish licence number is not copied.
SELECT
  CAST(md5_number('provider|' || practitioner_id) >> 68 AS BIGINT) AS provider_id,
  concat_ws(' ', given_name, family_name) AS provider_name,
  CAST(NULL AS VARCHAR) AS npi,
  CAST(NULL AS VARCHAR) AS dea,
  CAST(0 AS INTEGER) AS specialty_concept_id,
  CAST(NULL AS BIGINT) AS care_site_id,
  CAST(NULL AS INTEGER) AS year_of_birth,
  CAST(CASE sex WHEN 'male' THEN 8507 WHEN 'female' THEN 8532 ELSE 0 END AS INTEGER) AS gender_concept_id,
  practitioner_id AS provider_source_value,
  specialty AS specialty_source_value,
  CAST(0 AS INTEGER) AS specialty_source_concept_id,
  sex AS gender_source_value,
  CAST(0 AS INTEGER) AS gender_source_concept_id
FROM normalized.practitioner
QUALIFY row_number() OVER (PARTITION BY practitioner_id ORDER BY record_time DESC, source_key) = 1
