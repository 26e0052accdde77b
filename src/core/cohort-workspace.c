/* cohort-workspace.c: the SQLite file that holds everything
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include <inttypes.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "cohort-migrations-private.h"
#include "cohort-workspace.h"

/* PRAGMA application_id: "Cohr" */
#define COHORT_APPLICATION_ID 0x436f6872

struct _CohortWorkspace
{
  GObject     parent_instance;

  char       *path;
  char       *uuid;
  sqlite3    *db;
  GHashTable *statements;     /* SQL text -> sqlite3_stmt */
  guint       depth;          /* transaction nesting */
  guint       pending_changes;
  gint64      data_version;   /* PRAGMA data_version last seen */
  gboolean    read_only;
  guint       stamps_suspended;  /* depth at which the stamp triggers were dropped, 0: none */
  int         open_rc;           /* SQLite's code for a failed first read */
  guint       stamps_to_renew;   /* COHORT_STAMP_*_MASK */
  sqlite3_int64 changes_at_suspend;
};

G_DEFINE_FINAL_TYPE (CohortWorkspace, cohort_workspace, G_TYPE_OBJECT)

G_DEFINE_QUARK (cohort-workspace-error-quark, cohort_workspace_error)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

int
cohort_workspace_schema_version (void)
{
  return cohort_migrations_count ();
}

static void
cohort_workspace_finalize (GObject *object)
{
  CohortWorkspace *self = (CohortWorkspace *) object;

  if (self->depth > 0)
    {
      g_warning ("Workspace closed inside a transaction: rolling back");
      sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
    }
  g_clear_pointer (&self->statements, g_hash_table_unref);
  if (self->db != NULL)
    sqlite3_close_v2 (self->db);
  g_free (self->path);
  g_free (self->uuid);

  G_OBJECT_CLASS (cohort_workspace_parent_class)->finalize (object);
}

static void
cohort_workspace_class_init (CohortWorkspaceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cohort_workspace_finalize;

  /* Before SQLite initialises: its memory statistics take a global lock on
   * every allocation (a few percent of an import) and nothing reads them. */
  sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0);

  /**
   * CohortWorkspace::changed:
   * @what: a #CohortChange mask
   *
   * Emitted after a change was committed through this connection, or when
   * cohort_workspace_check_external_changes() found another process's.
   */
  signals[CHANGED] = g_signal_new ("changed",
                                   G_TYPE_FROM_CLASS (klass),
                                   G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL,
                                   G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
finalize_statement (gpointer data)
{
  sqlite3_finalize (data);
}

static void
cohort_workspace_init (CohortWorkspace *self)
{
  self->statements = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            finalize_statement);
}

char *
cohort_workspace_default_path (void)
{
  const char *env = g_getenv ("COHORT_WORKSPACE");

  if (env != NULL && env[0] != '\0')
    return g_strdup (env);
  return g_build_filename (g_get_user_data_dir (), "cohort", "workspace.cohort", NULL);
}

static int
error_code_for_sqlite (int rc)
{
  switch (rc & 0xff)
    {
    case SQLITE_CORRUPT:
      return COHORT_WORKSPACE_ERROR_CORRUPT;
    case SQLITE_NOTADB:
      return COHORT_WORKSPACE_ERROR_NOT_A_WORKSPACE;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return COHORT_WORKSPACE_ERROR_BUSY;
    case SQLITE_CONSTRAINT:
      return COHORT_WORKSPACE_ERROR_EXISTS;
    default:
      return COHORT_WORKSPACE_ERROR_FAILED;
    }
}

