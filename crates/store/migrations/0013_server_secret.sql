-- Keys every server on one database must share, by name: `auth` is the HMAC key of the web
-- pages' CSRF tokens (and one-time codes) when `auth.secret` is not configured. The first server
-- to start inserts a random value; the others read it. Secret: never logged, never served.
CREATE TABLE server_secret (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
