-- The gateway's own database: staff accounts, their sessions, kiosk device keys, an audit
-- trail. No personal data of applicants is ever stored here.
CREATE TABLE accounts (
    username      text PRIMARY KEY CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('official', 'supervisor', 'operator', 'admin')),
    province      text NOT NULL DEFAULT '',
    department    text NOT NULL DEFAULT '',
    display_name  text NOT NULL DEFAULT '',
    languages     text[] NOT NULL DEFAULT '{zh}',
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (role NOT IN ('official', 'supervisor') OR province ~ '^[0-9]{6}$')
);

-- The cookie holds a random token; only its SHA-256 is stored.
CREATE TABLE sessions (
    token_hash  text PRIMARY KEY,
    username    text NOT NULL REFERENCES accounts (username) ON DELETE CASCADE,
    csrf_token  text NOT NULL,
    client      text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Kiosk device keys are long random strings: SHA-256 is enough to store them safely.
CREATE TABLE devices (
    key_hash    text PRIMARY KEY,
    hall_id     text NOT NULL,
    label       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked     boolean NOT NULL DEFAULT false
);

-- Who did what (logins, decisions, account changes): kept for the audit (等保 2.0).
CREATE TABLE audit (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    action      text NOT NULL,
    case_id     text NOT NULL DEFAULT '',
    client      text NOT NULL DEFAULT '',
    detail      text NOT NULL DEFAULT ''
);
CREATE INDEX audit_at ON audit (at);