gboolean
cohort_workspace_db_error (CohortWorkspace  *self,
                           GError          **error,
                           const char       *what)
{
  int rc = sqlite3_extended_errcode (self->db);

  switch (rc & 0xff)
    {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      g_set_error (error, COHORT_WORKSPACE_ERROR, error_code_for_sqlite (rc),
                   _("The workspace “%s” is damaged (%s): %s"),
                   self->path, what, sqlite3_errmsg (self->db));
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_BUSY,
                   _("Another program is writing to the workspace “%s” and did not "
                     "finish within 10 seconds; try again when it is done (%s)"),
                   self->path, what);
      break;
    case SQLITE_READONLY:
      g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_FAILED,
                   _("The workspace “%s” cannot be written: it is read-only (%s)"),
                   self->path, what);
      break;
    case SQLITE_FULL:
      g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_FAILED,
                   _("The disk holding “%s” is full (%s)"), self->path, what);
      break;
    default:
      g_set_error (error, COHORT_WORKSPACE_ERROR, error_code_for_sqlite (rc),
                   "%s: %s", what, sqlite3_errmsg (self->db));
      break;
    }
  return FALSE;
}

gboolean
cohort_workspace_step_done (CohortWorkspace  *self,
                            sqlite3_stmt     *stmt,
                            const char       *what,
                            GError          **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return cohort_workspace_db_error (self, error, what);
  return TRUE;
}

/* What the path is, by stat() alone: the database file is never opened
 * outside SQLite. Closing any descriptor of a file drops every POSIX lock
 * this process holds on it, so a worker thread that read the header with
 * fopen()/fclose() made another process think the window was gone: it
 * checkpointed and deleted the WAL under the window's feet. */
static gboolean
check_path (const char  *path,
            gboolean    *out_empty,
            GError     **error)
{
  GStatBuf st;

  *out_empty = FALSE;
  if (g_stat (path, &st) != 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   _("Cannot open “%s”: %s"), path, g_strerror (saved));
      return FALSE;
    }
  if (S_ISDIR (st.st_mode))
    {
      g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_NOT_A_WORKSPACE,
                   _("“%s” is a folder, not a Cohort workspace"), path);
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_NOT_A_WORKSPACE,
                   _("“%s” is not a regular file, so it cannot be a Cohort workspace"), path);
      return FALSE;
    }
  *out_empty = st.st_size == 0;
  return TRUE;
}

static gboolean
wal_has_frames (const char *path)
{
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  GStatBuf st;

  return g_stat (wal, &st) == 0 && st.st_size > 32;
}

/* Looks at the first bytes through SQLite's own file handle (never a
 * descriptor of ours, see check_path()) before anything is read or written,
 * so that a foreign or truncated file is refused without being touched. */
static gboolean
check_header (CohortWorkspace  *self,
              GError          **error)
{
  static const char magic[16] = "SQLite format 3";
  guint8 header[100] = { 0 };
  sqlite3_file *file = NULL;
  sqlite3_int64 size = 0;
  guint32 page_size, n_pages, change_counter, valid_for;
  int rc;

  if (sqlite3_file_control (self->db, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK ||
      file == NULL || file->pMethods == NULL)
    return TRUE;    /* not opened yet: SQLite reports what it finds */
  if (file->pMethods->xFileSize (file, &size) != SQLITE_OK)
    size = 0;
  rc = file->pMethods->xRead (file, header, sizeof header, 0);
  if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ)
    {
      g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_FAILED,
                   _("Cannot read “%s”"), self->path);
      return FALSE;
    }
  if (size == 0)
    return TRUE;    /* a new, empty file */
  if ((gsize) size < sizeof magic || memcmp (header, magic, sizeof magic) != 0)
    {
      g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_NOT_A_WORKSPACE,
                   _("“%s” is not a Cohort workspace"), self->path);
      return FALSE;
    }
  if ((gsize) size < sizeof header)
    {
      g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_CORRUPT,
                   _("The workspace “%s” is damaged: the file is truncated"), self->path);
      return FALSE;
    }

  page_size = ((guint32) header[16] << 8) | header[17];
  if (page_size == 1)
    page_size = 65536;
  n_pages = GUINT32_FROM_BE (*(guint32 *) (header + 28));
  change_counter = GUINT32_FROM_BE (*(guint32 *) (header + 24));
  valid_for = GUINT32_FROM_BE (*(guint32 *) (header + 92));
  if (page_size < 512 || (page_size & (page_size - 1)) != 0)
    {
      g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_CORRUPT,
                   _("The workspace “%s” is damaged: its header is invalid"), self->path);
      return FALSE;
    }
  /* The size in the header may run ahead of the file while another
   * connection checkpoints its WAL (page 1 is copied before the pages that
   * extend the file); then SQLite itself notices a truly missing page. */
  if (n_pages > 0 && change_counter == valid_for &&
      (guint64) size < (guint64) n_pages * page_size &&
      !wal_has_frames (self->path) &&
      /* a checkpoint that ended (and emptied the WAL) since the size was read */
      (file->pMethods->xFileSize (file, &size) != SQLITE_OK ||
       (guint64) size < (guint64) n_pages * page_size))
    {
      g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_CORRUPT,
                   _("The workspace “%s” is damaged: the file is truncated "
                     "(%" PRIu64 " of %" PRIu64 " bytes)"),
                   self->path, (guint64) size, (guint64) n_pages * page_size);
      return FALSE;
    }
  return TRUE;
}

