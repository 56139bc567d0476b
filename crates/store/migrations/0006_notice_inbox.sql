-- A notice to an account is either about an application that account filed as applicant (the
-- engine writes account notices to the applicant only) or about no application at all
-- (application_id 0: notices to riders). So a resident's inbox is found through
-- application_applicant and notice_cockpit, and only the rest — notices to department roles, the
-- district, and those about no application — keep an index by recipient. Every notice to an
-- applicant, most notices, wrote a random page of the old index: a third of the pages a batch of
-- clerk actions wrote to the log.
DROP INDEX notice_recipient;
CREATE INDEX notice_staff ON notice (recipient, created_at) WHERE (recipient NOT LIKE 'account:%' OR application_id = 0);
