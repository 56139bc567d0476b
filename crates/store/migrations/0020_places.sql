-- Places (issue 32): childcare institutions, applications and allocation runs; public rental
-- housing applications, lottery draws, homes, offers and leases; 善居 improvement projects.
--
-- Each thing is the engine's record kept whole as JSON in `doc` (as governance keeps its own in
-- gov_doc), with the columns lists filter on beside it; `version` goes up by one with every change
-- and a save names the version it read. Which columns mean what, per kind:
--
--   kind          parent        community  town  state    open  actor        queue        due_at          closed_at   year   n
--   institution   -             yes        yes   status   0     -            -            -               -           -      licensed places
--   application   -             -          yes   state    1/0   guardian     -            -               enrolled    -      preferences
--   place         institution   -          yes   state    1/0   guardian     -            -               last day    -      monthly fee (fen)
--   round         -             -          -     done     0     -            -            -               run at      year   applications
--   household     -             -          yes   state    1/0   applicant    route        -               -           -      points
--   draw          -             -          -     state    1/0   -            -            -               drawn       year   applicants
--   home          -             estate     -     status   0     -            -            -               -           -      rooms
--   offer         home          -          yes   state    1/0   applicant    -            deadline        answered    -      -
--   lease         home          -          yes   state    1/0   applicant    -            next re-check   -           -      rent (fen)
--   shanju        -             -          yes   state    1/0   resident     -            -               closed      year   budget (fen)
CREATE TABLE place_doc (
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
CREATE INDEX place_doc_parent ON place_doc (kind, parent, open, updated_at);
CREATE INDEX place_doc_actor ON place_doc (kind, actor, created_at);
CREATE INDEX place_doc_queue ON place_doc (kind, queue, open, updated_at);
CREATE INDEX place_doc_due ON place_doc (kind, due_at);
CREATE INDEX place_doc_town ON place_doc (kind, town, open, updated_at);

-- What may be held by one thing only: a person in one live housing application ("household",
-- the person's key), a child in one live childcare application ("child", the child's key). Taken
-- in the same transaction as the thing; two servers never both take it.
CREATE TABLE place_claim (
    kind  TEXT NOT NULL,
    claim TEXT NOT NULL,
    doc   BIGINT NOT NULL,
    PRIMARY KEY (kind, claim)
);
CREATE INDEX place_claim_doc ON place_claim (doc);
