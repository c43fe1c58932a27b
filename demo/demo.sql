-- The main job on an embedded lake (make demo): a synthetic region was generated, ingested into
-- the raw layer and run through the models (scripts/demo). Here each layer is summarised and
-- queried. Everything is synthetic.

-- 1. Raw: what arrived, and what was quarantined (nothing is dropped silently).
SELECT kind, count(*) AS files, sum(received) AS received, sum(accepted) AS accepted,
       sum(quarantined) AS quarantined
FROM raw.ingested_files GROUP BY kind ORDER BY kind;

-- 2. The layers: rows per table.
SELECT 'raw' AS layer, 'hl7_messages' AS "table", count(*) AS "rows" FROM raw.hl7_messages
UNION ALL SELECT 'raw', 'fhir_resources', count(*) FROM raw.fhir_resources
UNION ALL SELECT 'raw', 'quarantine', count(*) FROM raw.quarantine
UNION ALL SELECT 'normalized', 'patient', count(*) FROM normalized.patient
UNION ALL SELECT 'normalized', 'encounter', count(*) FROM normalized.encounter
UNION ALL SELECT 'normalized', 'condition', count(*) FROM normalized.condition
UNION ALL SELECT 'normalized', 'observation', count(*) FROM normalized.observation
UNION ALL SELECT 'normalized', 'medication_request', count(*) FROM normalized.medication_request
UNION ALL SELECT 'curated', 'person', count(*) FROM curated.person
UNION ALL SELECT 'curated', 'visit_occurrence', count(*) FROM curated.visit_occurrence
UNION ALL SELECT 'curated', 'condition_occurrence', count(*) FROM curated.condition_occurrence
UNION ALL SELECT 'curated', 'measurement', count(*) FROM curated.measurement
UNION ALL SELECT 'curated', 'drug_exposure', count(*) FROM curated.drug_exposure
UNION ALL SELECT 'curated', 'patient_timeline', count(*) FROM curated.patient_timeline;

-- 3. The patient index: source records per enterprise person, and how they were linked.
SELECT count(*) AS source_records, count(DISTINCT person_id) AS persons,
       round(count(*) / count(DISTINCT person_id), 2) AS records_per_person
FROM normalized.person_link;
SELECT method, count(*) AS records FROM normalized.person_link GROUP BY method ORDER BY records DESC;

-- 4. Data quality: the rules that found problems (see also: medlake quality).$
SELECT model, rule, severity, source, sum(rows_failed) AS rows_failed, sum(rows_checked) AS rows_checked
FROM quality.results WHERE rows_failed > 0 GROUP BY ALL ORDER BY rows_failed DESC LIMIT 8;

-- 5. OMOP CDM: the population by sex and age group.
SELECT CASE gender_concept_id WHEN 8507 THEN 'male' WHEN 8532 THEN 'female' ELSE 'other' END AS sex,
       (2025 - year_of_birth) // 20 * 20 AS age_from, count(*) AS persons
FROM curated.person GROUP BY ALL ORDER BY sex, age_from;

-- 6. Diabetes follow-up from every source: HbA1c (LOINC 4548-4) per year.
SELECT year(effective_time) AS year, count(*) AS tests, count(DISTINCT patient_source_key) AS records,
       round(avg(value_number), 2) AS mean_hba1c_pct, count(*) FILTER (WHERE value_number >= 7) AS above_target
FROM normalized.observation WHERE code = '4548-4' GROUP BY ALL ORDER BY year DESC LIMIT 5;

-- 7. The busiest hospital days (curated daily activity).
SELECT activity_date, organization_name, encounters, admissions, discharges, inpatients_in_bed
FROM curated.daily_activity WHERE organization_type <> 'Centro de Salud'
ORDER BY encounters DESC, activity_date LIMIT 5;

-- 8. One person's unified timeline, merged from every source system.
SELECT event_time, event_kind, code, description, source_records
FROM curated.patient_timeline
WHERE person_id = (SELECT person_id FROM curated.patient_timeline GROUP BY person_id
                   HAVING count(DISTINCT event_kind) >= 4 ORDER BY person_id LIMIT 1)
ORDER BY event_time DESC LIMIT 8;

-- 9. Every model commit is an Iceberg snapshot: the history of normalized.observation.
SELECT s.sequence_number, s.operation, s.summary['added-records'] AS added_records,
       s.summary['total-records'] AS total_records
FROM normalized."observation$snapshots" s ORDER BY s.sequence_number;
