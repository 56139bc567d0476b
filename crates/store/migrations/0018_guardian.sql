-- Elderly safety guardian (issue 30): the elders under guard and their consent, the devices in
-- their homes with their credentials, every reading a device sent (once: device and seq are the
-- key), what each elder's devices last showed, alarms with their hash-chained steps, and the
-- responders who go.

-- An elder under guard: enrolled by civil-affairs staff with the elder's consent.
CREATE TABLE guardian_elder (
    id           BIGINT PRIMARY KEY,
    person_key   TEXT NOT NULL UNIQUE,   -- ID number in the population register
    name         TEXT NOT NULL,
    division     TEXT NOT NULL,
    household    BIGINT NOT NULL,
    basis        TEXT NOT NULL,          -- living_alone | elderly_only | tekun_dispersed
    address      TEXT NOT NULL,
    home_lat_e6  BIGINT,                 -- WGS84, millionths of a degree
    home_lon_e6  BIGINT,
    contacts     TEXT NOT NULL,          -- JSON: [{name, relation, phone, account}]
    overrides    TEXT NOT NULL,          -- JSON: the elder's own thresholds
    consent_on   TEXT NOT NULL,
    status       TEXT NOT NULL,          -- guarded | withdrawn
    enrolled_by  BIGINT NOT NULL,
    enrolled_at  TEXT NOT NULL,
    withdrawn_at TEXT,
    withdrawn_reason TEXT,
    version      BIGINT NOT NULL
);
CREATE INDEX guardian_elder_division ON guardian_elder (division, status);

-- A device in an elder's home. The secret is shown once when it is registered; only its hash is kept.
CREATE TABLE guardian_device (
    id           TEXT PRIMARY KEY,       -- the id in the device's MQTT topic and user name
    elder        BIGINT NOT NULL,
    kind         TEXT NOT NULL,          -- presence | door | water_meter | electricity_meter | wearable
    room         TEXT,
    secret_hash  TEXT NOT NULL,
    status       TEXT NOT NULL,          -- active | removed
    installed_at TEXT NOT NULL
);
CREATE INDEX guardian_device_elder ON guardian_device (elder);

-- Every reading accepted, once (a redelivery finds its key taken), with the node of the server
-- that took it (the leading server reads the others' back). Kept for 30 days.
CREATE TABLE guardian_reading (
    device      TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    at          TEXT NOT NULL,
    received_at TEXT NOT NULL,
    node        BIGINT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (device, seq)
);
CREATE INDEX guardian_reading_received ON guardian_reading (received_at);

-- What each device last showed (one row per device, moved forward only): what the duty that
-- watches for silence, inactivity and no water reads, whichever server took the readings.
CREATE TABLE guardian_device_state (
    device       TEXT PRIMARY KEY,
    elder        BIGINT NOT NULL,
    last_seen    TEXT NOT NULL,
    last_active  TEXT,                   -- motion, a door, water or power used, steps
    battery_pct  BIGINT,
    lat_e6       BIGINT,
    lon_e6       BIGINT
);
CREATE INDEX guardian_device_state_elder ON guardian_device_state (elder);

-- Payloads refused, counted per device (or unknown device id) and reason: maintenance sees them.
CREATE TABLE guardian_rejection (
    device      TEXT NOT NULL,
    code        TEXT NOT NULL,
    count       BIGINT NOT NULL,
    last_at     TEXT NOT NULL,
    last_detail TEXT NOT NULL,
    PRIMARY KEY (device, code)
);

-- A responder: a grid worker, village doctor, volunteer or family member who can go.
CREATE TABLE guardian_responder (
    id          BIGINT PRIMARY KEY,
    account     BIGINT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,           -- grid_worker | village_doctor | volunteer | family
    name        TEXT NOT NULL,
    phone       TEXT NOT NULL,
    division    TEXT NOT NULL,
    lat_e6      BIGINT NOT NULL,
    lon_e6      BIGINT NOT NULL,
    available   BIGINT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- An alarm and where it stands. `trigger` (the reading or tick that raised it) is unique: the same
-- reading delivered twice, to one server or two, raises one alarm.
CREATE TABLE guardian_alarm (
    id             BIGINT PRIMARY KEY,
    elder          BIGINT NOT NULL,
    division       TEXT NOT NULL,
    kind           TEXT NOT NULL,
    technical      BIGINT NOT NULL,
    severity       TEXT NOT NULL,
    trigger_key    TEXT NOT NULL UNIQUE,
    device         TEXT,
    state          TEXT NOT NULL,
    responder      BIGINT,
    tried          TEXT NOT NULL,        -- JSON: responders asked so far
    raised_at      TEXT NOT NULL,
    acknowledged_at TEXT,
    dispatched_at  TEXT,
    accepted_at    TEXT,
    on_scene_at    TEXT,
    closed_at      TEXT,
    outcome        TEXT,
    evidence       TEXT NOT NULL,        -- JSON: the readings that raised it
    case_json      TEXT NOT NULL,        -- the engine's case (timers, escalations done)
    head_seq       BIGINT NOT NULL,
    head_hash      TEXT NOT NULL,
    version        BIGINT NOT NULL
);
CREATE INDEX guardian_alarm_state ON guardian_alarm (state, raised_at);
CREATE INDEX guardian_alarm_elder ON guardian_alarm (elder, raised_at);
CREATE INDEX guardian_alarm_responder ON guardian_alarm (responder, state);

-- One condition of one elder has at most one open alarm: the row is taken with the alarm and
-- given back when it closes.
CREATE TABLE guardian_open (
    elder  BIGINT NOT NULL,
    kind   TEXT NOT NULL,
    alarm  BIGINT NOT NULL,
    PRIMARY KEY (elder, kind)
);

-- The steps of an alarm, hash-chained like a case's history.
CREATE TABLE guardian_step (
    alarm      BIGINT NOT NULL,
    seq        BIGINT NOT NULL,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    detail     TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    PRIMARY KEY (alarm, seq)
);

-- The engine's learned state of an elder (usual gaps by hour of day), saved by the duty.
CREATE TABLE guardian_learned (
    elder      BIGINT PRIMARY KEY,
    state      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
