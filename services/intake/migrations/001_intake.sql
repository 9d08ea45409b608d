-- Applications and their materials. Personal data is stored only encrypted (AES-GCM, the
-- key id inside each ciphertext) beside its masked form; the pseudonym correlates cases.
CREATE TABLE applications (
    case_id                  uuid PRIMARY KEY,
    request_id               text NOT NULL UNIQUE,
    status                   text NOT NULL,
    hall_id                  text NOT NULL,
    hall_province            text NOT NULL,
    target_province          text NOT NULL,
    matter_code              text NOT NULL,
    department               text NOT NULL,
    name_enc                 bytea NOT NULL,
    name_masked              text NOT NULL,
    id_number_enc            bytea NOT NULL,
    id_number_masked         text NOT NULL,
    phone_enc                bytea NOT NULL,
    phone_masked             text NOT NULL,
    pseudonym                text NOT NULL,
    elderly                  boolean NOT NULL,
    disability               boolean NOT NULL,
    interpreter              boolean NOT NULL,
    preferred_language       text NOT NULL,
    delivery_method          integer NOT NULL,
    accepted_with_deficiency boolean NOT NULL DEFAULT false,
    missing_materials        text[] NOT NULL DEFAULT '{}',
    created_at               timestamptz NOT NULL DEFAULT now(),
    submitted_at             timestamptz,
    cancelled_at             timestamptz,
    cancel_reason            text,
    updated_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX applications_by_hall ON applications (hall_id, status, created_at, case_id);
CREATE INDEX applications_by_pseudonym ON applications (pseudonym);

CREATE TABLE materials (
    id           uuid PRIMARY KEY,
    case_id      uuid NOT NULL REFERENCES applications (case_id),
    code         text NOT NULL,
    content_type text NOT NULL,
    size         bigint NOT NULL,
    sha256       text NOT NULL,
    source       text NOT NULL,
    blob_key     text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX materials_by_case ON materials (case_id, created_at);
