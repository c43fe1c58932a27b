-- @materialized: table
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
merged AS (
  SELECT
    domain, person_id, match_key,
    first(source_table ORDER BY preference, record_time DESC, source_key) AS source_table,
    first(source_key ORDER BY preference, record_time DESC, source_key) AS source_key,
    list(source_key ORDER BY source_key) AS source_keys,
    first(visit_occurrence_id ORDER BY preference, record_time DESC, source_key) FILTER (WHERE visit_occurrence_id IS NOT NULL) AS visit_occurrence_id,
    first(start_time ORDER BY preference, record_time DESC, source_key) AS start_time,
    first(start_date ORDER BY preference, record_time DESC, source_key) AS start_date,
    first(end_time ORDER BY preference, record_time DESC, source_key) FILTER (WHERE end_date IS NOT NULL) AS end_time,
    first(end_date ORDER BY preference, record_time DESC, source_key) FILTER (WHERE end_date IS NOT NULL) AS end_date,
    first(code_system ORDER BY preference, record_time DESC, source_key) AS code_system,
    first(code ORDER BY preference, record_time DESC, source_key) AS code,
    first(display ORDER BY preference, record_time DESC, source_key) FILTER (WHERE display IS NOT NULL) AS display,
    first(value_number ORDER BY preference, record_time DESC, source_key) AS value_number,
    first(value_text ORDER BY preference, record_time DESC, source_key) AS value_text,
    first(unit ORDER BY preference, record_time DESC, source_key) FILTER (WHERE unit IS NOT NULL) AS unit,
    first(range_low ORDER BY preference, record_time DESC, source_key) FILTER (WHERE range_low IS NOT NULL) AS range_low,
    first(range_high ORDER BY preference, record_time DESC, source_key) FILTER (WHERE range_high IS NOT NULL) AS range_high,
    first(status ORDER BY preference, record_time DESC, source_key) AS status,
    first(category ORDER BY preference, record_time DESC, source_key) FILTER (WHERE category IS NOT NULL) AS category,
    first(route_code ORDER BY preference, record_time DESC, source_key) FILTER (WHERE route_code IS NOT NULL) AS route_code,
    first(dosage_text ORDER BY preference, record_time DESC, source_key) FILTER (WHERE dosage_text IS NOT NULL) AS dosage_text,
    first(lot_number ORDER BY preference, record_time DESC, source_key) FILTER (WHERE lot_number IS NOT NULL) AS lot_number,
    first(practitioner_id ORDER BY preference, record_time DESC, source_key) FILTER (WHERE practitioner_id IS NOT NULL) AS practitioner_id,
    first(organization_id ORDER BY preference, record_time DESC, source_key) FILTER (WHERE organization_id IS NOT NULL) AS organization_id
  FROM facts
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
