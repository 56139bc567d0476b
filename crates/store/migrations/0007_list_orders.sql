-- A department's queue of one status (`GET /api/cases?status=approved`) was read whole and sorted:
-- item_case_queue gave the cases of a department and status but not in the queue's order. The
-- index now holds that order (overdue first, then by promised deadline, undated last), so a page
-- is the index's first entries. It replaces the old index: a case's write costs the same.
DROP INDEX item_case_queue;
CREATE INDEX item_case_queue ON item_case (department, status, overdue DESC, (CASE WHEN promised_deadline IS NULL THEN 1 ELSE 0 END), promised_deadline, started_at);
-- The outbox's counts by status read every notice. Pending and failed notices are few: each has a
-- partial index (failed ones only this one, written only when delivery gives up), and the rest of
-- the notices were delivered.
CREATE INDEX notice_failed ON notice (next_attempt_at) WHERE status = 'failed';
