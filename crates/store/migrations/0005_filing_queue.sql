-- Filings whose shared-data look-ups are still to be written to the access log. The writer adds a
-- filing here in the transaction that stores it, and the logger takes it off once the log entries
-- are committed. This replaces pool_filing_logged, the list of filings already logged, which the
-- logger had to search every application against each second (a search that grew with the number
-- of applications) and which nothing else read.
CREATE TABLE pool_filing_pending (
    application_id BIGINT PRIMARY KEY
);
INSERT INTO pool_filing_pending (application_id)
SELECT a.id FROM application a
WHERE NOT EXISTS (SELECT 1 FROM pool_filing_logged f WHERE f.application_id = a.id);
DROP TABLE pool_filing_logged;
