-- Issue 29. A notice's lease names its holder (the node lease's holder token of the server that
-- took it), and the delivery presents it: a server whose lease ran out cannot mark a notice that
-- another has since taken, nor hand it back.
ALTER TABLE notice ADD COLUMN lease_holder TEXT;

-- The probe a faulty server writes to learn whether its storage takes writes again.
CREATE TABLE storage_probe (
    node BIGINT PRIMARY KEY,
    pad  TEXT NOT NULL,
    at   TEXT NOT NULL
);
