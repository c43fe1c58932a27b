-- The main job on an embedded lake (make demo): a synthetic region was generated and ingested
-- into the raw layer (scripts/demo); here the raw layer is summarised, shaped into a few
-- partitioned tables, queried, corrected and time-travelled. Everything is synthetic.

-- 0. What arrived, and what was quarantined (nothing is dropped silently).
SELECT kind, count(*) AS files, sum(received) AS received, sum(accepted) AS accepted,
       sum(quarantined) AS quarantined
FROM raw.ingested_files GROUP BY kind ORDER BY kind;

SELECT message_type || '^' || trigger_event AS hl7_message, count(*) AS messages,
       count(DISTINCT sending_application) AS senders
FROM raw.hl7_messages GROUP BY ALL ORDER BY messages DESC LIMIT 6;

SELECT kind, reason_code, count(*) AS records FROM raw.quarantine GROUP BY ALL ORDER BY records DESC;

CREATE SCHEMA IF NOT EXISTS demo;

CREATE TABLE demo.patient AS
SELECT resource_id AS patient_id, payload->>'$.gender' AS gender,
       TRY_CAST(payload->>'$.birthDate' AS DATE) AS birth_date,
       list_filter(CAST(payload->'$.address' AS JSON[]), lambda a: a->>'$.use' = 'home')[1]->>'$.city' AS city
FROM raw.fhir_resources WHERE resource_type = 'Patient';

CREATE TABLE demo.encounter PARTITIONED BY (year(started)) AS
SELECT resource_id AS encounter_id, patient_ref AS patient_id, payload->>'$.class.code' AS class,
       effective_time AS started
FROM raw.fhir_resources WHERE resource_type = 'Encounter';

CREATE TABLE demo.observation PARTITIONED BY (loinc) AS
SELECT resource_id AS observation_id, patient_ref AS patient_id,
       payload->>'$.code.coding[0].code' AS loinc, effective_time AS effective,
       TRY_CAST(payload->>'$.valueQuantity.value' AS DOUBLE) AS value
FROM raw.fhir_resources WHERE resource_type = 'Observation';

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
