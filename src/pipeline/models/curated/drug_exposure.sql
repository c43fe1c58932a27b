-- @materialized: incremental
-- @incremental_by: person_id
-- @description: OMOP CDM v5.4 DRUG_EXPOSURE: medication orders (ATC code in drug_source_value; start and end from the order's validity period) and vaccinations (CVX code; one day; lot number) from curated.clinical_event, domains drug and vaccine. drug_concept_id and route_concept_id 0 (ATC/CVX to RxNorm needs the OMOP vocabulary); drug_type_concept_id 32817 (EHR).
SELECT
  event_id AS drug_exposure_id,
  person_id,
  CAST(0 AS INTEGER) AS drug_concept_id,
  start_date AS drug_exposure_start_date,
  start_time AS drug_exposure_start_datetime,
  CASE WHEN end_date >= start_date THEN end_date ELSE start_date END AS drug_exposure_end_date,
  CASE WHEN end_date >= start_date THEN end_time END AS drug_exposure_end_datetime,
  CASE WHEN domain = 'drug' THEN end_date END AS verbatim_end_date,
  CAST(32817 AS INTEGER) AS drug_type_concept_id,
  CAST(CASE WHEN status = 'stopped' THEN 'stopped' END AS VARCHAR) AS stop_reason,
  CAST(NULL AS INTEGER) AS refills,
  CAST(NULL AS DOUBLE) AS quantity,
  CAST(CASE WHEN domain = 'drug' AND end_date >= start_date THEN date_diff('day', start_date, end_date) END AS INTEGER) AS days_supply,
  dosage_text AS sig,
  CAST(CASE WHEN route_code IS NOT NULL THEN 0 END AS INTEGER) AS route_concept_id,
  lot_number,
  provider_id,
  visit_occurrence_id,
  CAST(NULL AS BIGINT) AS visit_detail_id,
  code AS drug_source_value,
  CAST(0 AS INTEGER) AS drug_source_concept_id,
  route_code AS route_source_value,
  CAST(NULL AS VARCHAR) AS dose_unit_source_value
FROM curated.clinical_event
WHERE domain IN ('drug', 'vaccine')
