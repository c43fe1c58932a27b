-- @materialized: incremental
-- @incremental_by: person_id
-- @key_lookup: normalized.person_link.source_key = normalized.patient.source_key
-- @description: OMOP CDM v5.4 PERSON: one row per person of the patient index (normalized.person_link) with a known year of birth. Demographics come from one record per person: a record with birth date and sex, the regional master (FHIR) first, then the newest. gender_concept_id 8507 male / 8532 female / 0 other or unknown; race and ethnicity are not recorded in the sources (0).
WITH records AS (
  SELECT l.person_id, p.*
  FROM normalized.person_link l
  JOIN normalized.patient p ON p.source_key = l.source_key
  WHERE l.person_id IS NOT NULL
),
chosen AS (
  SELECT *
  FROM records
  QUALIFY row_number() OVER (
    PARTITION BY person_id
    ORDER BY birth_date IS NULL, coalesce(sex IN ('male', 'female'), false) DESC, source_kind <> 'fhir',
             record_time DESC, source_key) = 1
)
SELECT
  CAST(person_id AS BIGINT) AS person_id,
  CAST(CASE sex WHEN 'male' THEN 8507 WHEN 'female' THEN 8532 ELSE 0 END AS INTEGER) AS gender_concept_id,
  CAST(year(birth_date) AS INTEGER) AS year_of_birth,
  CAST(month(birth_date) AS INTEGER) AS month_of_birth,
  CAST(day(birth_date) AS INTEGER) AS day_of_birth,
  CAST(birth_date AS TIMESTAMP) AS birth_datetime,
  CAST(0 AS INTEGER) AS race_concept_id,
  CAST(0 AS INTEGER) AS ethnicity_concept_id,
  CASE WHEN municipality IS NOT NULL OR postal_code IS NOT NULL
       THEN CAST(md5_number('location||' || coalesce(municipality, '') || '|' || coalesce(postal_code, '')) >> 68 AS BIGINT)
  END AS location_id,
  CAST(NULL AS BIGINT) AS provider_id,
  CAST(NULL AS BIGINT) AS care_site_id,
  source_key AS person_source_value,
  sex AS gender_source_value,
  CAST(0 AS INTEGER) AS gender_source_concept_id,
  CAST(NULL AS VARCHAR) AS race_source_value,
  CAST(NULL AS INTEGER) AS race_source_concept_id,
  CAST(NULL AS VARCHAR) AS ethnicity_source_value,
  CAST(NULL AS INTEGER) AS ethnicity_source_concept_id
FROM chosen
WHERE birth_date IS NOT NULL