static gboolean
pragma_int (CohortWorkspace  *self,
            const char       *sql,
            gint64           *out,
            GError          **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    return cohort_workspace_db_error (self, error, sql);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *out = sqlite3_column_int64 (stmt, 0);
  else if (rc == SQLITE_DONE)
    *out = 0;
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return cohort_workspace_db_error (self, error, sql);
  return TRUE;
}

static gboolean
read_identity (CohortWorkspace  *self,
               gint64           *app_id,
               gint64           *version,
               gint64           *n_tables,
               GError          **error)
{
  gboolean ok, snapshot = self->depth == 0;

  /* One read transaction: three separate reads could straddle another
   * process's creation of the schema and see a mix ("tables, but no id"). */
  if (snapshot && sqlite3_exec (self->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
    return cohort_workspace_db_error (self, error, _("opening"));
  ok = pragma_int (self, "PRAGMA application_id", app_id, error) &&
       pragma_int (self, "PRAGMA user_version", version, error) &&
       pragma_int (self, "SELECT count(*) FROM sqlite_master", n_tables, error);
  if (!ok)
    self->open_rc = sqlite3_extended_errcode (self->db);
  if (snapshot)
    sqlite3_exec (self->db, ok ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
  return ok;
}

static gboolean
check_identity (CohortWorkspace  *self,
                gint64            app_id,
                gint64            version,
                gint64            n_tables,
                GError          **error)
{
  if (app_id != COHORT_APPLICATION_ID && (app_id != 0 || version != 0 || n_tables != 0))
    {
      g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_NOT_A_WORKSPACE,
                   _("“%s” is a database of another program, not a Cohort workspace"), self->path);
      return FALSE;
    }
  if (version > cohort_migrations_count ())
    {
      g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_TOO_NEW,
                   _("The workspace “%s” was made by a newer version of Cohort "
                     "(format %" PRId64 ", this version reads up to %d); "
                     "update Cohort to open it"),
                   self->path, version, cohort_migrations_count ());
      return FALSE;
    }
  return TRUE;
}

/* Checks and migrates inside one BEGIN IMMEDIATE: of two processes creating
 * or upgrading one workspace at once, the second waits for the first and
 * then finds the work done, instead of running the first script again. */
static gboolean
migrate (CohortWorkspace  *self,
         GError          **error)
{
  gint64 app_id = 0, version = 0, n_tables = 0;
  g_autofree char *set_version = NULL;

  if (!cohort_workspace_begin (self, error))
    {
      g_prefix_error (error, _("Cannot prepare the workspace: "));
      return FALSE;
    }
  if (!read_identity (self, &app_id, &version, &n_tables, error) ||
      !check_identity (self, app_id, version, n_tables, error))
    {
      cohort_workspace_rollback (self);
      return FALSE;
    }
  if (version == cohort_migrations_count ())
    {
      cohort_workspace_rollback (self);
      return TRUE;
    }

  for (int v = (int) version + 1; v <= cohort_migrations_count (); v++)
    {
      g_debug ("Migrating %s to schema %d", self->path, v);
      if (!cohort_workspace_exec (self, cohort_migrations_get (v), error))
        {
          cohort_workspace_rollback (self);
          g_prefix_error (error, _("Cannot upgrade the workspace to version %d: "), v);
          return FALSE;
        }
      if (v == 1)
        {
          g_autofree char *uuid = g_uuid_string_random ();
          g_autofree char *app_id_sql = g_strdup_printf ("PRAGMA application_id = %d",
                                                         COHORT_APPLICATION_ID);

          if (!cohort_workspace_exec (self, app_id_sql, error) ||
              !cohort_workspace_set_meta (self, "uuid", uuid, error) ||
              !cohort_workspace_set_meta (self, "data_generation", "1", error))
            {
              cohort_workspace_rollback (self);
              return FALSE;
            }
        }
    }
  set_version = g_strdup_printf ("PRAGMA user_version = %d", cohort_migrations_count ());
  if (!cohort_workspace_exec (self, set_version, error))
    {
      cohort_workspace_rollback (self);
      return FALSE;
    }
  return cohort_workspace_commit (self, error);
}

/* The stamp triggers are part of the schema; put back any that another
 * program dropped, so that its next edits are seen again. */
static gboolean
ensure_stamp_triggers (CohortWorkspace  *self,
                       GError          **error)
{
  gint64 n = 0;

  if (!pragma_int (self, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                         "AND name GLOB '*_stamp_*'", &n, error))
    return FALSE;
  if (n == 12)
    return TRUE;
  g_debug ("%s: %" PRId64 " of 12 stamp triggers, restoring them", self->path, n);
  if (!cohort_workspace_begin (self, error))
    return FALSE;
  if (!cohort_workspace_exec (self, cohort_migrations_drop_stamp_triggers (), error) ||
      !cohort_workspace_exec (self, cohort_migrations_stamp_triggers (), error) ||
      !cohort_workspace_exec (self, "UPDATE meta SET value = lower(hex(randomblob(16))) "
                                    "WHERE key IN ('customers_stamp', 'events_stamp')", error))
    {
      cohort_workspace_rollback (self);
      return FALSE;
    }
  return cohort_workspace_commit (self, error);
}

static gboolean
is_read_only_error (int rc)
{
  return (rc & 0xff) == SQLITE_READONLY || (rc & 0xff) == SQLITE_CANTOPEN;
}

/* A workspace in a folder we cannot write to: SQLite cannot create the
 * WAL's shared memory file there, so it is read as an immutable snapshot,
 * which is exact only when no WAL with changes waits beside it. */
static gboolean
reopen_immutable (CohortWorkspace  *self,
                  GError          **error)
{
  g_autofree char *wal = g_strconcat (self->path, "-wal", NULL);
  g_autofree char *escaped = g_uri_escape_string (self->path, "/", FALSE);
  g_autofree char *uri = g_strconcat ("file:", escaped, "?mode=ro&immutable=1", NULL);
  GStatBuf st;

  if (g_stat (wal, &st) == 0 && st.st_size > 0)
    {
      g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_FAILED,
                   _("The workspace “%s” is in a folder that cannot be written, and "
                     "changes not yet merged into it wait in “%s”: open it once from a "
                     "folder you can write to"), self->path, wal);
      return FALSE;
    }
  sqlite3_close_v2 (self->db);
  self->db = NULL;
  if (sqlite3_open_v2 (uri, &self->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
                       SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    {
      if (self->db == NULL)
        {
          g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_FAILED,
                       _("Cannot open “%s”: out of memory"), self->path);
          return FALSE;
        }
      cohort_workspace_db_error (self, error, _("opening"));
      return FALSE;
    }
  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, 10000);
  self->read_only = TRUE;
  g_debug ("%s: read-only folder, reading an immutable snapshot", self->path);
  return TRUE;
}

