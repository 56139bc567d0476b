-- Service halls (issue 36): halls and their windows, queue tickets, and the cross-region
-- (跨区域通办) cases and messages exchanged with other districts' servers.
--
-- Each thing is the engine's record kept whole as JSON in `doc` (as places keep theirs in
-- place_doc), with the columns lists filter on beside it; `version` goes up by one with every
-- change and a save names the version it read. Which columns mean what, per kind:
--
--   kind        parent   community   town   state     open  actor        queue      due_at        closed_at  year      n
--   hall        -        -           yes    status    0     -            level      -             -          -         windows
--   ticket      hall     -           yes    state     1/0   holder       line       slot start    finished   yyyymmdd  seq
--   xr_case     -        -           yes    state     1/0   applicant    peer       -             settled    year      -
--   xr_inbound  -        -           -      state     1/0   -            peer       -             settled    year      application
--   xr_outbox   case     -           -      state     1/0   -            peer       next attempt  acked      -         attempts
CREATE TABLE hall_doc (
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
CREATE INDEX hall_doc_parent ON hall_doc (kind, parent, year, open);
CREATE INDEX hall_doc_actor ON hall_doc (kind, actor, created_at);
CREATE INDEX hall_doc_queue ON hall_doc (kind, queue, open, updated_at);
CREATE INDEX hall_doc_due ON hall_doc (kind, due_at);

-- What one thing only may hold, taken in the same transaction as the thing: a ticket number of a
-- hall's line on a day ("number", hall:day:line:seq), a place in an appointment slot ("slot",
-- hall:line:slot:k for k up to the slot's capacity), a person's one appointment per hall, line and
-- day ("booking"), a message received from a peer ("message", peer:id: a replay is answered with
-- the first receipt and changes nothing).
CREATE TABLE hall_claim (
    kind  TEXT NOT NULL,
    claim TEXT NOT NULL,
    doc   BIGINT NOT NULL,
    PRIMARY KEY (kind, claim)
);
CREATE INDEX hall_claim_doc ON hall_claim (doc);
