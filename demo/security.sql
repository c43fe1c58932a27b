-- The data office (the lake's owner) sets up access for a clinician and a researcher.
-- Governance first: what the classifier tagged on normalized.patient after `medlake run`.
COMMENT ON TABLE normalized.patient IS 'One row per patient record of every source system';
SELECT column_name, tags FROM catalog.columns
WHERE ns = 'normalized' AND table_name = 'patient' AND len(tags) > 0 ORDER BY column_name;

CREATE USER ana ATTRIBUTES (hospitals = ('H01', 'H02'), purposes = ('treatment'));
CREATE USER rui ATTRIBUTES (purposes = ('research'));
CREATE ROLE clinicians;  GRANT ROLE clinicians TO ana;
CREATE ROLE researchers; GRANT ROLE researchers TO rui;
GRANT SELECT ON SCHEMA normalized TO clinicians, researchers;
-- Clinicians see the encounters of the hospitals they work in; everyone's identifiers are masked
-- by tag; researchers get stable pseudonyms instead of names.
CREATE POLICY own_hospitals ON TABLE normalized.encounter
  ROW FILTER (list_contains(user.hospitals, regexp_replace(organization, '^Organization/', ''))) TO clinicians;
CREATE POLICY dni_partial ON TAG 'pii:dni' MASK USING PARTIAL(3);
CREATE POLICY phone_redact ON TAG 'pii:phone' MASK USING REDACT;
CREATE POLICY names_pseudonym ON TAG 'pii:name' MASK USING HASH FOR PURPOSE (research);
CREATE POLICY birth_year ON TAG 'pii:birth_date' MASK USING YEAR TO researchers;
SHOW POLICIES;
