-- As rui (purpose research): pseudonyms that still join and count, years of birth only.
SELECT national_id, family_name, birth_date FROM normalized.patient ORDER BY source_key LIMIT 3;
SELECT count(DISTINCT family_name) AS distinct_pseudonyms, count(*) AS records FROM normalized.patient;
