-- A window's list of what it took in (applications by division, newest first) read every
-- application: division codes are now looked up as a range of this index. An application's
-- division is set when it is filed and never changed, so only filings write it.
CREATE INDEX application_division ON application (division, submitted_at);
