-- Real-name registration in two steps (issue 27). A request for a registration code leaves a
-- challenge, whether or not a code was sent, so that the limits per ID number and per phone count
-- every request (from every server on the database) and tell nothing about who exists. A code is
-- kept only as the SHA-256 of its challenge's salt and the code; a challenge that sent no code has
-- an empty hash, which no code matches. Challenges are removed after a day.
CREATE TABLE registration_challenge (
    id         BIGINT PRIMARY KEY,
    id_number  TEXT NOT NULL,
    phone      TEXT NOT NULL,
    salt       TEXT NOT NULL,
    code_hash  TEXT NOT NULL,     -- '' when no code was sent
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    failures   BIGINT NOT NULL,   -- wrong codes tried; void at auth.register_code_tries
    used_at    TEXT
);
CREATE INDEX registration_challenge_id_number ON registration_challenge (id_number, created_at);
CREATE INDEX registration_challenge_phone ON registration_challenge (phone, created_at);

-- The claim code of an account a window opened (password '!'): handed over at the window, it
-- lets the resident register that account. One live code per account; a new one replaces it.
CREATE TABLE claim_code (
    account_id BIGINT PRIMARY KEY,
    salt       TEXT NOT NULL,
    code_hash  TEXT NOT NULL,     -- SHA-256 of the salt and the code
    issued_by  BIGINT NOT NULL,   -- the window account that issued it
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);
