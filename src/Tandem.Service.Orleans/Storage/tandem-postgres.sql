-- The Tandem study store on PostgreSQL (issue 19): the same tables as the embedded SQLite store
-- (src/Tandem.Service/Storage/SqliteStudyStore.cs). PostgresStudyStore runs this at startup; it is idempotent.
CREATE TABLE IF NOT EXISTS tandem_studies(
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, spec TEXT NOT NULL, key_salt BYTEA NOT NULL, key_hash BYTEA NOT NULL,
  seed NUMERIC(20) NOT NULL, created TIMESTAMPTZ NOT NULL);
-- (study, seq) is the single-writer guard: a second writer of the same event number fails its whole group.
CREATE TABLE IF NOT EXISTS tandem_events(
  study TEXT NOT NULL, seq BIGINT NOT NULL, type SMALLINT NOT NULL, decision_seq BIGINT NOT NULL,
  request_id TEXT NULL, subject TEXT NULL, reward DOUBLE PRECISION NULL, model_version BIGINT NOT NULL, body TEXT NOT NULL, aux TEXT NULL,
  PRIMARY KEY(study, seq));
CREATE UNIQUE INDEX IF NOT EXISTS tandem_events_decision ON tandem_events(study, decision_seq, type) WHERE type < 2;
CREATE UNIQUE INDEX IF NOT EXISTS tandem_events_request ON tandem_events(study, request_id) WHERE request_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS tandem_snapshots(
  study TEXT NOT NULL, event_seq BIGINT NOT NULL, model_version BIGINT NOT NULL, state TEXT NOT NULL,
  PRIMARY KEY(study, event_seq));