/* Switching a new file to WAL needs every other connection out of the way,
 * and SQLite answers BUSY at once, without its busy handler, when another
 * process creating the same workspace holds it: wait here instead. */
static gboolean
set_wal_mode (CohortWorkspace  *self,
              GError          **error)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  for (;;)
    {
      int rc = sqlite3_exec (self->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);

      if (rc == SQLITE_OK)
        return TRUE;
      if ((rc & 0xff) != SQLITE_BUSY || g_get_monotonic_time () > deadline)
        return cohort_workspace_db_error (self, error, _("opening"));
      g_usleep (5000);
    }
}

static gboolean
folder_is_writable (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);

  return g_access (dir, W_OK) == 0 && g_access (path, W_OK) == 0;
}

CohortWorkspace *
cohort_workspace_open (const char                *path,
                       CohortWorkspaceOpenFlags   flags,
                       GError                   **error)
{
  g_autoptr(CohortWorkspace) self = NULL;
  gboolean exists, empty = FALSE;
  gint64 app_id = 0, version = 0, n_tables = 0;
  int open_flags = SQLITE_OPEN_NOMUTEX;
  GError *local_error = NULL;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (!((flags & COHORT_WORKSPACE_OPEN_CREATE) &&
                          (flags & COHORT_WORKSPACE_OPEN_READ_ONLY)), NULL);

  exists = g_file_test (path, G_FILE_TEST_EXISTS);
  if (!exists)
    {
      g_autofree char *dir = NULL;

      if (!(flags & COHORT_WORKSPACE_OPEN_CREATE))
        {
          g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_NOT_FOUND,
                       _("There is no workspace at “%s”"), path);
          return NULL;
        }
      dir = g_path_get_dirname (path);
      if (g_mkdir_with_parents (dir, 0700) != 0)
        {
          int saved = errno;
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                       _("Cannot create the folder “%s”: %s"), dir, g_strerror (saved));
          return NULL;
        }
      open_flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    }
  else
    {
      if (!check_path (path, &empty, error))
        return NULL;
      open_flags |= (flags & COHORT_WORKSPACE_OPEN_READ_ONLY) ? SQLITE_OPEN_READONLY
                                                              : SQLITE_OPEN_READWRITE;
    }

  self = g_object_new (COHORT_TYPE_WORKSPACE, NULL);
  self->path = g_strdup (path);
  self->read_only = (flags & COHORT_WORKSPACE_OPEN_READ_ONLY) != 0;

  rc = sqlite3_open_v2 (path, &self->db, open_flags, NULL);
  if (rc != SQLITE_OK)
    {
      if (self->db == NULL)
        {
          g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_FAILED,
                       _("Cannot open “%s”: out of memory"), path);
          return NULL;
        }
      cohort_workspace_db_error (self, error, _("opening"));
      g_prefix_error (error, _("Cannot open “%s”: "), path);
      return NULL;
    }
  sqlite3_extended_result_codes (self->db, 1);
  /* Waits for other writers (the window, another command) rather than failing. */
  sqlite3_busy_timeout (self->db, 10000);

  if (!check_header (self, error))
    return NULL;

  /* Read-only look first: nothing below writes until we know the file is ours. */
  if (!read_identity (self, &app_id, &version, &n_tables, &local_error))
    {
      rc = self->open_rc;
      g_debug ("%s: first read failed (%d): %s", path, rc, local_error->message);
      if (exists && !empty && is_read_only_error (rc) && !folder_is_writable (path))
        {
          g_clear_error (&local_error);
          if (!reopen_immutable (self, error) ||
              !read_identity (self, &app_id, &version, &n_tables, error))
            return NULL;
        }
      else if (local_error->domain == COHORT_WORKSPACE_ERROR &&
               local_error->code == COHORT_WORKSPACE_ERROR_NOT_A_WORKSPACE)
        {
          g_clear_error (&local_error);
          g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_NOT_A_WORKSPACE,
                       _("“%s” is not a Cohort workspace"), path);
          return NULL;
        }
      else
        {
          g_propagate_error (error, local_error);
          return NULL;
        }
    }
  if (!check_identity (self, app_id, version, n_tables, error))
    return NULL;

  if (!cohort_workspace_exec (self, "PRAGMA foreign_keys = ON", error))
    return NULL;

  if (self->read_only)
    {
      if (version < cohort_migrations_count ())
        {
          g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_FAILED,
                       _("The workspace “%s” was made by an older version of Cohort and "
                         "must be upgraded, which is not possible here: it is read-only"),
                       path);
          return NULL;
        }
    }
  else
    {
      if (!set_wal_mode (self, error) ||
          !cohort_workspace_exec (self, "PRAGMA synchronous = NORMAL", error))
        return NULL;
      if (version < cohort_migrations_count () && !migrate (self, error))
        return NULL;
      if (!ensure_stamp_triggers (self, error))
        return NULL;
    }

  self->uuid = cohort_workspace_get_meta (self, "uuid");
  if (self->uuid == NULL)
    {
      g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_CORRUPT,
                   _("The workspace “%s” is damaged: it has no identity"), path);
      return NULL;
    }
  pragma_int (self, "PRAGMA data_version", &self->data_version, NULL);

  return g_steal_pointer (&self);
}

