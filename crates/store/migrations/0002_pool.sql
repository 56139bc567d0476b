-- The shared data pool (数据同池), e-certificates, rider codes and mutual recognition of medical
-- results (医检互认). Same conventions as 0001: BIGINT ids from the application, TEXT timestamps in
-- RFC 3339 UTC with microseconds, dates as YYYY-MM-DD, no BLOB (binary as base64 or hex text).

-- Record versions: a correction is a new row that supersedes the old one; nothing is overwritten.
ALTER TABLE shared_record ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE shared_record ADD COLUMN supersedes BIGINT;
ALTER TABLE shared_record ADD COLUMN superseded_by BIGINT;
ALTER TABLE shared_record ADD COLUMN revoked_at TEXT;
ALTER TABLE shared_record ADD COLUMN revoked_reason TEXT;
ALTER TABLE shared_record ADD COLUMN published_by BIGINT;
CREATE INDEX shared_record_supersedes ON shared_record (supersedes);

-- Consents (授权) a person or enterprise gives for others to read their data.
CREATE TABLE record_consent (
    id           BIGINT PRIMARY KEY,
    subject_key  TEXT NOT NULL,
    grantee_kind TEXT NOT NULL,      -- account | org
    grantee      TEXT NOT NULL,
    record_types TEXT NOT NULL,      -- comma-separated, or *; health = medical results
    purpose      TEXT NOT NULL,
    granted_at   TEXT NOT NULL,
    valid_until  TEXT NOT NULL,
    revoked_at   TEXT
);
CREATE INDEX record_consent_subject ON record_consent (subject_key, granted_at);
CREATE INDEX record_consent_grantee ON record_consent (grantee, subject_key);

-- The hash-chained access log: every read and refused read of someone's data.
CREATE TABLE access_log (
    chain       BIGINT NOT NULL,     -- the writing process's node number
    seq         BIGINT NOT NULL,
    at          TEXT NOT NULL,
    reader      BIGINT,
    reader_org  TEXT,
    subject_key TEXT NOT NULL,
    resource    TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    purpose_ref TEXT,
    basis       TEXT NOT NULL,
    outcome     TEXT NOT NULL,       -- allowed | refused
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL,
    PRIMARY KEY (chain, seq)
);
CREATE INDEX access_log_subject ON access_log (subject_key, at);
CREATE INDEX access_log_org ON access_log (reader_org, subject_key, at);

-- The head of each chain, written with every batch, so that deleting the last entries is detected.
CREATE TABLE access_log_head (
    chain BIGINT PRIMARY KEY,
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);

-- Filings whose shared-data look-ups have been logged (collect once, purpose = the filing).
CREATE TABLE pool_filing_logged (
    application_id BIGINT PRIMARY KEY,
    logged_at      TEXT NOT NULL
);

-- Signed credentials: e-certificates of records and rider codes.
CREATE TABLE credential (
    id             BIGINT PRIMARY KEY,
    kind           TEXT NOT NULL,     -- certificate | rider_code
    record_id      BIGINT,
    rider_id       BIGINT,
    subject_key    TEXT NOT NULL,
    issued_at      TEXT NOT NULL,
    valid_until    TEXT,
    key_id         TEXT NOT NULL,
    payload        TEXT NOT NULL,
    revoked_at     TEXT,
    revoked_reason TEXT
);
CREATE INDEX credential_record ON credential (record_id);
CREATE INDEX credential_rider ON credential (rider_id);
CREATE INDEX credential_subject ON credential (subject_key);
CREATE INDEX credential_revoked ON credential (revoked_at);

-- Residential estates (小区) riders may enter, with their property company.
CREATE TABLE estate (
    code             TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    division         TEXT NOT NULL,
    property_company TEXT NOT NULL
);

-- Delivery riders (富春小哥) and their platform.
CREATE TABLE rider (
    id          BIGINT PRIMARY KEY,
    person_key  TEXT NOT NULL,
    name        TEXT NOT NULL,
    phone       TEXT,
    platform    TEXT NOT NULL,
    estates     TEXT NOT NULL,        -- comma-separated estate codes, or *
    valid_from  TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    status      TEXT NOT NULL,        -- active | revoked
    created_by  BIGINT,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX rider_platform ON rider (platform, status);
CREATE INDEX rider_person ON rider (person_key);

-- Medical institutions with their level and the items their results are recognised for (HR).
CREATE TABLE institution (
    code     TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    level    TEXT NOT NULL,
    kind     TEXT NOT NULL,
    division TEXT NOT NULL,
    hr_items TEXT NOT NULL
);

-- HL7 FHIR R4 resources (Patient, Observation, DiagnosticReport, ImagingStudy), indexed for search
-- and the recognition check; `data` is the resource's JSON.
CREATE TABLE fhir_resource (
    id            BIGINT PRIMARY KEY,
    resource_type TEXT NOT NULL,
    logical_id    TEXT NOT NULL,
    patient_key   TEXT NOT NULL,
    code          TEXT,              -- system|code of the first coding
    item          TEXT,              -- the recognisable item, if any
    institution   TEXT,
    effective     TEXT,
    status        TEXT,
    version       BIGINT NOT NULL,
    updated_at    TEXT NOT NULL,
    data          TEXT NOT NULL
);
CREATE UNIQUE INDEX fhir_resource_logical ON fhir_resource (resource_type, logical_id);
CREATE INDEX fhir_resource_patient ON fhir_resource (patient_key, resource_type, effective);
CREATE INDEX fhir_resource_item ON fhir_resource (patient_key, item, effective);

-- Offers of the recognition check and the doctor's decision.
CREATE TABLE recognition_offer (
    id                   BIGINT PRIMARY KEY,
    at                   TEXT NOT NULL,
    patient_key          TEXT NOT NULL,
    item                 TEXT NOT NULL,
    ordering_institution TEXT NOT NULL,
    clinician            BIGINT,
    result_type          TEXT NOT NULL,
    result_id            TEXT NOT NULL,
    result_institution   TEXT NOT NULL,
    price_fen            BIGINT NOT NULL,
    decision             TEXT NOT NULL,  -- pending | accepted | retest
    reason               TEXT,
    note                 TEXT,
    decided_at           TEXT,
    decided_by           BIGINT
);
CREATE INDEX recognition_offer_patient ON recognition_offer (patient_key, at);
CREATE INDEX recognition_offer_ordering ON recognition_offer (ordering_institution, decision);
CREATE INDEX recognition_offer_result ON recognition_offer (result_institution, decision);
