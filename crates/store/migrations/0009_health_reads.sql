-- Health-record reads for treatment that were allowed (the cockpit's "health look-ups"), counted on
-- each chain's head as its entries are written, so the figure is one row per chain to add up
-- instead of a scan of the whole access log. Entries already written are counted here once.
ALTER TABLE access_log_head ADD COLUMN health_reads BIGINT NOT NULL DEFAULT 0;
UPDATE access_log_head SET health_reads = (
    SELECT COUNT(*) FROM access_log a
    WHERE a.chain = access_log_head.chain AND a.purpose = 'treatment' AND a.outcome = 'allowed'
);
