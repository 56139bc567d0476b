-- Medical insurance for long-stay chronic in-patients (issue 35): the hospitals of the payment
-- scheme (tertiary hospitals apply, the others are included), the in-patient episodes hospitals
-- send, and each month's settlement, frozen then approved.
CREATE TABLE medins_hospital (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,      -- tertiary | secondary | primary
    membership  TEXT NOT NULL,      -- included | applied | approved | refused | not_in
    since       TEXT,               -- the date it is in the scheme from
    applied_at  TEXT,
    applied_by  BIGINT,
    decided_at  TEXT,
    decided_by  BIGINT,
    note        TEXT,
    version     BIGINT NOT NULL
);

CREATE TABLE medins_episode (
    hospital     TEXT NOT NULL,
    episode_id   TEXT NOT NULL,     -- the hospital's own number
    patient_key  TEXT NOT NULL,
    admitted     TEXT NOT NULL,
    discharged   TEXT NOT NULL,
    month        TEXT NOT NULL,     -- YYYY-MM of the discharge: the settlement it belongs to
    digest       TEXT NOT NULL,     -- of the episode as sent: the same sent again changes nothing
    data         TEXT NOT NULL,     -- the episode, JSON
    source       TEXT NOT NULL,     -- api | csv | fhir | demo
    received_at  TEXT NOT NULL,
    PRIMARY KEY (hospital, episode_id)
);
CREATE INDEX medins_episode_month ON medins_episode (month, hospital);
CREATE INDEX medins_episode_patient ON medins_episode (patient_key, discharged);

CREATE TABLE medins_settlement (
    month            TEXT PRIMARY KEY,
    status           TEXT NOT NULL,  -- frozen | approved
    budget           BIGINT NOT NULL,-- fen
    digest           TEXT NOT NULL,  -- the engine's digest of everything settled
    episodes_digest  TEXT NOT NULL,  -- of the month's episodes when frozen: approval checks it
    episodes         BIGINT NOT NULL,
    data             TEXT NOT NULL,  -- the settlement, JSON
    frozen_at        TEXT NOT NULL,
    frozen_by        BIGINT NOT NULL,
    approved_at      TEXT,
    approved_by      BIGINT
);
