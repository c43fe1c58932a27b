-- The main job on an embedded lake (make demo). Until the ingestion issue lands, the synthetic
-- FHIR output of `medlake synth` is loaded with DuckDB's JSON reader straight into Iceberg
-- tables of the lake; then a few queries, a correction and time travel.
-- Everything here is synthetic: there is no patient data.

CREATE SCHEMA IF NOT EXISTS demo;

CREATE TABLE demo.patient AS
SELECT id AS patient_id, gender, CAST(birthDate AS DATE) AS birth_date,
       list_filter(address, a -> a.use = 'home')[1].city AS city,
       list_filter(address, a -> a.use = 'home')[1].postalCode AS postal_code
FROM read_json('__SYNTH__/fhir/Patient.ndjson', format = 'newline_delimited');

CREATE TABLE demo.encounter PARTITIONED BY (year(started)) AS
SELECT id AS encounter_id, replace(subject.reference, 'Patient/', '') AS patient_id,
       class.code AS class, CAST(period."start" AS TIMESTAMPTZ) AS started,
       replace(serviceProvider.reference, 'Organization/', '') AS provider,
       reasonCode[1].coding[1].code AS reason_icd10
FROM read_json('__SYNTH__/fhir/Encounter.ndjson', format = 'newline_delimited');

CREATE TABLE demo.observation PARTITIONED BY (loinc) AS
SELECT id AS observation_id, replace(subject.reference, 'Patient/', '') AS patient_id,
       code.coding[1].code AS loinc, CAST(effectiveDateTime AS TIMESTAMPTZ) AS effective,
       CAST(valueQuantity.value AS DOUBLE) AS value, valueQuantity.unit AS unit
FROM read_json('__SYNTH__/fhir/Observation.ndjson', format = 'newline_delimited');

-- 1. The population by municipality.
SELECT city, count(*) AS residents, round(avg(date_diff('year', birth_date, DATE '2025-12-31')), 1) AS mean_age
FROM demo.patient GROUP BY city ORDER BY residents DESC LIMIT 5;

-- 2. Activity by encounter class and year (the table is partitioned by year).
SELECT year(started) AS year, class, count(*) AS encounters
FROM demo.encounter WHERE started >= TIMESTAMPTZ '2023-01-01 00:00:00+00'
GROUP BY ALL ORDER BY year, encounters DESC;

-- 3. Diabetes follow-up: HbA1c (LOINC 4548-4) per year, a pruned scan of one partition.
SELECT year(effective) AS year, count(*) AS tests, round(avg(value), 2) AS mean_hba1c_pct,
       count(*) FILTER (WHERE value >= 7) AS above_target
FROM demo.observation WHERE loinc = '4548-4' GROUP BY ALL ORDER BY year LIMIT 6;

-- 4. A late correction from the lab (one snapshot), and the table before it (time travel).
UPDATE demo.observation SET value = round(value * 10) / 10 WHERE loinc = '4548-4';
SELECT s.sequence_number, s.operation, s.summary['added-records'] AS added_records
FROM demo."observation$snapshots" s ORDER BY s.sequence_number;
SELECT count(*) AS hba1c_tests_before_correction
FROM demo.observation AT (VERSION => (SELECT min(snapshot_id) FROM demo."observation$snapshots"))
WHERE loinc = '4548-4';