gboolean
cohort_workspace_is_read_only (CohortWorkspace *self)
{
  g_return_val_if_fail (COHORT_IS_WORKSPACE (self), FALSE);
  return self->read_only;
}

gboolean
cohort_workspace_read_stamp (sqlite3          *db,
                             CohortStampKind   kind,
                             char            **out_stamp,
                             GError          **error)
{
  sqlite3_stmt *stmt = NULL;
  const char *key = kind == COHORT_STAMP_EVENTS ? "events_stamp" : "customers_stamp";
  g_autofree char *uuid = NULL;
  g_autofree char *token = NULL;
  int rc;

  g_return_val_if_fail (db != NULL, FALSE);
  g_return_val_if_fail (out_stamp != NULL, FALSE);

  *out_stamp = NULL;
  rc = sqlite3_prepare_v2 (db, "SELECT key, value FROM meta WHERE key IN ('uuid', ?)",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          const char *k = (const char *) sqlite3_column_text (stmt, 0);
          const char *v = (const char *) sqlite3_column_text (stmt, 1);

          char **slot = g_strcmp0 (k, "uuid") == 0 ? &uuid : &token;

          g_free (*slot);
          *slot = g_strdup (v);
        }
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      g_set_error (error, COHORT_WORKSPACE_ERROR, error_code_for_sqlite (sqlite3_extended_errcode (db)),
                   _("Cannot read the state of the workspace: %s"), sqlite3_errmsg (db));
      return FALSE;
    }
  if (uuid == NULL || token == NULL)
    {
      g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_CORRUPT,
                   _("The workspace is damaged: it has no “%s”"), uuid == NULL ? "uuid" : key);
      return FALSE;
    }
  *out_stamp = g_strconcat (uuid, "/", kind == COHORT_STAMP_EVENTS ? "e/" : "c/", token, NULL);
  return TRUE;
}

