-- The case row is refolded from its events in their own order (casefold.py): anomalies are
-- those of the fold, kept once each, and dropped when a late event shows the order was fine.
DELETE FROM anomalies a USING anomalies b
    WHERE a.event_id = b.event_id AND a.description = b.description AND a.id > b.id;
CREATE UNIQUE INDEX anomalies_once ON anomalies (event_id, description);
CREATE INDEX anomalies_by_case ON anomalies (case_id);

-- When the case's last window closed: a case still IN_WINDOW after it, with no decision,
-- has nobody responsible for it (ListAnomalies shows it).
ALTER TABLE cases ADD COLUMN window_closed_at timestamptz;

-- The order (ce_time, topic, partition, offset) of the last event folded into the row: a
-- batch whose events all come later is folded on from the row instead of from scratch.
ALTER TABLE cases
    ADD COLUMN folded_time      timestamptz,
    ADD COLUMN folded_topic     text,
    ADD COLUMN folded_partition integer,
    ADD COLUMN folded_offset    bigint;
