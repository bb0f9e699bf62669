-- Orleans cluster membership on PostgreSQL (issue 19): Tandem's own tables for Orleans' public IMembershipTable
-- contract (PostgresMembershipTable.cs), next to the study store's tables (tandem-postgres.sql). Run at startup by
-- every silo; idempotent. Needs PostgreSQL 13 or later (gen_random_uuid).
--
-- One version row per cluster: the membership version Orleans increments with every change of a silo's row, and an
-- etag that changes with it. A writer names the etag it read; a stale one matches no row and the write fails whole.
CREATE TABLE IF NOT EXISTS tandem_cluster_versions(
  cluster_id TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  etag TEXT NOT NULL);
-- One row per silo incarnation (address:port@generation). etag changes with InsertRow/UpdateRow, never with a
-- heartbeat (i_am_alive), so a silo's heartbeat does not invalidate what another silo read.
CREATE TABLE IF NOT EXISTS tandem_cluster_members(
  cluster_id TEXT NOT NULL,
  silo TEXT NOT NULL,
  status INTEGER NOT NULL,
  proxy_port INTEGER NOT NULL,
  host_name TEXT NULL,
  silo_name TEXT NULL,
  role_name TEXT NULL,
  update_zone INTEGER NOT NULL,
  fault_zone INTEGER NOT NULL,
  suspect_times TEXT NOT NULL,
  last_suspect TIMESTAMPTZ NULL,
  start_time TIMESTAMPTZ NOT NULL,
  i_am_alive TIMESTAMPTZ NOT NULL,
  etag TEXT NOT NULL,
  PRIMARY KEY(cluster_id, silo));
