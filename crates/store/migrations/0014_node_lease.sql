-- Node numbers of the servers sharing this database (issue 29): each server takes a number no
-- live server holds, keeps it alive with a heartbeat and gives it back when it stops, so that two
-- servers never make the same ids.
CREATE TABLE node_lease (
    node BIGINT PRIMARY KEY,
    holder TEXT NOT NULL,
    started_at TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL
);
