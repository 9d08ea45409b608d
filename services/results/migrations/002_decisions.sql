-- What the results service decides and issues itself (the projection owns timeline/cases).
CREATE TABLE decisions (
    id               bigserial PRIMARY KEY,
    case_id          text NOT NULL,
    official_id      text NOT NULL,
    province         text NOT NULL,
    outcome          integer NOT NULL,
    result_kind      text NOT NULL DEFAULT '',
    reason_code      text NOT NULL DEFAULT '',
    legal_basis      text NOT NULL DEFAULT '',
    supplements      text[] NOT NULL DEFAULT '{}',
    transfer_to      text NOT NULL DEFAULT '',
    delivery_method  integer NOT NULL DEFAULT 0,
    mail_address_enc bytea,
    decided_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX decisions_by_case ON decisions (case_id, decided_at);

CREATE TABLE certificate_sequences (
    province  text NOT NULL,
    issued_on date NOT NULL,
    last      integer NOT NULL,
    PRIMARY KEY (province, issued_on)
);

CREATE TABLE certificates (
    number           text PRIMARY KEY,
    case_id          text NOT NULL UNIQUE,
    matter_code      text NOT NULL,
    matter_zh        text NOT NULL,
    matter_en        text NOT NULL,
    holder_masked    text NOT NULL,
    holder_id_masked text NOT NULL,
    province         text NOT NULL,
    province_zh      text NOT NULL,
    issued_on        date NOT NULL,
    hash             text NOT NULL,
    pdf              bytea NOT NULL
);

CREATE TABLE deliveries (
    case_id      text PRIMARY KEY,
    method       integer NOT NULL,
    reference    text NOT NULL DEFAULT '',
    carrier      text NOT NULL DEFAULT '',
    hall_id      text NOT NULL DEFAULT '',
    issued_at    timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz
);

CREATE TABLE evaluations (
    case_id      text PRIMARY KEY,
    level        integer NOT NULL,
    tags         text[] NOT NULL DEFAULT '{}',
    comment      text NOT NULL DEFAULT '',
    submitted_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rectifications (
    id            uuid PRIMARY KEY,
    case_id       text NOT NULL,
    opened_on     date NOT NULL,
    due_on        date NOT NULL,
    closed_at     timestamptz,
    callback_note text NOT NULL DEFAULT '',
    closed_by     text NOT NULL DEFAULT ''
);

-- 补正 pauses of the statutory clock: open while ended_on is null.
CREATE TABLE pauses (
    case_id    text NOT NULL,
    started_on date NOT NULL,
    ended_on   date,
    PRIMARY KEY (case_id, started_on)
);

-- Each deadline warning and overdue notice is sent once per due date.
CREATE TABLE deadline_notices (
    case_id  text NOT NULL,
    kind     text NOT NULL,
    due_date date NOT NULL,
    sent_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (case_id, kind, due_date)
);
