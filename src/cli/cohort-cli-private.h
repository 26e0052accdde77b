/* cohort-cli-private.h: what the command files share
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "cohort-workspace.h"

G_BEGIN_DECLS

#define COHORT_EXIT_OK      0
#define COHORT_EXIT_FAILED  1
#define COHORT_EXIT_USAGE   2

typedef struct
{
  char         *workspace_path;   /* --workspace, else $COHORT_WORKSPACE, else default */
  GCancellable *cancellable;      /* cancelled on SIGINT/SIGTERM */
  const char   *command_path;     /* "cohort segments create", for messages */
} CohortCli;

/* A command: argv[0] is the command's own name. Returns an exit code. */
typedef int (*CohortCliFunc) (CohortCli *cli, int argc, char **argv);

typedef struct
{
  const char    *name;
  CohortCliFunc  func;
  const char    *summary;    /* untranslated here, passed through _() when shown */
} CohortCliCommand;

/* Runs argv[1] as one of @commands; prints the list on --help or misuse. */
int              cohort_cli_dispatch        (CohortCli              *cli,
                                             const char             *group,
                                             const CohortCliCommand *commands,
                                             int                     argc,
                                             char                  **argv);

/* Parses options in place (argv keeps the rest, argv[0] included).
 * On error prints it with the usage hint and returns FALSE (exit 2).
 * On --help prints help and sets *exit_now (exit 0). */
gboolean         cohort_cli_parse           (CohortCli    *cli,
                                             const char   *parameter_string,
                                             const char   *summary,
                                             GOptionEntry *entries,
                                             int          *argc,
                                             char       ***argv,
                                             int          *exit_code);

/* Opens the workspace (creating it when @create); prints the error. */
CohortWorkspace *cohort_cli_open_workspace  (CohortCli    *cli,
                                             gboolean      create);

/* "cohort: <message>" on stderr; returns @code. */
int              cohort_cli_fail            (CohortCli    *cli,
                                             int           code,
                                             const char   *format,
                                             ...) G_GNUC_PRINTF (3, 4);
int              cohort_cli_fail_error      (CohortCli    *cli,
                                             const GError *error);

/* Pretty JSON of @node on stdout, with a final newline. */
void             cohort_cli_print_json      (JsonNode     *node);

/* --delimiter and --encoding of the import commands: FALSE (and *exit_code
 * set, the message printed) when the text names none. */
gboolean         cohort_cli_parse_delimiter (CohortCli    *cli,
                                             const char   *text,
                                             char         *delimiter,
                                             int          *exit_code);
gboolean         cohort_cli_parse_encoding  (CohortCli    *cli,
                                             const char   *text,
                                             int          *encoding,   /* CohortCsvEncoding */
                                             int          *exit_code);
/* A CohortImportProgressFunc printing "Importing… N rows (P%)" on stderr;
 * @user_data is the noun ("rows"). Call cohort_cli_progress_done() after. */
void             cohort_cli_import_progress (guint64       rows,
                                             guint64       bytes,
                                             guint64       total,
                                             gpointer      user_data);
void             cohort_cli_progress_done   (void);

/* One kind of import, for cohort_cli_import_run(): @importer is the
 * CohortImporter or CohortEventImporter set up by the command. */
typedef struct
{
  /* Reports through cohort_cli_import_progress(). */
  void      (*set_progress) (gpointer         importer);
  gboolean  (*run)          (gpointer         importer,
                             CohortWorkspace *ws,
                             GCancellable    *cancellable,
                             GError         **error);
  JsonNode *(*report_json)  (gpointer         importer);
  /* @ok: FALSE when the rows were rejected and nothing was written. */
  void      (*report_text)  (gpointer         importer,
                             const char      *display,
                             gboolean         ok);
} CohortCliImportKind;

/* The end of both import commands: opens the workspace, runs @importer
 * (progress on stderr when it is a terminal), then prints the report as
 * JSON or text; rejected rows fail the command after the report, any other
 * error before it. */
int              cohort_cli_import_run      (CohortCli                 *cli,
                                             const CohortCliImportKind *kind,
                                             gpointer                   importer,
                                             const char                *display,
                                             gboolean                   json);

/* An import's rejected rows (CohortImportRejection): as the member
 * "rejected" of the object @b is building ([{"line": N, "reason": "..."}],
 * the shape the issue fixes), and as text on stdout (the first
 * twenty, then how many more of @n_rejected). */
void             cohort_cli_rejections_to_json (JsonBuilder *b,
                                                GArray      *rejected);
void             cohort_cli_print_rejections   (GArray      *rejected,
                                                guint64      n_rejected);

/* TRUE when stderr is a terminal (progress goes there only then). */
gboolean         cohort_cli_stderr_is_tty   (void);

/* A segment as the JSON object of `segments list/show --json`. */
struct _CohortSegment;
JsonNode *cohort_cli_segment_to_json (struct _CohortSegment *segment,
                                      gboolean               with_criteria);

/* Criteria commands (cli-criteria.c). */
struct _CohortSegment;
char *cohort_cli_read_criteria (const char *arg, GError **error);   /* JSON, @FILE or @- */
struct _CohortSegment *cohort_cli_create_with_criteria (CohortWorkspace *ws, const char *name,
                                                        const char *description,
                                                        const char *criteria_arg, GError **error);
int cohort_cli_segments_set_criteria (CohortCli *cli, int argc, char **argv);
int cohort_cli_segments_count        (CohortCli *cli, int argc, char **argv);
int cohort_cli_segments_members      (CohortCli *cli, int argc, char **argv);

/* Command groups (each in its own file). */
int cohort_cli_segments  (CohortCli *cli, int argc, char **argv);
int cohort_cli_import    (CohortCli *cli, int argc, char **argv);
int cohort_cli_import_events (CohortCli *cli, int argc, char **argv);   /* cli-import-events.c */
int cohort_cli_customers (CohortCli *cli, int argc, char **argv);
int cohort_cli_sync      (CohortCli *cli, int argc, char **argv);   /* cli-sync.c */
int cohort_cli_remote    (CohortCli *cli, int argc, char **argv);   /* cli-sync.c */

G_END_DECLS
