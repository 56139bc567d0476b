-- Filings whose shared-data look-ups are still to be written to the access log. The writer adds a
-- filing here in the transaction that stores it; the logger takes from this short queue instead of
-- searching every application for the ones not yet in pool_filing_logged (a search that grew with
-- the number of applications and ran every second).
CREATE TABLE pool_filing_pending (
    application_id BIGINT PRIMARY KEY
);
INSERT INTO pool_filing_pending (application_id)
SELECT a.id FROM application a
WHERE NOT EXISTS (SELECT 1 FROM pool_filing_logged f WHERE f.application_id = a.id);
