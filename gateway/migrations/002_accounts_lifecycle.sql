-- Accounts over their life: a password to change at the next sign-in (after a reset or the
-- bootstrap), a second factor (TOTP, RFC 6238) with recovery codes, sessions that are not
-- yet complete, and kiosk keys that can be named and revoked.
ALTER TABLE accounts
    ADD COLUMN must_change_password boolean NOT NULL DEFAULT false,
    -- the TOTP key, sealed with AES-GCM under a key derived from the session secret
    ADD COLUMN totp_secret          bytea,
    ADD COLUMN totp_pending         bytea,  -- during enrolment, until a first code confirms it
    -- the last 30-second step a code was accepted for: a code is good once (RFC 6238 §5.2)
    ADD COLUMN totp_last_step       bigint NOT NULL DEFAULT 0,
    ADD COLUMN updated_at           timestamptz NOT NULL DEFAULT now();

-- Single-use codes for a lost authenticator: only an HMAC of each is kept.
CREATE TABLE recovery_codes (
    username   text NOT NULL REFERENCES accounts (username) ON DELETE CASCADE,
    code_hash  text NOT NULL,
    used_at    timestamptz,
    PRIMARY KEY (username, code_hash)
);

-- A session is complete ('full') or waits for a step: the second factor ('second_factor'),
-- enrolling one ('enrol'), or a new password ('password'). Only complete ones reach the API.
ALTER TABLE sessions
    ADD COLUMN stage text NOT NULL DEFAULT 'full'
        CHECK (stage IN ('full', 'second_factor', 'enrol', 'password'));

-- Each kiosk key gets an id: applicant tokens are bound to it, admins revoke by it.
ALTER TABLE devices
    ADD COLUMN id         uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    ADD COLUMN revoked_at timestamptz;

CREATE INDEX audit_case ON audit (case_id) WHERE case_id <> '';
