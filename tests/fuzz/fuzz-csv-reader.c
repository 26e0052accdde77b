/* fuzz-csv-reader.c: libFuzzer harness for the CSV reader
 *
 * Input: one byte of options (bits 0-2: the delimiter, 0 detected, then
 * , ; TAB |; bits 3-5: the encoding, 0 detected, then UTF-8, UTF-16LE,
 * UTF-16BE, Windows-1252), one byte for the largest read the stream gives
 * (0: as much as asked), then the file (up to 64 KB). Short reads put
 * block ends everywhere. Every record is read and every field checked:
 * NUL-terminated at its length, UTF-8, lines never going back.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <gio/gio.h>

#include "cohort-csv-reader.h"
#include "fuzz-common.h"

#define FUZZ_MAX_INPUT (64 * 1024 + 2)

/* ---- a stream that gives at most @chunk bytes per read ----------------- */

typedef struct
{
  GInputStream  parent_instance;
  const guint8 *data;
  gsize         size;
  gsize         pos;
  gsize         chunk;
} FuzzStream;

typedef struct
{
  GInputStreamClass parent_class;
} FuzzStreamClass;

GType fuzz_stream_get_type (void);
G_DEFINE_TYPE (FuzzStream, fuzz_stream, G_TYPE_INPUT_STREAM)

static gssize
fuzz_stream_read (GInputStream  *stream,
                  void          *buffer,
                  gsize          count,
                  GCancellable  *cancellable,
                  GError       **error)
{
  FuzzStream *self = (FuzzStream *) stream;
  gsize n = MIN (count, self->size - self->pos);

  if (self->chunk > 0)
    n = MIN (n, self->chunk);
  memcpy (buffer, self->data + self->pos, n);
  self->pos += n;
  return (gssize) n;
}

static void
fuzz_stream_class_init (FuzzStreamClass *klass)
{
  G_INPUT_STREAM_CLASS (klass)->read_fn = fuzz_stream_read;
}

static void
fuzz_stream_init (FuzzStream *self)
{
}

/* ---- checks ------------------------------------------------------------- */

static void
check_field (CohortCsvReader *reader,
             guint            i)
{
  gsize len = G_MAXSIZE;
  const char *field = cohort_csv_reader_get_field (reader, i, &len);

  g_assert (field != NULL);
  g_assert (len != G_MAXSIZE);
  g_assert (field[len] == '\0');
  if (memchr (field, '\0', len) == NULL && !g_utf8_validate (field, (gssize) len, NULL))
    g_error ("field %u of the record at line %" G_GUINT64_FORMAT " is not UTF-8", i,
             cohort_csv_reader_get_line (reader));
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const char delimiters[] = { 0, ',', ';', '\t', '|', 0, 0, 0 };
  static const CohortCsvEncoding encodings[] = {
    COHORT_CSV_ENCODING_AUTO, COHORT_CSV_ENCODING_UTF8, COHORT_CSV_ENCODING_UTF16LE,
    COHORT_CSV_ENCODING_UTF16BE, COHORT_CSV_ENCODING_WINDOWS_1252,
    COHORT_CSV_ENCODING_AUTO, COHORT_CSV_ENCODING_AUTO, COHORT_CSV_ENCODING_AUTO,
  };
  g_autoptr(CohortCsvReader) reader = NULL;
  g_autoptr(GError) error = NULL;
  FuzzStream *stream;
  guint8 options, chunk;
  guint64 last_line = 0;
  guint n_records = 0;

  fuzz_init ();
  if (size < 2 || size > FUZZ_MAX_INPUT)
    return 0;
  options = data[0];
  chunk = data[1];
  data += 2, size -= 2;

  stream = g_object_new (fuzz_stream_get_type (), NULL);
  stream->data = data;
  stream->size = size;
  stream->chunk = chunk;
  reader = cohort_csv_reader_new (G_INPUT_STREAM (stream), options & 0x40 ? 0 : size, "fuzz.csv");
  g_object_unref (stream);
  if (delimiters[options & 7] != 0)
    cohort_csv_reader_set_delimiter (reader, delimiters[options & 7]);
  if (encodings[(options >> 3) & 7] != COHORT_CSV_ENCODING_AUTO)
    cohort_csv_reader_set_encoding (reader, encodings[(options >> 3) & 7]);

  if (!cohort_csv_reader_read_header (reader, NULL, &error))
    {
      g_assert (error != NULL);
      return 0;
    }
  g_assert (cohort_csv_reader_get_header (reader) != NULL);
  g_assert (cohort_csv_reader_get_n_columns (reader) > 0);
  for (guint i = 0; cohort_csv_reader_get_header (reader)[i] != NULL; i++)
    g_assert (g_utf8_validate (cohort_csv_reader_get_header (reader)[i], -1, NULL));

  for (;;)
    {
      g_autoptr(GError) local = NULL;
      CohortCsvStatus status = cohort_csv_reader_next (reader, NULL, &local);
      guint64 line;

      if (status == COHORT_CSV_END)
        {
          g_assert (local == NULL);
          break;
        }
      if (status == COHORT_CSV_FAILED)
        {
          g_assert (local != NULL);
          break;
        }
      g_assert (++n_records <= size + 1);
      line = cohort_csv_reader_get_line (reader);
      g_assert (line >= 1 && line >= last_line);
      last_line = line;
      if (status == COHORT_CSV_BAD)
        {
          g_assert (local != NULL && local->domain == COHORT_CSV_ERROR);
          g_assert (cohort_csv_reader_get_error_line (reader) >= line);
          for (guint i = 0; i < cohort_csv_reader_get_n_fields (reader); i++)
            check_field (reader, i);
          continue;
        }
      g_assert (status == COHORT_CSV_RECORD && local == NULL);
      for (guint i = 0; i < cohort_csv_reader_get_n_columns (reader); i++)
        check_field (reader, i);
    }
  g_assert (cohort_csv_reader_get_bytes_read (reader) <= size);
  return 0;
}
