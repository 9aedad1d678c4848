-- Outbox rows Kafka refuses for good (larger than the topic's max.message.bytes,
-- a topic that does not exist, an invalid header): the relay records why and
-- when, files the row with the dead letters, and stops claiming it, so it no
-- longer holds up the rows behind it. attempts / last_error also count failed
-- rounds that were retried (broker away), so a row that keeps failing shows.
ALTER TABLE outbox
    ADD COLUMN attempts    integer NOT NULL DEFAULT 0,
    ADD COLUMN last_error  text,
    ADD COLUMN failed_at   timestamptz;

-- The claim reads only rows still to publish: a refused row leaves the
-- partial index just as a sent one does.
DROP INDEX outbox_unsent;
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL AND failed_at IS NULL;
-- Refused rows, for operators and retention, without scanning sent rows.
CREATE INDEX outbox_failed ON outbox (failed_at) WHERE failed_at IS NOT NULL;