gboolean
cohort_workspace_suspend_stamp_triggers (CohortWorkspace  *self,
                                         guint             stamps,
                                         GError          **error)
{
  g_return_val_if_fail (COHORT_IS_WORKSPACE (self), FALSE);
  g_return_val_if_fail (self->depth > 0, FALSE);

  self->stamps_to_renew |= stamps;
  if (self->stamps_suspended != 0)
    return TRUE;
  if (!cohort_workspace_exec (self, cohort_migrations_drop_stamp_triggers (), error))
    return FALSE;
  self->stamps_suspended = self->depth;
  self->changes_at_suspend = sqlite3_total_changes64 (self->db);
  return TRUE;
}

/* Before the outermost COMMIT: the schema as migrated, and fresh stamps
 * for what the writer said it may change, if it changed any row. */
static gboolean
restore_stamp_triggers (CohortWorkspace  *self,
                        GError          **error)
{
  gboolean changed;

  if (self->stamps_suspended == 0)
    return TRUE;
  changed = sqlite3_total_changes64 (self->db) != self->changes_at_suspend;
  if (!cohort_workspace_exec (self, cohort_migrations_stamp_triggers (), error))
    return FALSE;
  if (changed && (self->stamps_to_renew & COHORT_STAMP_CUSTOMERS_MASK) &&
      !cohort_workspace_exec (self, "UPDATE meta SET value = lower(hex(randomblob(16))) "
                                    "WHERE key = 'customers_stamp'", error))
    return FALSE;
  if (changed && (self->stamps_to_renew & COHORT_STAMP_EVENTS_MASK) &&
      !cohort_workspace_exec (self, "UPDATE meta SET value = lower(hex(randomblob(16))) "
                                    "WHERE key = 'events_stamp'", error))
    return FALSE;
  self->stamps_suspended = 0;
  self->stamps_to_renew = 0;
  return TRUE;
}

