-- @materialized: incremental
-- @incremental_by: person_id
-- @key_lookup: normalized.person_link.source_key = normalized.allergy_intolerance.patient_source_key, normalized.condition.patient_source_key, normalized.immunization.patient_source_key, normalized.medication_request.patient_source_key, normalized.observation.patient_source_key, normalized.procedure.patient_source_key
-- @key_via: curated.provider.provider_source_value = normalized.medication_request.requester, normalized.immunization.performer, normalized.procedure.performer
-- @key_via: curated.care_site.care_site_source_value = normalized.immunization.location
-- @description: One row per clinical fact of a person in curated.person, after merging the copies that different systems send of the same fact (the hospital HL7 v2 feeds and the regional FHIR server). Facts are matched within a person by code and time: conditions by code and visit (or onset date), measurements and observations by code, time and value, drug orders by code and order time, vaccinations by code and time, procedures by code and start, allergies by code. Values come from one record (FHIR first, then the newest), gaps filled from the others. The OMOP fact tables and the timeline are projections of this table. domain: condition, measurement, observation, allergy, drug, vaccine, procedure.
WITH persons AS (
  SELECT l.source_key, p.person_id
  FROM normalized.person_link l
  JOIN curated.person p ON p.person_id = l.person_id
),
conditions AS (
  SELECT
    'condition' AS domain, 'normalized.condition' AS source_table, c.source_key, c.source_kind, c.record_time,
    p.person_id, v.visit_occurrence_id,
    coalesce(c.code_system, '') || '|' || coalesce(c.code, '') || '|' ||
      coalesce('visit:' || v.visit_occurrence_id, 'onset:' || c.onset_date, 'record:' || c.source_key) AS match_key,
    CAST(c.onset_date AS TIMESTAMP) AS start_time, c.onset_date AS start_date,
    CAST(c.abatement_date AS TIMESTAMP) AS end_time, c.abatement_date AS end_date,
    c.code_system, c.code, c.display,
    CAST(NULL AS DOUBLE) AS value_number, CAST(NULL AS VARCHAR) AS value_text, CAST(NULL AS VARCHAR) AS unit,
    CAST(NULL AS DOUBLE) AS range_low, CAST(NULL AS DOUBLE) AS range_high,
    c.clinical_status AS status, c.category, CAST(NULL AS VARCHAR) AS route_code, CAST(NULL AS VARCHAR) AS dosage_text,
    CAST(NULL AS VARCHAR) AS lot_number, CAST(NULL AS VARCHAR) AS practitioner_id, CAST(NULL AS VARCHAR) AS organization_id
  FROM normalized.condition c
  JOIN persons p ON p.source_key = c.patient_source_key
  LEFT JOIN curated.visit_source v ON v.source_key = c.encounter_source_key AND v.person_id = p.person_id
  WHERE coalesce(c.clinical_status, '') <> 'entered-in-error'
),
observations AS (
  SELECT
    CASE WHEN o.value_number IS NOT NULL OR o.value_text IS NULL THEN 'measurement' ELSE 'observation' END AS domain,
    'normalized.observation' AS source_table, o.source_key, o.source_kind, o.record_time,
    p.person_id, CAST(NULL AS BIGINT) AS visit_occurrence_id,
    coalesce(o.code_system, '') || '|' || coalesce(o.code, '') || '|' ||
      coalesce(strftime(timezone('UTC', o.effective_time), '%Y-%m-%dT%H:%M:%S.%f'), 'record:' || o.source_key) || '|' ||
      coalesce(CAST(o.value_number AS VARCHAR), o.value_text, '') AS match_key,
    timezone('UTC', coalesce(o.effective_time, o.record_time)) AS start_time,
    CAST(timezone('UTC', coalesce(o.effective_time, o.record_time)) AS DATE) AS start_date,
    CAST(NULL AS TIMESTAMP) AS end_time, CAST(NULL AS DATE) AS end_date,
    o.code_system, o.code, o.display, o.value_number, o.value_text, o.unit, o.reference_low, o.reference_high,
    o.status, o.interpretation AS category, NULL, NULL, NULL, NULL, NULL
  FROM normalized.observation o
  JOIN persons p ON p.source_key = o.patient_source_key
  WHERE coalesce(o.status, '') NOT IN ('cancelled', 'entered-in-error')
),
allergies AS (
  SELECT
    'allergy', 'normalized.allergy_intolerance', a.source_key, a.source_kind, a.record_time,
    p.person_id, v.visit_occurrence_id,
    coalesce(a.code_system, '') || '|' || coalesce(a.code, a.display, 'record:' || a.source_key),
    CAST(coalesce(a.recorded_date, CAST(timezone('UTC', a.record_time) AS DATE)) AS TIMESTAMP),
    coalesce(a.recorded_date, CAST(timezone('UTC', a.record_time) AS DATE)),
    NULL, NULL,
    a.code_system, a.code, a.display, NULL, NULL, NULL, NULL, NULL,
    a.clinical_status, a.category, NULL, NULL, NULL, NULL, NULL
  FROM normalized.allergy_intolerance a
  JOIN persons p ON p.source_key = a.patient_source_key
  LEFT JOIN curated.visit_source v ON v.source_key = a.encounter_source_key AND v.person_id = p.person_id
  WHERE coalesce(a.verification_status, '') NOT IN ('refuted', 'entered-in-error')
),
drugs AS (
  SELECT
    'drug', 'normalized.medication_request', m.source_key, m.source_kind, m.record_time,
    p.person_id, v.visit_occurrence_id,
    coalesce(m.code_system, '') || '|' || coalesce(m.code, '') || '|' ||
      coalesce(strftime(timezone('UTC', m.authored_time), '%Y-%m-%dT%H:%M:%S'), 'record:' || m.source_key),
    coalesce(CAST(m.validity_start AS TIMESTAMP), timezone('UTC', m.authored_time)),
    coalesce(m.validity_start, CAST(timezone('UTC', m.authored_time) AS DATE)),
    CAST(m.validity_end AS TIMESTAMP), m.validity_end,
    m.code_system, m.code, m.display, NULL, NULL, NULL, NULL, NULL,
    m.status, m.intent, m.route_code, m.dosage_text, NULL, m.requester, NULL
  FROM normalized.medication_request m
  JOIN persons p ON p.source_key = m.patient_source_key
  LEFT JOIN curated.visit_source v ON v.source_key = m.encounter_source_key AND v.person_id = p.person_id
  WHERE coalesce(m.status, '') NOT IN ('cancelled', 'entered-in-error', 'draft')
    AND coalesce(m.authored_time, CAST(m.validity_start AS TIMESTAMPTZ)) IS NOT NULL
),
vaccines AS (
  SELECT
    'vaccine', 'normalized.immunization', i.source_key, i.source_kind, i.record_time,
    p.person_id, v.visit_occurrence_id,
    coalesce(i.code_system, '') || '|' || coalesce(i.code, '') || '|' ||
      coalesce(strftime(timezone('UTC', i.occurrence_time), '%Y-%m-%dT%H:%M:%S'), 'record:' || i.source_key),
    timezone('UTC', i.occurrence_time), CAST(timezone('UTC', i.occurrence_time) AS DATE),
    timezone('UTC', i.occurrence_time), CAST(timezone('UTC', i.occurrence_time) AS DATE),
    i.code_system, i.code, i.display, NULL, NULL, NULL, NULL, NULL,
    i.status, NULL, NULL, NULL, i.lot_number, i.performer, i.location
  FROM normalized.immunization i
  JOIN persons p ON p.source_key = i.patient_source_key
  LEFT JOIN curated.visit_source v ON v.source_key = i.encounter_source_key AND v.person_id = p.person_id
  WHERE coalesce(i.status, '') NOT IN ('not-done', 'entered-in-error') AND i.occurrence_time IS NOT NULL
),
procedures AS (
  SELECT
    'procedure', 'normalized.procedure', r.source_key, r.source_kind, r.record_time,
    p.person_id, v.visit_occurrence_id,
    coalesce(r.code_system, '') || '|' || coalesce(r.code, '') || '|' ||
      coalesce(strftime(timezone('UTC', r.start_time), '%Y-%m-%dT%H:%M:%S'), 'record:' || r.source_key),
    timezone('UTC', coalesce(r.start_time, r.record_time)), CAST(timezone('UTC', coalesce(r.start_time, r.record_time)) AS DATE),
    timezone('UTC', r.end_time), CAST(timezone('UTC', r.end_time) AS DATE),
    r.code_system, r.code, r.display, NULL, NULL, NULL, NULL, NULL,
    r.status, NULL, NULL, NULL, NULL, r.performer, NULL
  FROM normalized.procedure r
  JOIN persons p ON p.source_key = r.patient_source_key
  LEFT JOIN curated.visit_source v ON v.source_key = r.encounter_source_key AND v.person_id = p.person_id
  WHERE coalesce(r.status, '') NOT IN ('not-done', 'entered-in-error', 'preparation')
),
facts AS (
  SELECT *, CASE WHEN source_kind = 'fhir' THEN 0 ELSE 1 END AS preference
  FROM (SELECT * FROM conditions UNION ALL SELECT * FROM observations UNION ALL SELECT * FROM allergies
        UNION ALL SELECT * FROM drugs UNION ALL SELECT * FROM vaccines UNION ALL SELECT * FROM procedures)
),
-- One rank per fact within its merged event (the record shown first), so that every column is a
-- plain arg_min_null over it: ordered aggregates buffer every group's rows in memory (out of memory
-- at 100k patients).
ranked AS (
  SELECT *, row_number() OVER (PARTITION BY domain, person_id, match_key
                               ORDER BY preference, record_time DESC, source_key) AS rn
  FROM facts
),
merged AS (
  SELECT
    domain, person_id, match_key,
    arg_min_null(source_table, rn) AS source_table,
    arg_min_null(source_key, rn) AS source_key,
    list_sort(list(source_key)) AS source_keys,
    arg_min_null(visit_occurrence_id, rn) FILTER (WHERE visit_occurrence_id IS NOT NULL) AS visit_occurrence_id,
    arg_min_null(start_time, rn) AS start_time,
    arg_min_null(start_date, rn) AS start_date,
    arg_min_null(end_time, rn) FILTER (WHERE end_date IS NOT NULL) AS end_time,
    arg_min_null(end_date, rn) FILTER (WHERE end_date IS NOT NULL) AS end_date,
    arg_min_null(code_system, rn) AS code_system,
    arg_min_null(code, rn) AS code,
    arg_min_null(display, rn) FILTER (WHERE display IS NOT NULL) AS display,
    arg_min_null(value_number, rn) AS value_number,
    arg_min_null(value_text, rn) AS value_text,
    arg_min_null(unit, rn) FILTER (WHERE unit IS NOT NULL) AS unit,
    arg_min_null(range_low, rn) FILTER (WHERE range_low IS NOT NULL) AS range_low,
    arg_min_null(range_high, rn) FILTER (WHERE range_high IS NOT NULL) AS range_high,
    arg_min_null(status, rn) AS status,
    arg_min_null(category, rn) FILTER (WHERE category IS NOT NULL) AS category,
    arg_min_null(route_code, rn) FILTER (WHERE route_code IS NOT NULL) AS route_code,
    arg_min_null(dosage_text, rn) FILTER (WHERE dosage_text IS NOT NULL) AS dosage_text,
    arg_min_null(lot_number, rn) FILTER (WHERE lot_number IS NOT NULL) AS lot_number,
    arg_min_null(practitioner_id, rn) FILTER (WHERE practitioner_id IS NOT NULL) AS practitioner_id,
    arg_min_null(organization_id, rn) FILTER (WHERE organization_id IS NOT NULL) AS organization_id
  FROM ranked
  GROUP BY domain, person_id, match_key
)
SELECT
  CAST(md5_number(m.domain || '|' || m.person_id || '|' || m.match_key) >> 68 AS BIGINT) AS event_id,
  m.domain, m.person_id, m.visit_occurrence_id,
  m.start_time, m.start_date, m.end_time, m.end_date,
  m.code_system, m.code, m.display, m.value_number, m.value_text, m.unit, m.range_low, m.range_high,
  m.status, m.category, m.route_code, m.dosage_text, m.lot_number,
  pr.provider_id,
  coalesce(cs.care_site_id, vo.care_site_id) AS care_site_id,
  m.source_table, m.source_key, m.source_keys, len(m.source_keys) AS source_records
FROM merged m
LEFT JOIN curated.provider pr ON pr.provider_source_value = m.practitioner_id
LEFT JOIN curated.care_site cs ON cs.care_site_source_value = m.organization_id
LEFT JOIN curated.visit_occurrence vo ON vo.visit_occurrence_id = m.visit_occurrence_id
