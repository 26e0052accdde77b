/* cohort-migrations.c: the workspace schema, one script per version
 *
 * Version N of the schema is reached by running scripts[0..N-1] in order,
 * each in its own transaction that also sets PRAGMA user_version. Never edit
 * a script that has shipped: add a new one at the end.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "cohort-migrations-private.h"

/* One trigger per table and kind of change; each writes a fresh random
 * token into the stamp of what it belongs to. Shared by migration 4 and by
 * bulk writers, which drop them inside their transaction and put them back
 * (with one fresh stamp) before committing: see
 * cohort_workspace_suspend_stamp_triggers(). */
#define STAMP_TRIGGER(table, op, key) \
  "CREATE TRIGGER " table "_stamp_" op " AFTER " op " ON " table " BEGIN" \
  " UPDATE meta SET value = lower(hex(randomblob(16))) WHERE key = '" key "';" \
  " END;"
#define STAMP_TRIGGERS(table, key) \
  STAMP_TRIGGER (table, "insert", key) \
  STAMP_TRIGGER (table, "update", key) \
  STAMP_TRIGGER (table, "delete", key)
#define COHORT_STAMP_TRIGGERS_SQL \
  STAMP_TRIGGERS ("customers", "customers_stamp") \
  STAMP_TRIGGERS ("attributes", "customers_stamp") \
  STAMP_TRIGGERS ("events", "events_stamp") \
  STAMP_TRIGGERS ("event_attributes", "events_stamp")
#define STAMP_DROP(table) \
  "DROP TRIGGER IF EXISTS " table "_stamp_insert;" \
  "DROP TRIGGER IF EXISTS " table "_stamp_update;" \
  "DROP TRIGGER IF EXISTS " table "_stamp_delete;"
#define COHORT_STAMP_DROP_TRIGGERS_SQL \
  STAMP_DROP ("customers") STAMP_DROP ("attributes") \
  STAMP_DROP ("events") STAMP_DROP ("event_attributes")

