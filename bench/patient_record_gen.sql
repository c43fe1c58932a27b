-- bench/patient_record_gen.sql: a synthetic normalized layer of @N@ persons for serve_bench.sh
-- (one patient's complete record: FHIR Patient/$everything and the equivalent SQL), generated
-- directly with SQL from range() with deterministic hash-based values (no pipeline run, no real
-- data). Columns and types are those of the pipeline's models (src/pipeline/models/normalized)
-- and of the patient index's normalized.person_link; the FHIR API reads them as
-- src/server/fhir/fhir_store_internal.cc does (person_link.source_key = patient.source_key and
-- = <clinical>.patient_source_key, person_link.person_id = the FHIR Patient id).
--
-- Per person p (person_id = p + 1): 2 source records (a FHIR Patient and an HL7 HIS record),
-- 10 encounters, 30 observations, 5 conditions, 5 medication requests, spread over both records.
-- Procedure, AllergyIntolerance and Immunization tables exist but are empty (as in a lake whose
-- sources send none). Every table is written sorted by its patient key, so a person's rows sit
-- in one narrow key range of each table (two: one per source record), and declares that order
-- (ALTER TABLE ... WRITE ORDERED BY: later writes keep it, and IN lists on the key are read
-- one key at a time), then is rewritten in that order with the layout the pipeline's writes of a
-- sorted table get (CALL medlake.compact: files of at most 64 MiB, 16,384-row groups), as the
-- normalized layer the pipeline writes (models with @write_order) is laid out.
-- @N@ is replaced by serve_bench.sh (sed) before the file is run by `medlake sql -f`.

CREATE SCHEMA IF NOT EXISTS normalized;

CREATE TABLE normalized.person_link AS
SELECT (CASE WHEN r = 0 THEN 'fhir|Patient/pat-' || lpad(CAST(p AS VARCHAR), 9, '0') ELSE 'hl7|HIS|H' || lpad(CAST(p AS VARCHAR), 9, '0') END) AS source_key,
       p + 1 AS person_id,
       CASE WHEN r = 0 THEN 'national_id' ELSE 'health_card' END AS method,
       CAST(1.0 AS DOUBLE) AS score,
       sha256('link' || p || '/' || r) AS raw_content_hash,
       TIMESTAMPTZ '2026-11-01 00:00:00+00' AS updated_at
FROM range(@N@) t(p), range(2) s(r)
ORDER BY person_id, source_key;
ALTER TABLE normalized.person_link WRITE ORDERED BY person_id, source_key;
CALL medlake.compact('normalized.person_link');

CREATE TABLE normalized.patient AS
SELECT (CASE WHEN r = 0 THEN 'fhir|Patient/pat-' || lpad(CAST(p AS VARCHAR), 9, '0') ELSE 'hl7|HIS|H' || lpad(CAST(p AS VARCHAR), 9, '0') END) AS source_key,
       CASE WHEN r = 0 THEN 'fhir' ELSE 'hl7' END AS source_kind,
       CASE WHEN r = 0 THEN 'fhir' ELSE 'HIS' END AS source_system,
       CASE WHEN r = 0 THEN 'pat-' || lpad(CAST(p AS VARCHAR), 9, '0') ELSE 'H' || lpad(CAST(p AS VARCHAR), 9, '0') END AS local_id,
       CASE WHEN r = 0 THEN NULL ELSE 'HIS' END AS assigning_authority,
       lpad(CAST(10000000 + p AS VARCHAR), 8, '0') || substr('TRWAGMYFPDXBNJZSQVHLCKE', CAST((10000000 + p) % 23 AS INTEGER) + 1, 1) AS national_id,
       'BENC' || lpad(CAST(hash(p, 'cip') % 10000000000 AS VARCHAR), 10, '0') AS health_card_id,
       '28' || lpad(CAST(hash(p, 'nuss') % 10000000000 AS VARCHAR), 10, '0') AS social_security_id,
       ['García', 'Fernández', 'González', 'Rodríguez', 'López', 'Martínez', 'Sánchez', 'Pérez'][CAST(hash(p, 'f1') % 8 AS INTEGER) + 1]
         || ' ' || ['Gómez', 'Martín', 'Jiménez', 'Ruiz', 'Hernández', 'Díaz', 'Moreno', 'Álvarez'][CAST(hash(p, 'f2') % 8 AS INTEGER) + 1] AS family_name,
       ['María', 'José', 'Lucía', 'Antonio', 'Carmen', 'Manuel', 'Ana', 'David'][CAST(hash(p, 'g') % 8 AS INTEGER) + 1] AS given_name,
       CASE WHEN hash(p, 'sex') % 2 = 0 THEN 'female' ELSE 'male' END AS sex,
       DATE '1930-01-01' + CAST(hash(p, 'birth') % 33000 AS INTEGER) AS birth_date,
       CAST(NULL AS DATE) AS death_date,
       ['Madrid', 'Móstoles', 'Alcalá de Henares', 'Getafe', 'Leganés'][CAST(hash(p, 'm') % 5 AS INTEGER) + 1] AS municipality,
       '28' || lpad(CAST(hash(p, 'cp') % 1000 AS VARCHAR), 3, '0') AS postal_code,
       '6' || lpad(CAST(hash(p, 'tel') % 100000000 AS VARCHAR), 8, '0') AS phone,
       (TIMESTAMPTZ '2015-01-01 00:00:00+00' + to_minutes(CAST((hash(p, r, 'rt')) % 5616000 AS BIGINT))) AS record_time,
       TIMESTAMPTZ '2026-11-01 00:00:00+00' AS raw_received_at,
       sha256('patient' || p || '/' || r) AS raw_content_hash
FROM range(@N@) t(p), range(2) s(r)
ORDER BY source_key;
ALTER TABLE normalized.patient WRITE ORDERED BY source_key;
CALL medlake.compact('normalized.patient');

CREATE TABLE normalized.encounter AS
SELECT CASE WHEN r = 0 THEN 'fhir|Encounter/enc-' || p || '-' || k ELSE 'hl7|HIS|ADT' || lpad(CAST(p AS VARCHAR), 9, '0') || '|' || k END AS source_key,
       CASE WHEN r = 0 THEN 'fhir' ELSE 'hl7' END AS source_kind,
       (CASE WHEN r = 0 THEN 'fhir|Patient/pat-' || lpad(CAST(p AS VARCHAR), 9, '0') ELSE 'hl7|HIS|H' || lpad(CAST(p AS VARCHAR), 9, '0') END) AS patient_source_key,
       ['AMB', 'AMB', 'AMB', 'EMER', 'IMP'][CAST(h % 5 AS INTEGER) + 1] AS class,
       'finished' AS status,
       (TIMESTAMPTZ '2015-01-01 00:00:00+00' + to_minutes(CAST((h) % 5616000 AS BIGINT))) AS start_time,
       (TIMESTAMPTZ '2015-01-01 00:00:00+00' + to_minutes(CAST((h) % 5616000 AS BIGINT))) + to_minutes(CAST(15 + h % 600 AS BIGINT)) AS end_time,
       'Organization/H0' || CAST(h % 7 AS VARCHAR) AS organization,
       ['Z00.0', 'I10', 'J06.9', 'S52.5', 'E11.9', 'M54.5'][CAST(h % 6 AS INTEGER) + 1] AS reason_code,
       CASE WHEN h % 5 = 4 THEN 'home' ELSE NULL END AS discharge_disposition,
       (TIMESTAMPTZ '2015-01-01 00:00:00+00' + to_minutes(CAST((h) % 5616000 AS BIGINT))) + to_hours(2) AS record_time,
       TIMESTAMPTZ '2026-11-01 00:00:00+00' AS raw_received_at,
       sha256('enc' || i) AS raw_content_hash
FROM (SELECT i, i // 10 AS p, i % 10 AS k, (i % 10) % 2 AS r, hash(i, 'enc') AS h FROM range(@N@ * 10) t(i))
ORDER BY patient_source_key, source_key;
ALTER TABLE normalized.encounter WRITE ORDERED BY patient_source_key, source_key;
CALL medlake.compact('normalized.encounter');

CREATE TABLE normalized.observation AS
SELECT CASE WHEN r = 0 THEN 'fhir|Observation/obs-' || p || '-' || k ELSE 'hl7|LAB|ORU' || lpad(CAST(p AS VARCHAR), 9, '0') || '|' || k END AS source_key,
       CASE WHEN r = 0 THEN 'fhir' ELSE 'hl7' END AS source_kind,
       (CASE WHEN r = 0 THEN 'fhir|Patient/pat-' || lpad(CAST(p AS VARCHAR), 9, '0') ELSE 'hl7|HIS|H' || lpad(CAST(p AS VARCHAR), 9, '0') END) AS patient_source_key,
       'http://loinc.org' AS code_system,
       ['1988-5', '2571-8', '2345-7', '718-7', '2160-0', '6690-2'][c + 1] AS code,
       ['C reactive protein [Mass/volume] in Serum or Plasma', 'Triglyceride [Mass/volume] in Serum or Plasma',
        'Glucose [Mass/volume] in Serum or Plasma', 'Hemoglobin [Mass/volume] in Blood',
        'Creatinine [Mass/volume] in Serum or Plasma', 'Leukocytes [#/volume] in Blood by Automated count'][c + 1] AS display,
       round(CAST(h % 20000 AS DOUBLE) / 100.0, 1) AS value_number,
       CAST(NULL AS VARCHAR) AS value_text,
       ['mg/L', 'mg/dL', 'mg/dL', 'g/dL', 'mg/dL', '10*3/uL'][c + 1] AS unit,
       CAST(0.0 AS DOUBLE) AS reference_low,
       CAST(150.0 AS DOUBLE) AS reference_high,
       CASE WHEN h % 20000 > 15000 THEN 'H' ELSE 'N' END AS interpretation,
       'final' AS status,
       (TIMESTAMPTZ '2015-01-01 00:00:00+00' + to_minutes(CAST((h) % 5616000 AS BIGINT))) AS effective_time,
       (TIMESTAMPTZ '2015-01-01 00:00:00+00' + to_minutes(CAST((h) % 5616000 AS BIGINT))) + to_hours(4) AS record_time,
       TIMESTAMPTZ '2026-11-01 00:00:00+00' AS raw_received_at,
       sha256('obs' || i) AS raw_content_hash,
       TRUE AS code_format_ok
FROM (SELECT i, i // 30 AS p, i % 30 AS k, (i % 30) % 2 AS r, hash(i, 'obs') AS h, CAST(hash(i, 'code') % 6 AS INTEGER) AS c
      FROM range(@N@ * 30) t(i))
ORDER BY patient_source_key, source_key;
ALTER TABLE normalized.observation WRITE ORDERED BY patient_source_key, source_key;
CALL medlake.compact('normalized.observation');

CREATE TABLE normalized.condition AS
SELECT CASE WHEN r = 0 THEN 'fhir|Condition/cond-' || p || '-' || k ELSE 'hl7|HIS|PPR' || lpad(CAST(p AS VARCHAR), 9, '0') || '|' || k END AS source_key,
       CASE WHEN r = 0 THEN 'fhir' ELSE 'hl7' END AS source_kind,
       (CASE WHEN r = 0 THEN 'fhir|Patient/pat-' || lpad(CAST(p AS VARCHAR), 9, '0') ELSE 'hl7|HIS|H' || lpad(CAST(p AS VARCHAR), 9, '0') END) AS patient_source_key,
       CASE WHEN r = 0 THEN 'fhir|Encounter/enc-' || p || '-' || (k * 2 % 10) ELSE 'hl7|HIS|ADT' || lpad(CAST(p AS VARCHAR), 9, '0') || '|' || (k * 2 % 10 + 1) END AS encounter_source_key,
       'http://hl7.org/fhir/sid/icd-10' AS code_system,
       ['I10', 'E11.9', 'J45.9', 'M54.5', 'F32.9'][c + 1] AS code,
       ['Essential (primary) hypertension', 'Type 2 diabetes mellitus without complications', 'Asthma, unspecified',
        'Low back pain', 'Depressive episode, unspecified'][c + 1] AS display,
       CASE WHEN h % 3 = 0 THEN 'resolved' ELSE 'active' END AS clinical_status,
       'problem-list-item' AS category,
       DATE '2000-01-01' + CAST(h % 9000 AS INTEGER) AS onset_date,
       CASE WHEN h % 3 = 0 THEN DATE '2000-01-01' + CAST(h % 9000 AS INTEGER) + 30 ELSE NULL END AS abatement_date,
       (TIMESTAMPTZ '2015-01-01 00:00:00+00' + to_minutes(CAST((h) % 5616000 AS BIGINT))) AS record_time,
       TIMESTAMPTZ '2026-11-01 00:00:00+00' AS raw_received_at,
       sha256('cond' || i) AS raw_content_hash,
       TRUE AS code_format_ok
FROM (SELECT i, i // 5 AS p, i % 5 AS k, (i % 5) % 2 AS r, hash(i, 'cond') AS h, CAST(hash(i, 'code') % 5 AS INTEGER) AS c
      FROM range(@N@ * 5) t(i))
ORDER BY patient_source_key, source_key;
ALTER TABLE normalized.condition WRITE ORDERED BY patient_source_key, source_key;
CALL medlake.compact('normalized.condition');

CREATE TABLE normalized.medication_request AS
SELECT CASE WHEN r = 0 THEN 'fhir|MedicationRequest/med-' || p || '-' || k ELSE 'hl7|HIS|RDE' || lpad(CAST(p AS VARCHAR), 9, '0') || '|' || k END AS source_key,
       CASE WHEN r = 0 THEN 'fhir' ELSE 'hl7' END AS source_kind,
       (CASE WHEN r = 0 THEN 'fhir|Patient/pat-' || lpad(CAST(p AS VARCHAR), 9, '0') ELSE 'hl7|HIS|H' || lpad(CAST(p AS VARCHAR), 9, '0') END) AS patient_source_key,
       CASE WHEN r = 0 THEN 'fhir|Encounter/enc-' || p || '-' || (k * 2 % 10) ELSE 'hl7|HIS|ADT' || lpad(CAST(p AS VARCHAR), 9, '0') || '|' || (k * 2 % 10 + 1) END AS encounter_source_key,
       CASE WHEN h % 4 = 0 THEN 'active' ELSE 'completed' END AS status,
       'order' AS intent,
       'http://www.whocc.no/atc' AS code_system,
       ['J01XX01', 'C09AA02', 'A10BA02', 'N02BE01', 'R03AC02'][c + 1] AS code,
       ['Fosfomicina 3 g', 'Enalapril 10 mg', 'Metformina 850 mg', 'Paracetamol 1 g', 'Salbutamol 100 mcg'][c + 1] AS display,
       '1 comprimido cada 12 horas' AS dosage_text,
       CASE WHEN c = 4 THEN 'RESP' ELSE 'PO' END AS route_code,
       (TIMESTAMPTZ '2015-01-01 00:00:00+00' + to_minutes(CAST((h) % 5616000 AS BIGINT))) AS authored_time,
       CAST((TIMESTAMPTZ '2015-01-01 00:00:00+00' + to_minutes(CAST((h) % 5616000 AS BIGINT))) AS DATE) AS validity_start,
       CAST((TIMESTAMPTZ '2015-01-01 00:00:00+00' + to_minutes(CAST((h) % 5616000 AS BIGINT))) AS DATE) + 30 AS validity_end,
       'PRA' || lpad(CAST(h % 100000 AS VARCHAR), 6, '0') AS requester,
       (TIMESTAMPTZ '2015-01-01 00:00:00+00' + to_minutes(CAST((h) % 5616000 AS BIGINT))) AS record_time,
       TIMESTAMPTZ '2026-11-01 00:00:00+00' AS raw_received_at,
       sha256('med' || i) AS raw_content_hash,
       TRUE AS code_format_ok
FROM (SELECT i, i // 5 AS p, i % 5 AS k, (i % 5) % 2 AS r, hash(i, 'med') AS h, CAST(hash(i, 'code') % 5 AS INTEGER) AS c
      FROM range(@N@ * 5) t(i))
ORDER BY patient_source_key, source_key;
ALTER TABLE normalized.medication_request WRITE ORDERED BY patient_source_key, source_key;
CALL medlake.compact('normalized.medication_request');

CREATE TABLE normalized.procedure (source_key VARCHAR, source_kind VARCHAR, patient_source_key VARCHAR,
  encounter_source_key VARCHAR, status VARCHAR, code_system VARCHAR, code VARCHAR, display VARCHAR,
  start_time TIMESTAMPTZ, end_time TIMESTAMPTZ, performer VARCHAR, record_time TIMESTAMPTZ,
  raw_received_at TIMESTAMPTZ, raw_content_hash VARCHAR);
CREATE TABLE normalized.allergy_intolerance (source_key VARCHAR, source_kind VARCHAR, patient_source_key VARCHAR,
  encounter_source_key VARCHAR, clinical_status VARCHAR, verification_status VARCHAR, type VARCHAR,
  category VARCHAR, criticality VARCHAR, code_system VARCHAR, code VARCHAR, display VARCHAR, recorded_date DATE,
  record_time TIMESTAMPTZ, raw_received_at TIMESTAMPTZ, raw_content_hash VARCHAR);
CREATE TABLE normalized.immunization (source_key VARCHAR, source_kind VARCHAR, patient_source_key VARCHAR,
  encounter_source_key VARCHAR, status VARCHAR, code_system VARCHAR, code VARCHAR, display VARCHAR,
  occurrence_time TIMESTAMPTZ, lot_number VARCHAR, performer VARCHAR, location VARCHAR, record_time TIMESTAMPTZ,
  raw_received_at TIMESTAMPTZ, raw_content_hash VARCHAR);