const char *
cohort_workspace_get_path (CohortWorkspace *self)
{
  g_return_val_if_fail (COHORT_IS_WORKSPACE (self), NULL);
  return self->path;
}

const char *
cohort_workspace_get_uuid (CohortWorkspace *self)
{
  g_return_val_if_fail (COHORT_IS_WORKSPACE (self), NULL);
  return self->uuid;
}

sqlite3 *
cohort_workspace_get_db (CohortWorkspace *self)
{
  g_return_val_if_fail (COHORT_IS_WORKSPACE (self), NULL);
  return self->db;
}

sqlite3_stmt *
cohort_workspace_prepare (CohortWorkspace  *self,
                          const char       *sql,
                          GError          **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (COHORT_IS_WORKSPACE (self), NULL);

  stmt = g_hash_table_lookup (self->statements, sql);
  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }
  if (sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK)
    {
      cohort_workspace_db_error (self, error, _("preparing a query"));
      return NULL;
    }
  g_hash_table_insert (self->statements, g_strdup (sql), stmt);
  return stmt;
}

gboolean
cohort_workspace_exec (CohortWorkspace  *self,
                       const char       *sql,
                       GError          **error)
{
  char *msg = NULL;
  int rc;

  g_return_val_if_fail (COHORT_IS_WORKSPACE (self), FALSE);

  rc = sqlite3_exec (self->db, sql, NULL, NULL, &msg);
  sqlite3_free (msg);
  if (rc != SQLITE_OK)
    return cohort_workspace_db_error (self, error, _("updating the workspace"));
  return TRUE;
}

gboolean
cohort_workspace_begin (CohortWorkspace  *self,
                        GError          **error)
{
  g_autofree char *sql = NULL;

  g_return_val_if_fail (COHORT_IS_WORKSPACE (self), FALSE);

  if (self->depth == 0)
    {
      if (!cohort_workspace_exec (self, "BEGIN IMMEDIATE", error))
        return FALSE;
      self->pending_changes = 0;
    }
  else
    {
      sql = g_strdup_printf ("SAVEPOINT cohort_%u", self->depth);
      if (!cohort_workspace_exec (self, sql, error))
        return FALSE;
    }
  self->depth++;
  return TRUE;
}

gboolean
cohort_workspace_commit (CohortWorkspace  *self,
                         GError          **error)
{
  guint changes;

  g_return_val_if_fail (COHORT_IS_WORKSPACE (self), FALSE);
  g_return_val_if_fail (self->depth > 0, FALSE);

  if (self->depth > 1)
    {
      g_autofree char *sql = g_strdup_printf ("RELEASE cohort_%u", self->depth - 1);

      if (!cohort_workspace_exec (self, sql, error))
        {
          cohort_workspace_rollback (self);
          return FALSE;
        }
      self->depth--;
      return TRUE;
    }

  if (!restore_stamp_triggers (self, error) ||
      !cohort_workspace_exec (self, "COMMIT", error))
    {
      cohort_workspace_rollback (self);
      return FALSE;
    }
  self->depth = 0;
  changes = self->pending_changes;
  self->pending_changes = 0;
  /* Our own commit bumps data_version only for other connections; keep ours current. */
  pragma_int (self, "PRAGMA data_version", &self->data_version, NULL);
  if (changes != 0)
    g_signal_emit (self, signals[CHANGED], 0, changes);
  return TRUE;
}