static const char *const scripts[] = {
  /* 1: customers, attributes, segments, manual membership */
  "CREATE TABLE meta ("
  "  key   TEXT PRIMARY KEY,"
  "  value TEXT NOT NULL"
  ") WITHOUT ROWID;"

  /* Attribute names as imported (case-sensitive) and their type. */
  "CREATE TABLE attributes ("
  "  id   INTEGER PRIMARY KEY,"
  "  name TEXT NOT NULL UNIQUE,"
  "  type TEXT NOT NULL DEFAULT 'string'"
  "       CHECK (type IN ('string', 'number', 'boolean', 'timestamp'))"
  ");"

  /* ordinal is the customer's stable position in every bitmap. */
  "CREATE TABLE customers ("
  "  ordinal     INTEGER PRIMARY KEY,"
  "  id          TEXT,"
  "  email       TEXT COLLATE NOCASE,"
  "  attrs       BLOB NOT NULL DEFAULT x'',"
  "  added_at    INTEGER NOT NULL,"
  "  modified_at INTEGER NOT NULL,"
  "  CHECK (id IS NOT NULL OR email IS NOT NULL)"
  ");"
  "CREATE UNIQUE INDEX customers_by_id ON customers (id) WHERE id IS NOT NULL;"
  "CREATE UNIQUE INDEX customers_by_email ON customers (email) WHERE email IS NOT NULL;"

  /* AUTOINCREMENT: a deleted segment's id is never reused (undo, sync links). */
  "CREATE TABLE segments ("
  "  id          INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  name        TEXT NOT NULL,"
  "  name_key    TEXT NOT NULL UNIQUE,"   /* NFKC + casefold of name */
  "  kind        TEXT NOT NULL CHECK (kind IN ('manual', 'data-driven')),"
  "  description TEXT NOT NULL DEFAULT '',"
  "  active      INTEGER NOT NULL DEFAULT 1,"
  "  criteria    TEXT,"                   /* JSON, spec/criteria.md */
  "  created_at  INTEGER NOT NULL,"
  "  updated_at  INTEGER NOT NULL"
  ");"

  /* Which segments a segment's criteria refer to (kept with the criteria). */
  "CREATE TABLE segment_refs ("
  "  segment INTEGER NOT NULL REFERENCES segments (id) ON DELETE CASCADE,"
  "  target  INTEGER NOT NULL REFERENCES segments (id),"
  "  PRIMARY KEY (segment, target)"
  ") WITHOUT ROWID;"
  "CREATE INDEX segment_refs_by_target ON segment_refs (target);"

  /* Members of manual segments. */
  "CREATE TABLE segment_members ("
  "  segment  INTEGER NOT NULL REFERENCES segments (id) ON DELETE CASCADE,"
  "  customer INTEGER NOT NULL REFERENCES customers (ordinal) ON DELETE CASCADE,"
  "  PRIMARY KEY (segment, customer)"
  ") WITHOUT ROWID;"
  "CREATE INDEX segment_members_by_customer ON segment_members (customer);",

  /* 2: sync with Customer.io */
  /* Changes sync must carry, in order, written in the same transaction as
   * the change. A row leaves only once the server confirmed it. segment is
   * a local id with no foreign key: a delete must outlive its segment. */
  "CREATE TABLE sync_outbox ("
  "  seq        INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  segment    INTEGER NOT NULL,"
  "  op         TEXT NOT NULL"
  "             CHECK (op IN ('create', 'delete', 'activate', 'deactivate', 'members')),"
  "  created_at INTEGER NOT NULL"
  ");"
  "CREATE INDEX sync_outbox_by_segment ON sync_outbox (segment);"

  /* A local segment and the remote (manual) segment that publishes it.
   * state 'pending': a create was (maybe) sent and not confirmed; create_ref
   * is written into the remote description so the next sync recognises the
   * segment in the remote list instead of creating it again. 'unlinked': the
   * remote segment was deleted in Customer.io; the user decides what next. */
  "CREATE TABLE sync_links ("
  "  segment      INTEGER PRIMARY KEY,"
  "  remote_id    INTEGER UNIQUE,"
  "  state        TEXT NOT NULL CHECK (state IN ('pending', 'linked', 'unlinked')),"
  "  create_ref   TEXT NOT NULL,"
  "  remote_name  TEXT NOT NULL,"
  "  pending_since INTEGER,"
  "  linked_at    INTEGER"
  ");"

  /* The membership Customer.io confirmed, per linked segment (for diffs). */
  "CREATE TABLE sync_pushed ("
  "  segment INTEGER NOT NULL,"
  "  id_type TEXT NOT NULL CHECK (id_type IN ('id', 'email')),"
  "  ident   TEXT NOT NULL,"
  "  PRIMARY KEY (segment, id_type, ident)"
  ") WITHOUT ROWID;"

  /* People sent with identify (so they are not sent again). */
  "CREATE TABLE sync_identified ("
  "  id_type       TEXT NOT NULL CHECK (id_type IN ('id', 'email')),"
  "  ident         TEXT NOT NULL,"
  "  identified_at INTEGER NOT NULL,"
  "  PRIMARY KEY (id_type, ident)"
  ") WITHOUT ROWID;"

  /* The last pulled list of Customer.io segments. */
  "CREATE TABLE remote_segments ("
  "  id          INTEGER PRIMARY KEY,"
  "  name        TEXT NOT NULL,"
  "  description TEXT NOT NULL DEFAULT '',"
  "  type        TEXT NOT NULL,"
  "  state       TEXT,"
  "  progress    INTEGER,"
  "  tags        TEXT,"
  "  count       INTEGER,"
  "  created_at  INTEGER,"
  "  updated_at  INTEGER,"
  "  pulled_at   INTEGER NOT NULL"
  ");"

  /* A remote manual segment's membership, pulled page by page. */
  "CREATE TABLE remote_members ("
  "  remote_segment INTEGER NOT NULL,"
  "  position       INTEGER NOT NULL,"
  "  cio_id         TEXT,"
  "  id             TEXT,"
  "  email          TEXT,"
  "  PRIMARY KEY (remote_segment, position)"
  ") WITHOUT ROWID;"
  "CREATE TABLE remote_member_pulls ("
  "  remote_segment INTEGER PRIMARY KEY,"
  "  complete       INTEGER NOT NULL DEFAULT 0,"
  "  total          INTEGER NOT NULL DEFAULT 0,"
  "  pulled_at      INTEGER NOT NULL"
  ");"

  /* What the last sync said about each local segment. */
  "CREATE TABLE sync_status ("
  "  segment      INTEGER PRIMARY KEY,"
  "  state        TEXT NOT NULL CHECK (state IN ('synced', 'error', 'unlinked')),"
  "  error        TEXT,"
  "  local_count  INTEGER,"
  "  remote_count INTEGER,"
  "  synced_at    INTEGER NOT NULL"
  ");",

  /* 3: customer events */
  /* Names of event attributes (keys of events.attrs, cohort-attrs.h). */
  "CREATE TABLE event_attributes ("
  "  id   INTEGER PRIMARY KEY,"
  "  name TEXT NOT NULL UNIQUE"
  ");"
  /* dedupe: a 64-bit hash of the event's own id when the file has one, else of
   * customer, name, timestamp and attributes, so that importing the same
   * file twice does not double the events. */
  "CREATE TABLE events ("
  "  id        INTEGER PRIMARY KEY,"
  "  customer  INTEGER NOT NULL REFERENCES customers (ordinal) ON DELETE CASCADE,"
  "  name      TEXT NOT NULL,"
  "  timestamp INTEGER NOT NULL,"
  "  attrs     BLOB NOT NULL DEFAULT x'',"
  "  dedupe    INTEGER NOT NULL"
  ");"
  /* Named indexes (not inline constraints): a large import drops and
   * rebuilds them inside its transaction, which is much faster than
   * inserting millions of random keys one by one. */
  "CREATE UNIQUE INDEX events_by_dedupe ON events (dedupe);"
  "CREATE INDEX events_by_customer ON events (customer, timestamp);",

  /* 4: stamps that change with every committed change to what the derived
   * index files are built from, by any program (the sqlite3 shell too): the
   * triggers write a fresh random token per changed row, so a restored
   * backup or an outside edit never matches an index built from other data.
   * Also restores the event indexes that imports of older versions dropped. */
  "INSERT OR REPLACE INTO meta (key, value) VALUES"
  "  ('customers_stamp', lower(hex(randomblob(16)))),"
  "  ('events_stamp', lower(hex(randomblob(16))));"
  COHORT_STAMP_TRIGGERS_SQL
  /* Without its unique index the table may hold the same event twice. */
  "DELETE FROM events"
  " WHERE NOT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'events_by_dedupe')"
  "   AND id NOT IN (SELECT min(id) FROM events GROUP BY dedupe);"
  "CREATE UNIQUE INDEX IF NOT EXISTS events_by_dedupe ON events (dedupe);"
  "CREATE INDEX IF NOT EXISTS events_by_customer ON events (customer, timestamp);",
};

const char *
cohort_migrations_stamp_triggers (void)
{
  return COHORT_STAMP_TRIGGERS_SQL;
}

const char *
cohort_migrations_drop_stamp_triggers (void)
{
  return COHORT_STAMP_DROP_TRIGGERS_SQL;
}

int
cohort_migrations_count (void)
{
  return G_N_ELEMENTS (scripts);
}

const char *
cohort_migrations_get (int version)
{
  g_return_val_if_fail (version >= 1 && version <= (int) G_N_ELEMENTS (scripts), NULL);
  return scripts[version - 1];
}
