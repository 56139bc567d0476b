-- Treatment relations (诊疗关系) that care establishes (issue 27): an Encounter (registration,
-- admission, emergency, home visit), an EpisodeOfCare (a home-doctor contract) or a referral that
-- an institution publishes lets that institution (for a referral, the receiving one) read the
-- patient's health data for treatment over [starts_at, ends_at) (open while ends_at is NULL).
-- One row per care resource, kept in step with it by the import that writes it.
CREATE TABLE care_relation (
    resource_type TEXT NOT NULL,
    logical_id    TEXT NOT NULL,
    institution   TEXT NOT NULL,
    patient_key   TEXT NOT NULL,
    kind          TEXT NOT NULL,
    starts_at     TEXT NOT NULL,
    ends_at       TEXT,
    PRIMARY KEY (resource_type, logical_id)
);
CREATE INDEX care_relation_patient ON care_relation (patient_key, institution, starts_at);
