-- 补正: the official asks for supplements; the applicant uploads them and submits again.
ALTER TABLE applications
    ADD COLUMN requested_supplements    text[] NOT NULL DEFAULT '{}',
    ADD COLUMN supplements_requested_at timestamptz,
    ADD COLUMN submission_round         integer NOT NULL DEFAULT 0;

-- Events intake has acted on (decisions from results): a redelivered one is skipped.
CREATE TABLE handled_events (
    event_id   uuid PRIMARY KEY,
    handled_at timestamptz NOT NULL DEFAULT now()
);
