-- Welfare (issue 31): benefits without applying (免申即享), monthly payouts, proactive discovery
-- of households in difficulty, objections. Entitlements are found from the registers the
-- platform holds; every opening and closing is an event with its reason.

-- One row per person and benefit: open while entitled, closed when that ended.
CREATE TABLE welfare_entitlement (
    person_key   TEXT NOT NULL,
    benefit      TEXT NOT NULL,
    household    BIGINT NOT NULL,
    division     TEXT NOT NULL,
    status       TEXT NOT NULL,      -- open | closed
    amount       BIGINT NOT NULL,    -- fen a month, as last evaluated
    opened_on    TEXT NOT NULL,
    closed_on    TEXT,
    source       TEXT NOT NULL,      -- registers | objection
    reasons      TEXT NOT NULL,      -- JSON: the clauses of the rule and the facts they read
    updated_at   TEXT NOT NULL,
    version      BIGINT NOT NULL,
    PRIMARY KEY (person_key, benefit)
);
CREATE INDEX welfare_entitlement_benefit ON welfare_entitlement (benefit, status);
CREATE INDEX welfare_entitlement_household ON welfare_entitlement (household);

-- What happened to an entitlement and why: opened, closed, amount changed.
CREATE TABLE welfare_event (
    id          BIGINT PRIMARY KEY,
    person_key  TEXT NOT NULL,
    benefit     TEXT NOT NULL,
    kind        TEXT NOT NULL,       -- opened | closed | amount
    amount      BIGINT NOT NULL,
    at          TEXT NOT NULL,
    cause       TEXT NOT NULL,       -- what set it off: a record type, the daily sweep, an objection
    reason_zh   TEXT NOT NULL,
    reason_en   TEXT NOT NULL
);
CREATE INDEX welfare_event_person ON welfare_event (person_key, at);
CREATE INDEX welfare_event_at ON welfare_event (at);

-- A month's payout batch of one department: frozen by one person, approved by another.
CREATE TABLE welfare_run (
    id           BIGINT PRIMARY KEY,
    month        TEXT NOT NULL,
    department   TEXT NOT NULL,
    status       TEXT NOT NULL,      -- frozen | approved | exported | returned
    digest       TEXT NOT NULL,
    lines        BIGINT NOT NULL,
    amount       BIGINT NOT NULL,
    recoveries   BIGINT NOT NULL,
    totals       TEXT NOT NULL,      -- JSON, per benefit
    frozen_by    BIGINT NOT NULL,
    frozen_at    TEXT NOT NULL,
    approved_by  BIGINT,
    approved_at  TEXT,
    exported_at  TEXT,
    returned_at  TEXT,
    UNIQUE (month, department)
);

-- One payment line. (person, benefit, month) is unique: nothing is ever paid twice.
CREATE TABLE welfare_payment (
    id          BIGINT PRIMARY KEY,
    run_id      BIGINT NOT NULL,
    line        BIGINT NOT NULL,
    person_key  TEXT NOT NULL,
    household   BIGINT NOT NULL,
    division    TEXT NOT NULL,
    benefit     TEXT NOT NULL,
    month       TEXT NOT NULL,
    amount      BIGINT NOT NULL,
    kind        TEXT NOT NULL,       -- regular | arrears
    name        TEXT NOT NULL,
    account     TEXT NOT NULL,       -- the social security card's bank account; '' when none is known
    status      TEXT NOT NULL,       -- planned | held | paid | failed
    failure     TEXT,
    UNIQUE (person_key, benefit, month)
);
CREATE INDEX welfare_payment_run ON welfare_payment (run_id, line);
CREATE INDEX welfare_payment_household ON welfare_payment (household, month);

-- Money paid that was not due (a death reported late): to be recovered.
CREATE TABLE welfare_recovery (
    id          BIGINT PRIMARY KEY,
    run_id      BIGINT NOT NULL,
    person_key  TEXT NOT NULL,
    benefit     TEXT NOT NULL,
    month       TEXT NOT NULL,
    amount      BIGINT NOT NULL,
    reason_zh   TEXT NOT NULL,
    reason_en   TEXT NOT NULL,
    status      TEXT NOT NULL,       -- open | recovered | waived
    UNIQUE (person_key, benefit, month)
);

-- A person objects to a decision: a case for the benefit's department.
CREATE TABLE welfare_objection (
    id          BIGINT PRIMARY KEY,
    person_key  TEXT NOT NULL,
    account_id  BIGINT NOT NULL,
    benefit     TEXT NOT NULL,
    department  TEXT NOT NULL,
    text        TEXT NOT NULL,
    status      TEXT NOT NULL,       -- open | upheld | rejected
    answer      TEXT,
    created_at  TEXT NOT NULL,
    decided_by  BIGINT,
    decided_at  TEXT
);
CREATE INDEX welfare_objection_department ON welfare_objection (department, status);
CREATE INDEX welfare_objection_person ON welfare_objection (person_key);

-- A household found in difficulty from shared records, for a community worker to visit.
CREATE TABLE welfare_flag (
    household   BIGINT PRIMARY KEY,
    division    TEXT NOT NULL,
    score       BIGINT NOT NULL,
    reasons     TEXT NOT NULL,       -- JSON
    origin      TEXT NOT NULL,       -- proactive | application
    status      TEXT NOT NULL,       -- open | visited | enrolled | closed
    found_at    TEXT NOT NULL,
    visited_by  BIGINT,
    visited_at  TEXT,
    outcome     TEXT,
    services    TEXT,                -- JSON: the relief services the household was enrolled in
    version     BIGINT NOT NULL
);
CREATE INDEX welfare_flag_division ON welfare_flag (division, status);

-- How far the registers have been read: the issue time of the last shared record seen.
CREATE TABLE welfare_watermark (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
