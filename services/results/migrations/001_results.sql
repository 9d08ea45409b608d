-- The case timeline: every event of every topic, once (event_id is the CloudEvents id).
CREATE TABLE timeline (
    seq         bigserial,
    event_id    uuid PRIMARY KEY,
    case_id     text NOT NULL,
    type        text NOT NULL,
    source      text NOT NULL,
    time        timestamptz NOT NULL,
    topic       text NOT NULL,
    partition   integer NOT NULL,
    "offset"    bigint NOT NULL,
    data        jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX timeline_by_case ON timeline (case_id, time, seq);

-- Where the projection stands, committed in the same transaction as the rows it covers.
CREATE TABLE consumer_offsets (
    consumer    text NOT NULL,
    topic       text NOT NULL,
    partition   integer NOT NULL,
    next_offset bigint NOT NULL,
    PRIMARY KEY (consumer, topic, partition)
);

-- The current state of each case, driven by the status machine (status.py).
CREATE TABLE cases (
    case_id            text PRIMARY KEY,
    status             text NOT NULL,
    hall_id            text NOT NULL DEFAULT '',
    hall_province      text NOT NULL DEFAULT '',
    target_province    text NOT NULL DEFAULT '',
    matter_code        text NOT NULL DEFAULT '',
    department         text NOT NULL DEFAULT '',
    applicant_name     text NOT NULL DEFAULT '',
    applicant_id       text NOT NULL DEFAULT '',
    applicant_phone    text NOT NULL DEFAULT '',
    pseudonym          text NOT NULL DEFAULT '',
    official_id        text NOT NULL DEFAULT '',
    outcome            integer NOT NULL DEFAULT 0,
    time_limit_days    integer NOT NULL DEFAULT 0,
    created_at         timestamptz,
    submitted_at       timestamptz,
    queued_at          timestamptz,
    assigned_at        timestamptz,
    connected_at       timestamptz,
    decided_at         timestamptz,
    closed_at          timestamptz,
    due_date           date,
    certificate_number text NOT NULL DEFAULT '',
    evaluation_level   integer NOT NULL DEFAULT 0,
    delivery_method    integer NOT NULL DEFAULT 0,
    delivery_reference text NOT NULL DEFAULT '',
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cases_by_pair ON cases (hall_province, target_province, matter_code);
CREATE INDEX cases_by_status ON cases (status, submitted_at);
CREATE INDEX cases_by_official ON cases (official_id);

-- Impossible transitions, kept for operators instead of crashing the projection.
CREATE TABLE anomalies (
    id          bigserial PRIMARY KEY,
    case_id     text NOT NULL,
    event_id    uuid NOT NULL,
    description text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
