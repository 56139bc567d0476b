-- Community governance (issue 33): estates with their three parties, residents' issues (Open311
-- service requests), night-construction permits and their pushes, estate funds (ledgers, budget
-- lines, expense applications), meetings and votes, supervised projects.
--
-- Each governed thing is the engine's record kept whole as JSON in `doc`, with the columns the
-- lists and the duty filter on beside it; `version` goes up by one with every change and a save
-- names the version it read (two servers never both win). Which columns mean what, per kind:
--
--   kind         estate    community  town  state    open  actor       queue                 due_at    closed_at   year  n
--   estate       its id    yes        yes   -        0     -           -                     -         -           -     owners
--   issue        estate    yes        yes   state    1/0   reporter    who must act now      deadline (or confirm-by) settled -  escalations
--   permit       -         yes        yes   -        0     holder acct -                     until     -           -     -
--   ledger       estate    yes        yes   -        0     -           -                     -         -           -     balance (fen)
--   budget_line  estate    yes        yes   -        0     -           -                     -         -           year  amount (fen)
--   expense      estate    yes        yes   state    1/0   submitter   review level owed     -         paid        year  amount (fen)
--   meeting      estate    yes        yes   state    1/0   convener    -                     -         closed      -     -
--   project      -         yes        yes   state    1/0   -           -                     planned   completed   -     -
--
-- `queue` is "estate:{id}" (the estate's parties), "community:{code}", "street:{code}" or
-- "dept:{code}" for an issue, and the review level owed for an expense.
CREATE TABLE gov_doc (
    kind       TEXT NOT NULL,
    id         BIGINT NOT NULL,
    estate     BIGINT,
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
CREATE INDEX gov_doc_estate ON gov_doc (kind, estate, open, updated_at);
CREATE INDEX gov_doc_actor ON gov_doc (kind, actor, created_at);
CREATE INDEX gov_doc_queue ON gov_doc (kind, queue, open, updated_at);
CREATE INDEX gov_doc_due ON gov_doc (kind, due_at);
CREATE INDEX gov_doc_community ON gov_doc (kind, community, open, updated_at);
CREATE INDEX gov_doc_created ON gov_doc (kind, created_at);

-- Who plays a part in which estate ("owner", "party_branch", "committee", "property_company",
-- "community_worker", "helper:{role}"): an account finds its estates without reading them all.
CREATE TABLE gov_member (
    account BIGINT NOT NULL,
    estate  BIGINT NOT NULL,
    part    TEXT NOT NULL,
    PRIMARY KEY (account, estate, part)
);
CREATE INDEX gov_member_estate ON gov_member (estate);

-- A night-construction permit pushed to a department that supervises it: the record it lists.
CREATE TABLE gov_permit_push (
    permit     BIGINT NOT NULL,
    department TEXT NOT NULL,
    pushed_at  TEXT NOT NULL,
    PRIMARY KEY (permit, department)
);
CREATE INDEX gov_permit_push_department ON gov_permit_push (department, pushed_at);

-- A noise complaint matched to a permit (the cockpit counts complaints per permit).
CREATE TABLE gov_permit_complaint (
    permit BIGINT NOT NULL,
    issue  BIGINT NOT NULL,
    PRIMARY KEY (permit, issue)
);

-- Open311 client applications and their api_key (only its SHA-256 is kept; shown once).
CREATE TABLE gov_client (
    id         BIGINT PRIMARY KEY,
    name       TEXT NOT NULL,
    key_hash   TEXT NOT NULL UNIQUE,
    account    BIGINT NOT NULL,
    created_by BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

-- How far the duty has read the shared records (permits made from certificates issued since).
CREATE TABLE gov_watermark (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The duty reads the certificates issued since its mark (and welfare the records of its facts):
-- by type and time, not the whole table.
CREATE INDEX shared_record_type_issued ON shared_record (record_type, issued_at);
