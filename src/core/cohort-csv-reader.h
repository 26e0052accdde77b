/* cohort-csv-reader.h: bytes → records, streaming
 *
 * RFC 4180 and what real exports do beyond it: quoted fields holding
 * delimiters, doubled quotes and line breaks; CRLF, LF and lone-CR line
 * ends; no final newline; a UTF-8 BOM; UTF-16 with a BOM (converted);
 * Windows-1252 (converted, record by record, whenever a record is not valid
 * UTF-8). Encoding and delimiter are detected from the first block and can
 * be set before the first read; Excel's first line "sep=;" is honoured.
 * Blank lines (and lines holding only delimiters) are skipped. Memory use is
 * bounded by the longest record (at most COHORT_CSV_MAX_RECORD_BYTES).
 * A quoted field still open 128 KB past its first line break is reported as
 * an unterminated quote, and reading resumes on the line after the quote's,
 * so that one stray quote costs one row, not the rest of the file.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define COHORT_CSV_ERROR (cohort_csv_error_quark ())

typedef enum
{
  COHORT_CSV_ERROR_FAILED,
  COHORT_CSV_ERROR_NO_HEADER,           /* the file holds no record at all */
  COHORT_CSV_ERROR_BAD_HEADER,          /* empty or duplicate column names */
  COHORT_CSV_ERROR_UNTERMINATED_QUOTE,  /* a record: recoverable */
  COHORT_CSV_ERROR_FIELD_COUNT,         /* a record: recoverable */
  COHORT_CSV_ERROR_TOO_LONG,            /* a record: recoverable */
} CohortCsvError;

typedef enum
{
  COHORT_CSV_ENCODING_AUTO,
  COHORT_CSV_ENCODING_UTF8,
  COHORT_CSV_ENCODING_UTF16LE,
  COHORT_CSV_ENCODING_UTF16BE,
  COHORT_CSV_ENCODING_WINDOWS_1252,
} CohortCsvEncoding;

typedef enum
{
  COHORT_CSV_END,       /* no more records */
  COHORT_CSV_RECORD,    /* a good record */
  COHORT_CSV_BAD,       /* a bad record (error set); reading can go on */
  COHORT_CSV_FAILED,    /* reading failed (error set): stop */
} CohortCsvStatus;

/* The longest record the reader holds in memory. */
#define COHORT_CSV_MAX_RECORD_BYTES (8 * 1024 * 1024)

typedef struct _CohortCsvReader CohortCsvReader;

GQuark            cohort_csv_error_quark           (void);

/* "UTF-8", "UTF-16LE", "UTF-16BE", "WINDOWS-1252" (NULL for AUTO). */
const char       *cohort_csv_encoding_to_string    (CohortCsvEncoding  encoding);
/* Accepts the names above and common aliases (utf8, cp1252, latin1, utf-16...). */
gboolean          cohort_csv_encoding_from_string  (const char        *name,
                                                    CohortCsvEncoding *encoding);
/* "," ";" "|" "\t", or the words "comma", "semicolon", "tab", "pipe". */
gboolean          cohort_csv_delimiter_from_string (const char        *text,
                                                    char              *delimiter);
/* The delimiter in words, for messages: "comma", "tab"... (translated). */
const char       *cohort_csv_delimiter_describe    (char               delimiter);

/* @total_bytes is the stream's size if known (for progress), else 0.
 * @display_name names the input in error messages (a file name). */
CohortCsvReader  *cohort_csv_reader_new            (GInputStream      *stream,
                                                    guint64            total_bytes,
                                                    const char        *display_name);
CohortCsvReader  *cohort_csv_reader_new_for_path   (const char        *path,
                                                    GError           **error);
void              cohort_csv_reader_free           (CohortCsvReader   *self);

/* Before the first read: 0 / AUTO mean detect. */
void              cohort_csv_reader_set_delimiter  (CohortCsvReader   *self,
                                                    char               delimiter);
void              cohort_csv_reader_set_encoding   (CohortCsvReader   *self,
                                                    CohortCsvEncoding  encoding);

CohortCsvEncoding cohort_csv_reader_get_encoding   (CohortCsvReader   *self);
char              cohort_csv_reader_get_delimiter  (CohortCsvReader   *self);

/* Reads the first record as the header: it must exist and name every column
 * once. Later records must have as many fields (extra empty trailing fields
 * are allowed, and so are empty trailing header names). */
gboolean          cohort_csv_reader_read_header    (CohortCsvReader   *self,
                                                    GCancellable      *cancellable,
                                                    GError           **error);
/* NULL-terminated; NULL before read_header. */
const char *const *cohort_csv_reader_get_header    (CohortCsvReader   *self);
guint             cohort_csv_reader_get_n_columns  (CohortCsvReader   *self);

CohortCsvStatus   cohort_csv_reader_next           (CohortCsvReader   *self,
                                                    GCancellable      *cancellable,
                                                    GError           **error);

/* The current record: valid until the next read. Fields are NUL-terminated
 * UTF-8. After a BAD record they hold what was read (maybe nothing). */
guint             cohort_csv_reader_get_n_fields   (CohortCsvReader   *self);
const char       *cohort_csv_reader_get_field      (CohortCsvReader   *self,
                                                    guint              index,
                                                    gsize             *len);
/* Physical line (1-based) where the current record starts. */
guint64           cohort_csv_reader_get_line       (CohortCsvReader   *self);
/* Where the last error was found (1-based; column counts bytes). */
guint64           cohort_csv_reader_get_error_line   (CohortCsvReader *self);
guint             cohort_csv_reader_get_error_column (CohortCsvReader *self);

/* Input bytes consumed so far, and the total (0 when unknown). */
guint64           cohort_csv_reader_get_bytes_read (CohortCsvReader   *self);
guint64           cohort_csv_reader_get_total_bytes (CohortCsvReader  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CohortCsvReader, cohort_csv_reader_free)

G_END_DECLS
