-- Indexes every write paid for and no query needed:
-- * item_case, notice and rectification were also indexed on application_id alone, which the
--   cockpit's covering indexes (0003) already begin with; the planner uses those for look-ups by
--   application, and each clerk action writes three fewer index entries.
-- * access_log was also indexed on (reader_org, subject_key, at) for the treatment-relation check,
--   which finds the subject's recent entries just as well through (subject_key, at): every read of
--   someone's data writes one random index page fewer.
DROP INDEX item_case_application;
DROP INDEX notice_application;
DROP INDEX rectification_application;
DROP INDEX access_log_org;
