-- The web pages' cockpit (数字驾驶舱): covering indexes for its aggregates, so that its
-- periodic snapshot reads indexes instead of whole rows (100,000+ applications).
CREATE INDEX item_case_cockpit ON item_case (application_id, department, status, overdue);
CREATE INDEX notice_cockpit ON notice (application_id, status);
CREATE INDEX rectification_cockpit ON rectification (application_id, status);
