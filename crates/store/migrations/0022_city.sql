-- City services (issue 34): hospital parking guidance (car parks, guidance signs, the hospitals
-- they serve, their occupancy feeds) and one-click library borrowing (branches, titles, copies,
-- orders, loans, holds).
--
-- Each thing is the engine's record kept whole as JSON in `doc` (as halls keep theirs in hall_doc),
-- with the columns lists filter on beside it; `version` goes up by one with every change and a save
-- names the version it read. Which columns mean what, per kind:
--
--   kind       parent     community  town   state     open  actor     queue        due_at     closed_at  year  n
--   hospital   -          -          yes    -         1     -         -            -          -          -     -
--   lot        hospital   -          yes    kind      1/0   operator  -            -          -          -     visitor bays
--   sign       hospital   -          yes    level     1     -         -            -          -          -     -
--   branch     -          -          yes    -         1     -         -            -          -          -     copies
--   title      -          -          -      subject   1     -         -            -          -          -     copies
--   copy       title      -          -      status    1/0   -         branch       -          -          -     -
--   order      -          -          yes    state     1/0   reader    branch       -          finished   year  books
--   loan       copy       -          -      state     1/0   reader    branch       due date   returned   year  renewals
--   hold       title      -          -      state     1/0   reader    branch       expires    settled    year  -
--   reader     -          -          yes    -         1     account   -            -          -          year  orders
CREATE TABLE city_doc (
    kind       TEXT NOT NULL,
    id         BIGINT NOT NULL,
    parent     BIGINT,
    community  TEXT,
    town       TEXT,
    state      TEXT,
    open       BIGINT NOT NULL,
    actor      BIGINT,
    queue      TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    due_at     TEXT,
    closed_at  TEXT,
    year       BIGINT,
    n          BIGINT,
    doc        TEXT NOT NULL,
    version    BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX city_doc_parent ON city_doc (kind, parent, year, open);
CREATE INDEX city_doc_actor ON city_doc (kind, actor, created_at);
CREATE INDEX city_doc_queue ON city_doc (kind, queue, open, updated_at);
CREATE INDEX city_doc_due ON city_doc (kind, due_at);

-- What one thing only may hold, taken in the same transaction as the thing: a lot's or a sign's
-- code ("lot", "sign"), a copy's barcode ("barcode"), a copy lent or set aside for one order or
-- loan ("copy", released when it is back on the shelf), a reader's one hold per title ("hold",
-- reader:isbn), a reader record per account ("reader").
CREATE TABLE city_claim (
    kind  TEXT NOT NULL,
    claim TEXT NOT NULL,
    doc   BIGINT NOT NULL,
    PRIMARY KEY (kind, claim)
);
CREATE INDEX city_claim_doc ON city_claim (doc);

-- Every occupancy reading accepted from a car park's feed (MQTT or HTTP), once: a lot's reading
-- is keyed by its time, and a reading not later than the lot's last is refused. Occupied bays per
-- type (NULL: the reading did not count that type). Kept for 35 days (the cockpit's month).
CREATE TABLE parking_reading (
    lot         TEXT NOT NULL,
    at          TEXT NOT NULL,
    received_at TEXT NOT NULL,
    node        BIGINT NOT NULL,
    visitor     BIGINT,
    staff       BIGINT,
    disabled    BIGINT,
    ev          BIGINT,
    source      TEXT NOT NULL,
    PRIMARY KEY (lot, at)
);
CREATE INDEX parking_reading_received ON parking_reading (received_at);

-- Each lot's latest reading, moved forward only (a reading whose time is not after it changes
-- nothing): what makes "out of order" one rule for every server on the database.
CREATE TABLE parking_last (
    lot  TEXT PRIMARY KEY,
    at   TEXT NOT NULL
);

-- Guidance asked for and trips guided, by hour: the cockpit's searches and guided trips.
CREATE TABLE parking_event (
    id         BIGINT PRIMARY KEY,
    kind       TEXT NOT NULL,      -- search (a guidance answer), navigate (a driver set off to a lot)
    hospital   TEXT,
    sign       TEXT,
    lot        TEXT,
    at         TEXT NOT NULL
);
CREATE INDEX parking_event_at ON parking_event (kind, at);
