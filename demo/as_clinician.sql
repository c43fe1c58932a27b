-- As ana (purpose treatment): her hospitals' encounters; identifiers masked.
SHOW CURRENT USER;
SELECT regexp_replace(organization, '^Organization/', '') AS hospital, count(*) AS encounters
FROM normalized.encounter GROUP BY 1 ORDER BY 1;
SELECT national_id, family_name, phone, birth_date FROM normalized.patient ORDER BY source_key LIMIT 3;