void
cohort_workspace_rollback (CohortWorkspace *self)
{
  g_return_if_fail (COHORT_IS_WORKSPACE (self));
  g_return_if_fail (self->depth > 0);

  /* Rolling back the level that dropped the stamp triggers brings them back. */
  if (self->stamps_suspended >= self->depth)
    {
      self->stamps_suspended = 0;
      self->stamps_to_renew = 0;
    }
  if (self->depth > 1)
    {
      g_autofree char *sql = g_strdup_printf ("ROLLBACK TO cohort_%u; RELEASE cohort_%u",
                                              self->depth - 1, self->depth - 1);
      sqlite3_exec (self->db, sql, NULL, NULL, NULL);
      self->depth--;
      return;
    }
  /* Fails harmlessly when SQLite already rolled back by itself. */
  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
  self->depth = 0;
  self->pending_changes = 0;
}

gboolean
cohort_workspace_in_transaction (CohortWorkspace *self)
{
  g_return_val_if_fail (COHORT_IS_WORKSPACE (self), FALSE);
  return self->depth > 0;
}

gboolean
cohort_workspace_note_change (CohortWorkspace  *self,
                              CohortChange      what,
                              GError          **error)
{
  g_return_val_if_fail (COHORT_IS_WORKSPACE (self), FALSE);
  g_return_val_if_fail (self->depth > 0, FALSE);

  if ((what & COHORT_CHANGE_CUSTOMERS) != 0 &&
      (self->pending_changes & COHORT_CHANGE_CUSTOMERS) == 0)
    {
      sqlite3_stmt *stmt;

      stmt = cohort_workspace_prepare (self,
                                       "UPDATE meta SET value = CAST(value AS INTEGER) + 1 "
                                       "WHERE key = 'data_generation'", error);
      if (stmt == NULL)
        return FALSE;
      if (sqlite3_step (stmt) != SQLITE_DONE)
        return cohort_workspace_db_error (self, error, _("recording a change"));

    }
  self->pending_changes |= what;
  return TRUE;
}

gint64
cohort_workspace_get_data_generation (CohortWorkspace *self)
{
  g_autofree char *value = cohort_workspace_get_meta (self, "data_generation");

  return value ? g_ascii_strtoll (value, NULL, 10) : 0;
}

gboolean
cohort_workspace_check_external_changes (CohortWorkspace *self)
{
  gint64 version = 0;

  g_return_val_if_fail (COHORT_IS_WORKSPACE (self), FALSE);

  if (self->depth > 0 || !pragma_int (self, "PRAGMA data_version", &version, NULL))
    return FALSE;
  if (version == self->data_version)
    return FALSE;
  self->data_version = version;
  g_signal_emit (self, signals[CHANGED], 0, (guint) COHORT_CHANGE_ALL);
  return TRUE;
}

char *
cohort_workspace_get_meta (CohortWorkspace *self,
                           const char      *key)
{
  sqlite3_stmt *stmt;
  char *value = NULL;

  stmt = cohort_workspace_prepare (self, "SELECT value FROM meta WHERE key = ?", NULL);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return value;
}

gboolean
cohort_workspace_set_meta (CohortWorkspace  *self,
                           const char       *key,
                           const char       *value,
                           GError          **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = cohort_workspace_prepare (self,
                                   "INSERT INTO meta (key, value) VALUES (?, ?) "
                                   "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                                   error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, value, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return cohort_workspace_db_error (self, error, _("saving a setting"));
  return TRUE;
}
