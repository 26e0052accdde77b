/* cohort-csv-reader.c: bytes → records, streaming
 *
 * The input is read in large blocks into one buffer (for UTF-16 it is
 * converted to UTF-8 block by block first). A resumable state machine walks
 * the buffer and copies each field's bytes into one record buffer that is
 * reused for every record, so the hot path never allocates. Encoding repair
 * (Windows-1252) happens per record, only for records holding non-ASCII
 * bytes that are not valid UTF-8.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include <inttypes.h>

#include <errno.h>
#include <string.h>
#include <glib/gi18n.h>

#include "cohort-csv-reader.h"

#define READ_CHUNK     (256 * 1024)
#define SAMPLE_BYTES   (64 * 1024)
#define SNIFF_LINES    50
/* A quoted field still open this far past its first line break is taken for
 * an unterminated quote: reading resumes on the line after the quote's. */
#define MULTILINE_MAX  (128 * 1024)

typedef enum
{
  S_RECORD_START,
  S_FIELD_START,
  S_UNQUOTED,
  S_QUOTED,
  S_QUOTE_IN_QUOTED,   /* a quote inside a quoted field: closing or doubled? */
  S_SKIP_LINE,         /* after a record too long: resynchronise at the next line */
} State;

typedef struct
{
  gsize start;
  gsize len;
} FieldSpan;

struct _CohortCsvReader
{
  GInputStream      *stream;
  char              *name;
  guint64            total_bytes;
  guint64            raw_read;       /* bytes read from the stream */

  CohortCsvEncoding  encoding;
  char               delimiter;
  gboolean           detected;
  gboolean           eof;
  GIConv             iconv;          /* UTF-16 → UTF-8, else (GIConv) -1 */
  guint8            *raw;            /* UTF-16 only: bytes not converted yet */
  gsize              raw_len;

  guint8            *buf;            /* UTF-8 (or Windows-1252) bytes to parse */
  gsize              buf_alloc;
  gsize              buf_pos;
  gsize              buf_len;
  guint64            buf_abs;        /* offset of buf[0] in the decoded text */

  State              state;
  guint64            line;           /* physical line at buf_pos, 1-based */
  guint64            line_start;     /* decoded offset where that line starts */
  gboolean           skip_lf;        /* a record ended with CR: skip a following LF */
  gboolean           quoted_cr;      /* last byte seen in a quoted field was CR */
  gint64             resume_abs;     /* after the first line break in the open quoted field, or -1 */
  guint64            resume_line;
  gboolean           resume_after_cr;

  /* The current record. */
  char              *rec;
  gsize              rec_len;
  gsize              rec_alloc;
  GArray            *spans;          /* FieldSpan */
  gsize              field_start;
  gboolean           field_quoted;
  gboolean           any_quoted;
  gboolean           too_long;
  guint64            record_line;
  guint64            quote_line;
  guint              quote_column;
  guint64            extra_line;     /* where field n_columns + 1 starts */
  guint              extra_column;
  guint64            end_line;       /* where the record ends */
  guint              end_column;

  const char       **fields;
  gsize             *lens;
  guint              fields_alloc;
  guint              n_fields;
  char              *conv;           /* Windows-1252 conversions of this record */
  gsize              conv_alloc;

  char             **header;
  guint              n_columns;

  guint64            error_line;
  guint              error_column;
};

G_DEFINE_QUARK (cohort-csv-error-quark, cohort_csv_error)

/* Windows-1252 0x80–0x9F; the five undefined bytes map to the C1 controls. */
static const gunichar cp1252_high[32] = {
  0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
  0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
  0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
  0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

const char *
cohort_csv_encoding_to_string (CohortCsvEncoding encoding)
{
  switch (encoding)
    {
    case COHORT_CSV_ENCODING_UTF8:
      return "UTF-8";
    case COHORT_CSV_ENCODING_UTF16LE:
      return "UTF-16LE";
    case COHORT_CSV_ENCODING_UTF16BE:
      return "UTF-16BE";
    case COHORT_CSV_ENCODING_WINDOWS_1252:
      return "WINDOWS-1252";
    case COHORT_CSV_ENCODING_AUTO:
    default:
      return NULL;
    }
}

gboolean
cohort_csv_encoding_from_string (const char        *name,
                                 CohortCsvEncoding *encoding)
{
  static const struct {
    const char        *name;
    CohortCsvEncoding  encoding;
  } names[] = {
    { "auto", COHORT_CSV_ENCODING_AUTO },
    { "utf-8", COHORT_CSV_ENCODING_UTF8 },
    { "utf8", COHORT_CSV_ENCODING_UTF8 },
    { "utf-16", COHORT_CSV_ENCODING_UTF16LE },
    { "utf16", COHORT_CSV_ENCODING_UTF16LE },
    { "utf-16le", COHORT_CSV_ENCODING_UTF16LE },
    { "utf16le", COHORT_CSV_ENCODING_UTF16LE },
    { "utf-16be", COHORT_CSV_ENCODING_UTF16BE },
    { "utf16be", COHORT_CSV_ENCODING_UTF16BE },
    { "windows-1252", COHORT_CSV_ENCODING_WINDOWS_1252 },
    { "windows1252", COHORT_CSV_ENCODING_WINDOWS_1252 },
    { "cp1252", COHORT_CSV_ENCODING_WINDOWS_1252 },
    { "latin1", COHORT_CSV_ENCODING_WINDOWS_1252 },
    { "latin-1", COHORT_CSV_ENCODING_WINDOWS_1252 },
    { "iso-8859-1", COHORT_CSV_ENCODING_WINDOWS_1252 },
    { "iso8859-1", COHORT_CSV_ENCODING_WINDOWS_1252 },
  };

  if (name == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_ascii_strcasecmp (name, names[i].name) == 0)
      {
        *encoding = names[i].encoding;
        return TRUE;
      }
  return FALSE;
}

gboolean
cohort_csv_delimiter_from_string (const char *text,
                                  char       *delimiter)
{
  if (text == NULL)
    return FALSE;
  if (g_strcmp0 (text, ",") == 0 || g_ascii_strcasecmp (text, "comma") == 0)
    *delimiter = ',';
  else if (g_strcmp0 (text, ";") == 0 || g_ascii_strcasecmp (text, "semicolon") == 0)
    *delimiter = ';';
  else if (g_strcmp0 (text, "|") == 0 || g_ascii_strcasecmp (text, "pipe") == 0)
    *delimiter = '|';
  else if (g_strcmp0 (text, "\t") == 0 || g_strcmp0 (text, "\\t") == 0 ||
           g_ascii_strcasecmp (text, "tab") == 0)
    *delimiter = '\t';
  else
    return FALSE;
  return TRUE;
}

const char *
cohort_csv_delimiter_describe (char delimiter)
{
  switch (delimiter)
    {
    case ',':
      return _("comma");
    case ';':
      return _("semicolon");
    case '\t':
      return _("tab");
    case '|':
      return _("vertical bar");
    default:
      return _("unknown");
    }
}

CohortCsvReader *
cohort_csv_reader_new (GInputStream *stream,
                       guint64       total_bytes,
                       const char   *display_name)
{
  CohortCsvReader *self;

  g_return_val_if_fail (G_IS_INPUT_STREAM (stream), NULL);

  self = g_new0 (CohortCsvReader, 1);
  self->stream = g_object_ref (stream);
  self->name = g_strdup (display_name);
  self->total_bytes = total_bytes;
  self->iconv = (GIConv) -1;
  self->buf_alloc = 2 * READ_CHUNK;
  self->buf = g_malloc (self->buf_alloc);
  self->line = 1;
  self->resume_abs = -1;
  self->rec_alloc = 4096;
  self->rec = g_malloc (self->rec_alloc);
  self->spans = g_array_sized_new (FALSE, FALSE, sizeof (FieldSpan), 64);
  return self;
}

CohortCsvReader *
cohort_csv_reader_new_for_path (const char  *path,
                                GError     **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(GFileInfo) info = NULL;
  g_autofree char *display = NULL;

  stream = g_file_read (file, NULL, error);
  if (stream == NULL)
    return NULL;
  info = g_file_input_stream_query_info (stream, G_FILE_ATTRIBUTE_STANDARD_SIZE, NULL, NULL);
  display = g_filename_display_basename (path);
  return cohort_csv_reader_new (G_INPUT_STREAM (stream),
                                info ? (guint64) g_file_info_get_size (info) : 0,
                                display);
}

void
cohort_csv_reader_free (CohortCsvReader *self)
{
  if (self == NULL)
    return;
  g_clear_object (&self->stream);
  if (self->iconv != (GIConv) -1)
    g_iconv_close (self->iconv);
  g_free (self->name);
  g_free (self->raw);
  g_free (self->buf);
  g_free (self->rec);
  g_array_unref (self->spans);
  g_free (self->fields);
  g_free (self->lens);
  g_free (self->conv);
  g_strfreev (self->header);
  g_free (self);
}

void
cohort_csv_reader_set_delimiter (CohortCsvReader *self,
                                 char             delimiter)
{
  g_return_if_fail (!self->detected);
  self->delimiter = delimiter;
}

void
cohort_csv_reader_set_encoding (CohortCsvReader   *self,
                                CohortCsvEncoding  encoding)
{
  g_return_if_fail (!self->detected);
  self->encoding = encoding;
}

CohortCsvEncoding
cohort_csv_reader_get_encoding (CohortCsvReader *self)
{
  return self->encoding;
}

char
cohort_csv_reader_get_delimiter (CohortCsvReader *self)
{
  return self->delimiter;
}

const char *const *
cohort_csv_reader_get_header (CohortCsvReader *self)
{
  return (const char *const *) self->header;
}

guint
cohort_csv_reader_get_n_columns (CohortCsvReader *self)
{
  return self->n_columns;
}

guint
cohort_csv_reader_get_n_fields (CohortCsvReader *self)
{
  return self->n_fields;
}

const char *
cohort_csv_reader_get_field (CohortCsvReader *self,
                             guint            index,
                             gsize           *len)
{
  g_return_val_if_fail (index < self->n_fields, NULL);
  if (len)
    *len = self->lens[index];
  return self->fields[index];
}

guint64
cohort_csv_reader_get_line (CohortCsvReader *self)
{
  return self->record_line;
}

guint64
cohort_csv_reader_get_error_line (CohortCsvReader *self)
{
  return self->error_line;
}

guint
cohort_csv_reader_get_error_column (CohortCsvReader *self)
{
  return self->error_column;
}

guint64
cohort_csv_reader_get_total_bytes (CohortCsvReader *self)
{
  return self->total_bytes;
}

guint64
cohort_csv_reader_get_bytes_read (CohortCsvReader *self)
{
  if (self->iconv != (GIConv) -1)
    return self->raw_read - self->raw_len;
  return self->raw_read - (self->buf_len - self->buf_pos);
}

/* Reads into @dest until @want bytes or the end; returns bytes read or -1. */
static gssize
read_some (CohortCsvReader  *self,
           guint8           *dest,
           gsize             want,
           GCancellable     *cancellable,
           GError          **error)
{
  gsize got = 0;

  while (got < want && !self->eof)
    {
      gssize n = g_input_stream_read (self->stream, dest + got, want - got, cancellable, error);

      if (n < 0)
        return -1;
      if (n == 0)
        self->eof = TRUE;
      got += (gsize) n;
      self->raw_read += (guint64) n;
    }
  return (gssize) got;
}

/* Converts what raw holds (reading more first) into buf. */
static gboolean
fill_utf16 (CohortCsvReader  *self,
            GCancellable     *cancellable,
            GError          **error)
{
  while (self->buf_len == self->buf_pos)
    {
      char *in, *out;
      gsize in_left, out_left;

      if (!self->eof && self->raw_len < READ_CHUNK)
        {
          gssize n = read_some (self, self->raw + self->raw_len, READ_CHUNK - self->raw_len,
                                cancellable, error);
          if (n < 0)
            return FALSE;
          self->raw_len += (gsize) n;
        }
      if (self->raw_len == 0)
        return TRUE;

      in = (char *) self->raw;
      in_left = self->raw_len;
      out = (char *) self->buf + self->buf_len;
      out_left = self->buf_alloc - self->buf_len;
      while (in_left > 0)
        {
          if (g_iconv (self->iconv, &in, &in_left, &out, &out_left) != (gsize) -1)
            break;
          if (errno == E2BIG)
            break;
          if (errno == EINVAL && !self->eof)
            break;   /* a character continues in the next block */
          /* Invalid (or truncated at the end): U+FFFD and go on. */
          if (out_left < 3)
            break;
          memcpy (out, "\xef\xbf\xbd", 3);
          out += 3;
          out_left -= 3;
          in += MIN (in_left, 2);
          in_left -= MIN (in_left, 2);
        }
      self->buf_len = (gsize) (out - (char *) self->buf);
      memmove (self->raw, in, in_left);
      self->raw_len = in_left;
      if (self->eof && self->buf_len == self->buf_pos && self->raw_len > 0)
        self->raw_len = 0;   /* an odd trailing byte */
    }
  return TRUE;
}

static inline gboolean
in_quotes (CohortCsvReader *self)
{
  return self->state == S_QUOTED || self->state == S_QUOTE_IN_QUOTED;
}

/* Makes buf hold unread bytes; returns 1, 0 at the end, -1 on error.
 * Inside a quoted field that spans lines, what follows its first line break
 * stays in the buffer, so that reading can resume there if the quote turns
 * out never to close. */
static int
fill (CohortCsvReader  *self,
      GCancellable     *cancellable,
      GError          **error)
{
  gsize keep_from = self->buf_len;

  if (in_quotes (self) && self->resume_abs >= 0 && (guint64) self->resume_abs >= self->buf_abs)
    keep_from = (gsize) ((guint64) self->resume_abs - self->buf_abs);
  memmove (self->buf, self->buf + keep_from, self->buf_len - keep_from);
  self->buf_abs += keep_from;
  self->buf_len -= keep_from;
  self->buf_pos = self->buf_len;

  if (self->iconv != (GIConv) -1)
    {
      if (!fill_utf16 (self, cancellable, error))
        return -1;
    }
  else if (!self->eof)
    {
      gssize n = g_input_stream_read (self->stream, self->buf + self->buf_len, READ_CHUNK,
                                      cancellable, error);

      if (n < 0)
        return -1;
      if (n == 0)
        self->eof = TRUE;
      self->raw_read += (guint64) n;
      self->buf_len += (gsize) n;
    }
  return self->buf_len > self->buf_pos ? 1 : 0;
}

/* Valid UTF-8 except possibly a character cut at the end of the sample;
 * NUL bytes are tolerated (they are dropped later). */
static gboolean
sample_is_utf8 (const guint8 *s,
                gsize         len,
                gboolean      complete)
{
  const char *p = (const char *) s;
  const char *end = p + len;

  while (p < end)
    {
      const char *stop;

      if (g_utf8_validate_len (p, (gsize) (end - p), &stop))
        return TRUE;
      if (*stop == '\0')
        {
          p = stop + 1;
          continue;
        }
      return !complete && end - stop < 4 && g_utf8_get_char_validated (stop, end - stop) == (gunichar) -2;
    }
  return TRUE;
}

static CohortCsvEncoding
sniff_utf16 (const guint8 *s,
             gsize         len)
{
  gsize n = MIN (len, 4096) & ~(gsize) 1;
  gsize even_zero = 0, odd_zero = 0;

  if (n < 4)
    return COHORT_CSV_ENCODING_AUTO;
  for (gsize i = 0; i < n; i += 2)
    {
      even_zero += s[i] == 0;
      odd_zero += s[i + 1] == 0;
    }
  if (odd_zero > n / 4 && even_zero * 8 < odd_zero)
    return COHORT_CSV_ENCODING_UTF16LE;
  if (even_zero > n / 4 && odd_zero * 8 < even_zero)
    return COHORT_CSV_ENCODING_UTF16BE;
  return COHORT_CSV_ENCODING_AUTO;
}

/* The candidate that splits the first lines into the same number of
 * fields most often (outside quotes); a comma when nothing splits. */
static char
sniff_delimiter (const guint8 *s,
                 gsize         len,
                 gboolean      complete)
{
  static const char candidates[] = { ',', ';', '\t', '|' };
  guint counts[G_N_ELEMENTS (candidates)][SNIFF_LINES];
  guint cur[G_N_ELEMENTS (candidates)] = { 0 };
  guint n_lines = 0;
  gboolean in_quotes = FALSE, nonblank = FALSE;
  char best = ',';
  guint best_score = 0, best_mode = 0;

  for (gsize i = 0; i <= len && n_lines < SNIFF_LINES; i++)
    {
      guint8 c;

      if (i == len)
        {
          if (!complete || in_quotes)
            break;
          c = '\n';
        }
      else
        c = s[i];

      if (c == '"')
        in_quotes = !in_quotes;
      else if (in_quotes)
        continue;
      else if (c == '\n' || c == '\r')
        {
          if (nonblank)
            {
              for (guint k = 0; k < G_N_ELEMENTS (candidates); k++)
                counts[k][n_lines] = cur[k];
              n_lines++;
            }
          memset (cur, 0, sizeof cur);
          nonblank = FALSE;
          continue;
        }
      else
        for (guint k = 0; k < G_N_ELEMENTS (candidates); k++)
          if (c == (guint8) candidates[k])
            cur[k]++;
      nonblank = TRUE;
    }

  for (guint k = 0; k < G_N_ELEMENTS (candidates); k++)
    {
      guint mode = 0, score = 0;

      /* The mode among non-zero counts, preferring the header's count. */
      for (guint i = 0; i < n_lines; i++)
        {
          guint same = 0;

          if (counts[k][i] == 0)
            continue;
          for (guint j = 0; j < n_lines; j++)
            same += counts[k][j] == counts[k][i];
          if (same > score || (same == score && i == 0))
            {
              score = same;
              mode = counts[k][i];
            }
        }
      if (score > best_score || (score == best_score && score > 0 && mode > best_mode))
        {
          best = candidates[k];
          best_score = score;
          best_mode = mode;
        }
    }
  return best;
}

/* Excel understands a first line "sep=;" naming the delimiter: honour it
 * (unless a delimiter was chosen) and skip it. */
static void
skip_sep_line (CohortCsvReader *self)
{
  const guint8 *p = self->buf + self->buf_pos;
  gsize avail = self->buf_len - self->buf_pos;
  gsize n;

  if (avail < 6 || g_ascii_strncasecmp ((const char *) p, "sep=", 4) != 0 ||
      (p[5] != '\r' && p[5] != '\n') ||
      (p[4] != ',' && p[4] != ';' && p[4] != '\t' && p[4] != '|'))
    return;
  if (self->delimiter == 0)
    self->delimiter = (char) p[4];
  n = 6;
  if (p[5] == '\r' && avail > 6 && p[6] == '\n')
    n = 7;
  self->buf_pos += n;
  self->line = 2;
  self->line_start = self->buf_abs + self->buf_pos;
}

/* Reads the first block and detects what was not set. Called by the first
 * read if needed. */
static gboolean
cohort_csv_reader_detect (CohortCsvReader  *self,
                          GCancellable     *cancellable,
                          GError          **error)
{
  gssize n;
  gsize skip = 0;
  const guint8 *s = self->buf;
  CohortCsvEncoding found = COHORT_CSV_ENCODING_AUTO;

  if (self->detected)
    return TRUE;

  n = read_some (self, self->buf, SAMPLE_BYTES, cancellable, error);
  if (n < 0)
    return FALSE;
  self->buf_len = (gsize) n;

  if (n >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf)
    found = COHORT_CSV_ENCODING_UTF8, skip = 3;
  else if (n >= 2 && s[0] == 0xff && s[1] == 0xfe)
    found = COHORT_CSV_ENCODING_UTF16LE, skip = 2;
  else if (n >= 2 && s[0] == 0xfe && s[1] == 0xff)
    found = COHORT_CSV_ENCODING_UTF16BE, skip = 2;
  else if ((found = sniff_utf16 (s, (gsize) n)) == COHORT_CSV_ENCODING_AUTO)
    found = sample_is_utf8 (s, (gsize) n, self->eof) ? COHORT_CSV_ENCODING_UTF8
                                                     : COHORT_CSV_ENCODING_WINDOWS_1252;

  if (self->encoding == COHORT_CSV_ENCODING_AUTO)
    self->encoding = found;
  else if (self->encoding != found)
    skip = 0;   /* a byte-order mark of another encoding is data */

  self->buf_pos = skip;
  self->buf_abs = 0;
  self->line_start = skip;

  if (self->encoding == COHORT_CSV_ENCODING_UTF16LE ||
      self->encoding == COHORT_CSV_ENCODING_UTF16BE)
    {
      const char *from = self->encoding == COHORT_CSV_ENCODING_UTF16LE ? "UTF-16LE" : "UTF-16BE";

      self->iconv = g_iconv_open ("UTF-8", from);
      if (self->iconv == (GIConv) -1)
        {
          g_set_error (error, COHORT_CSV_ERROR, COHORT_CSV_ERROR_FAILED,
                       _("Cannot convert from %s on this system"), from);
          return FALSE;
        }
      self->raw = g_malloc (READ_CHUNK);
      self->raw_len = self->buf_len - skip;
      memcpy (self->raw, self->buf + skip, self->raw_len);
      self->buf_pos = self->buf_len = 0;
      self->line_start = 0;
      if (!fill_utf16 (self, cancellable, error))
        return FALSE;
    }

  skip_sep_line (self);
  if (self->delimiter == 0)
    self->delimiter = sniff_delimiter (self->buf + self->buf_pos, self->buf_len - self->buf_pos,
                                       self->eof && self->raw_len == 0);
  self->detected = TRUE;
  return TRUE;
}

static inline guint
column_at (CohortCsvReader *self,
           gsize            pos)
{
  return (guint) (self->buf_abs + pos - self->line_start + 1);
}

static gboolean
rec_reserve (CohortCsvReader *self,
             gsize            extra)
{
  gsize need = self->rec_len + extra;

  if (G_LIKELY (need <= self->rec_alloc))
    return TRUE;
  if (need > COHORT_CSV_MAX_RECORD_BYTES)
    return FALSE;
  while (self->rec_alloc < need)
    self->rec_alloc *= 2;
  self->rec = g_realloc (self->rec, self->rec_alloc);
  return TRUE;
}

static inline gboolean
rec_append (CohortCsvReader *self,
            const guint8    *data,
            gsize            len)
{
  if (G_UNLIKELY (!rec_reserve (self, len)))
    return FALSE;
  memcpy (self->rec + self->rec_len, data, len);
  self->rec_len += len;
  return TRUE;
}

static void
field_begin (CohortCsvReader *self)
{
  self->field_start = self->rec_len;
  self->field_quoted = FALSE;
  self->resume_abs = -1;
  if (self->n_columns > 0 && self->spans->len == self->n_columns)
    {
      self->extra_line = self->line;
      self->extra_column = column_at (self, self->buf_pos);
    }
}

static gboolean
field_end (CohortCsvReader *self)
{
  FieldSpan span = { self->field_start, self->rec_len - self->field_start };

  if (!rec_reserve (self, 1))
    return FALSE;
  self->rec[self->rec_len++] = '\0';
  g_array_append_val (self->spans, span);
  self->any_quoted |= self->field_quoted;
  return TRUE;
}

/* Counts line breaks in quoted text: CRLF, LF and lone CR each once. */
static void
count_lines (CohortCsvReader *self,
             const guint8    *s,
             gsize            len)
{
  for (gsize i = 0; i < len; i++)
    {
      if (s[i] == '\r')
        {
          self->line++;
          self->line_start = self->buf_abs + (gsize) (s + i + 1 - self->buf);
          self->quoted_cr = TRUE;
        }
      else
        {
          if (s[i] == '\n')
            {
              if (!self->quoted_cr)
                self->line++;
              self->line_start = self->buf_abs + (gsize) (s + i + 1 - self->buf);
            }
          self->quoted_cr = FALSE;
        }
      if ((s[i] == '\r' || s[i] == '\n') && self->resume_abs < 0)
        {
          self->resume_abs = (gint64) self->line_start;
          self->resume_line = self->line;
          self->resume_after_cr = s[i] == '\r';
        }
    }
}

static void
set_record_error (CohortCsvReader  *self,
                  GError          **error,
                  int               code,
                  guint64           line,
                  guint             column,
                  const char       *message)
{
  self->error_line = line;
  self->error_column = column;
  g_set_error_literal (error, COHORT_CSV_ERROR, code, message);
}

static gboolean
convert_field_1252 (CohortCsvReader *self,
                    guint            i,
                    gsize           *conv_len)
{
  const guint8 *s = (const guint8 *) self->fields[i];
  gsize len = self->lens[i];
  char *out = self->conv + *conv_len;
  char *start = out;

  for (gsize k = 0; k < len; k++)
    {
      guint8 c = s[k];

      if (c < 0x80)
        {
          if (c != 0)
            *out++ = (char) c;
        }
      else
        out += g_unichar_to_utf8 (c < 0xa0 ? cp1252_high[c - 0x80] : c, out);
    }
  *out++ = '\0';
  self->fields[i] = start;
  self->lens[i] = (gsize) (out - start - 1);
  *conv_len += (gsize) (out - start);
  return TRUE;
}

static gboolean
has_high_bytes (const char *s,
                gsize       len)
{
  gsize i = 0;

  for (; i + 8 <= len; i += 8)
    {
      guint64 w;

      memcpy (&w, s + i, 8);
      if (w & G_GUINT64_CONSTANT (0x8080808080808080))
        return TRUE;
    }
  for (; i < len; i++)
    if ((guint8) s[i] & 0x80)
      return TRUE;
  return FALSE;
}

/* Points fields[] at the record and repairs its encoding. */
static void
finish_fields (CohortCsvReader *self)
{
  guint n = self->spans->len;
  gboolean high;
  gsize conv_len = 0;

  if (n > self->fields_alloc)
    {
      self->fields_alloc = MAX (n, self->fields_alloc * 2);
      self->fields = g_renew (const char *, self->fields, self->fields_alloc);
      self->lens = g_renew (gsize, self->lens, self->fields_alloc);
    }
  for (guint i = 0; i < n; i++)
    {
      const FieldSpan *span = &g_array_index (self->spans, FieldSpan, i);
      char *field = self->rec + span->start;
      char *nul = memchr (field, '\0', span->len);

      self->fields[i] = field;
      self->lens[i] = span->len;
      if (G_UNLIKELY (nul != NULL))
        {
          /* NUL bytes are never text: drop them, in place. */
          char *out = nul;

          for (const char *p = nul; p < field + span->len; p++)
            if (*p != '\0')
              *out++ = *p;
          *out = '\0';
          self->lens[i] = (gsize) (out - field);
        }
    }
  self->n_fields = n;

  high = has_high_bytes (self->rec, self->rec_len);
  if (!high)
    return;

  if (self->conv_alloc < self->rec_len * 3 + 1)
    {
      self->conv_alloc = self->rec_len * 3 + 1;
      self->conv = g_realloc (self->conv, self->conv_alloc);
    }
  for (guint i = 0; i < n; i++)
    {
      /* ASCII needs nothing (NUL bytes are gone already). */
      if (!has_high_bytes (self->fields[i], self->lens[i]))
        continue;
      if (self->encoding != COHORT_CSV_ENCODING_WINDOWS_1252 &&
          g_utf8_validate_len (self->fields[i], self->lens[i], NULL))
        continue;
      convert_field_1252 (self, i, &conv_len);
    }
}

static gboolean
record_is_blank (CohortCsvReader *self)
{
  if (self->any_quoted)
    return FALSE;
  for (guint i = 0; i < self->spans->len; i++)
    if (g_array_index (self->spans, FieldSpan, i).len != 0)
      return FALSE;
  return TRUE;
}

static const char *
too_long_message (CohortCsvReader *self)
{
  return in_quotes (self)
    ? _("a quoted field runs past 8 MB without closing (unterminated quote)")
    : _("the row is longer than 8 MB");
}

/* Parses one record into rec/spans. Returns END, RECORD, BAD or FAILED. */
static CohortCsvStatus
parse_record (CohortCsvReader  *self,
              GCancellable     *cancellable,
              GError          **error)
{
  static gboolean special[256];
  static gsize init = 0;
  const guint8 delim = (guint8) self->delimiter;

  if (g_once_init_enter (&init))
    {
      special['\r'] = special['\n'] = TRUE;
      g_once_init_leave (&init, 1);
    }

restart:
  self->rec_len = 0;
  g_array_set_size (self->spans, 0);
  self->any_quoted = FALSE;
  self->n_fields = 0;
  if (self->state != S_SKIP_LINE)
    self->state = S_RECORD_START;

  for (;;)
    {
      const guint8 *p, *end;

      if (self->buf_pos == self->buf_len)
        {
          int r = fill (self, cancellable, error);

          if (r < 0)
            return COHORT_CSV_FAILED;
          if (r == 0)
            {
              switch (self->state)
                {
                case S_RECORD_START:
                case S_SKIP_LINE:
                  self->state = S_RECORD_START;
                  return COHORT_CSV_END;
                case S_QUOTED:
                  if (self->resume_abs >= 0)
                    goto unterminated;
                  self->state = S_RECORD_START;
                  set_record_error (self, error, COHORT_CSV_ERROR_UNTERMINATED_QUOTE,
                                    self->quote_line, self->quote_column,
                                    _("a quoted field is not closed (unterminated quote)"));
                  return COHORT_CSV_BAD;
                case S_FIELD_START:
                case S_UNQUOTED:
                case S_QUOTE_IN_QUOTED:
                default:
                  self->end_line = self->line;
                  self->end_column = column_at (self, self->buf_pos);
                  if (!field_end (self))
                    goto too_long;
                  self->state = S_RECORD_START;
                  if (record_is_blank (self))
                    return COHORT_CSV_END;
                  return COHORT_CSV_RECORD;
                }
            }
        }

      p = self->buf + self->buf_pos;
      end = self->buf + self->buf_len;

      switch (self->state)
        {
        case S_SKIP_LINE:
          while (p < end && !special[*p])
            p++;
          self->buf_pos = (gsize) (p - self->buf);
          if (p < end)
            {
              self->line++;
              self->buf_pos++;
              self->line_start = self->buf_abs + self->buf_pos;
              self->skip_lf = *p == '\r';
              self->state = S_RECORD_START;
              goto restart;
            }
          break;

        case S_RECORD_START:
          if (self->skip_lf)
            {
              self->skip_lf = FALSE;
              if (*p == '\n')
                {
                  self->buf_pos++;
                  self->line_start = self->buf_abs + self->buf_pos;
                  break;
                }
            }
          self->record_line = self->line;
          self->state = S_FIELD_START;
          field_begin (self);
          G_GNUC_FALLTHROUGH;

        case S_FIELD_START:
          if (*p == '"')
            {
              self->quote_line = self->line;
              self->quote_column = column_at (self, self->buf_pos);
              self->field_quoted = TRUE;
              self->quoted_cr = FALSE;
              self->buf_pos++;
              self->state = S_QUOTED;
              break;
            }
          self->state = S_UNQUOTED;
          G_GNUC_FALLTHROUGH;

        case S_UNQUOTED:
          {
            const guint8 *s = p;
            guint8 c;

            while (p < end && *p != delim && !special[*p])
              p++;
            if (!rec_append (self, s, (gsize) (p - s)))
              goto too_long;
            self->buf_pos = (gsize) (p - self->buf);
            if (p == end)
              break;
            c = *p;
            self->buf_pos++;
            if (c == delim)
              {
                if (!field_end (self))
                  goto too_long;
                self->state = S_FIELD_START;
                field_begin (self);
                break;
              }
            goto record_end;
          }

        case S_QUOTED:
          {
            const guint8 *q = memchr (p, '"', (gsize) (end - p));
            const guint8 *stop = q ? q : end;

            count_lines (self, p, (gsize) (stop - p));
            if (!rec_append (self, p, (gsize) (stop - p)))
              goto too_long;
            self->buf_pos = (gsize) (stop - self->buf);
            if (self->resume_abs >= 0 &&
                self->buf_abs + self->buf_pos - (guint64) self->resume_abs > MULTILINE_MAX)
              goto unterminated;
            if (q != NULL)
              {
                self->buf_pos++;
                self->state = S_QUOTE_IN_QUOTED;
              }
            break;
          }

        case S_QUOTE_IN_QUOTED:
          {
            guint8 c = *p;

            if (c == '"')
              {
                if (!rec_append (self, p, 1))
                  goto too_long;
                self->buf_pos++;
                self->state = S_QUOTED;
              }
            else if (c == delim)
              {
                self->buf_pos++;
                if (!field_end (self))
                  goto too_long;
                self->state = S_FIELD_START;
                field_begin (self);
              }
            else if (c == '\n' || c == '\r')
              {
                self->buf_pos++;
                goto record_end;
              }
            else
              {
                /* Text after the closing quote ("a"b): keep it, as spreadsheets do. */
                self->state = S_UNQUOTED;
              }
            break;
          }

        default:
          g_assert_not_reached ();
        }
      continue;

    record_end:
      /* buf_pos is just past the CR or LF that ends the record. */
      self->end_line = self->line;
      self->end_column = column_at (self, self->buf_pos - 1);
      self->line++;
      self->line_start = self->buf_abs + self->buf_pos;
      self->skip_lf = self->buf[self->buf_pos - 1] == '\r';
      if (!field_end (self))
        goto too_long;
      self->state = S_RECORD_START;
      if (record_is_blank (self))
        goto restart;
      return COHORT_CSV_RECORD;
    }

unterminated:
  /* Read again from the line after the one that opened the quote. */
  set_record_error (self, error, COHORT_CSV_ERROR_UNTERMINATED_QUOTE,
                    self->quote_line, self->quote_column,
                    _("a quoted field is not closed (unterminated quote)"));
  g_assert ((guint64) self->resume_abs >= self->buf_abs);
  self->buf_pos = (gsize) ((guint64) self->resume_abs - self->buf_abs);
  self->line = self->resume_line;
  self->line_start = (guint64) self->resume_abs;
  self->skip_lf = self->resume_after_cr;
  self->resume_abs = -1;
  self->state = S_RECORD_START;
  self->rec_len = 0;
  g_array_set_size (self->spans, 0);
  return COHORT_CSV_BAD;

too_long:
  if (in_quotes (self))
    set_record_error (self, error, COHORT_CSV_ERROR_UNTERMINATED_QUOTE,
                      self->quote_line, self->quote_column, too_long_message (self));
  else
    set_record_error (self, error, COHORT_CSV_ERROR_TOO_LONG,
                      self->record_line, 1, too_long_message (self));
  self->state = S_SKIP_LINE;
  self->rec_len = 0;
  g_array_set_size (self->spans, 0);
  return COHORT_CSV_BAD;
}

static CohortCsvStatus
read_record (CohortCsvReader  *self,
             GCancellable     *cancellable,
             GError          **error)
{
  CohortCsvStatus status;

  if (!self->detected && !cohort_csv_reader_detect (self, cancellable, error))
    return COHORT_CSV_FAILED;

  status = parse_record (self, cancellable, error);
  if (status == COHORT_CSV_RECORD)
    finish_fields (self);
  else
    self->n_fields = 0;
  return status;
}

gboolean
cohort_csv_reader_read_header (CohortCsvReader  *self,
                               GCancellable     *cancellable,
                               GError          **error)
{
  g_autoptr(GString) problems = NULL;
  g_autoptr(GHashTable) seen = NULL;
  CohortCsvStatus status;
  guint n;

  g_return_val_if_fail (self->header == NULL, FALSE);

  status = read_record (self, cancellable, error);
  if (status == COHORT_CSV_FAILED)
    return FALSE;
  if (status == COHORT_CSV_BAD)
    {
      g_prefix_error (error, _("Line %" PRIu64 ", column %u of the header: "),
                      self->error_line, self->error_column);
      return FALSE;
    }
  if (status == COHORT_CSV_END)
    {
      g_set_error (error, COHORT_CSV_ERROR, COHORT_CSV_ERROR_NO_HEADER,
                   _("The file is empty: a header row naming the columns is required"));
      return FALSE;
    }

  /* Empty names at the end are tolerated (spreadsheets leave them). */
  n = self->n_fields;
  while (n > 1 && self->lens[n - 1] == 0)
    n--;

  seen = g_hash_table_new (g_str_hash, g_str_equal);
  problems = g_string_new (NULL);
  for (guint i = 0; i < n; i++)
    {
      gpointer prev;

      if (self->lens[i] == 0)
        {
          if (problems->len > 0)
            g_string_append (problems, "; ");
          g_string_append_printf (problems, _("column %u has no name"), i + 1);
        }
      else if (g_hash_table_lookup_extended (seen, self->fields[i], NULL, &prev))
        {
          if (problems->len > 0)
            g_string_append (problems, "; ");
          g_string_append_printf (problems, _("“%s” names columns %u and %u"),
                                  self->fields[i], GPOINTER_TO_UINT (prev) + 1, i + 1);
        }
      else
        g_hash_table_insert (seen, (gpointer) self->fields[i], GUINT_TO_POINTER (i));
    }
  if (problems->len > 0)
    {
      self->error_line = self->record_line;
      self->error_column = 1;
      g_set_error (error, COHORT_CSV_ERROR, COHORT_CSV_ERROR_BAD_HEADER,
                   _("The header row (line %" PRIu64 ") must name every column once: %s"),
                   self->record_line, problems->str);
      return FALSE;
    }

  self->header = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    self->header[i] = g_strndup (self->fields[i], self->lens[i]);
  self->n_columns = n;
  return TRUE;
}

CohortCsvStatus
cohort_csv_reader_next (CohortCsvReader  *self,
                        GCancellable     *cancellable,
                        GError          **error)
{
  CohortCsvStatus status = read_record (self, cancellable, error);

  if (status != COHORT_CSV_RECORD || self->n_columns == 0 || self->n_fields == self->n_columns)
    return status;

  if (self->n_fields > self->n_columns)
    {
      gboolean extra_empty = TRUE;

      for (guint i = self->n_columns; i < self->n_fields && extra_empty; i++)
        extra_empty = self->lens[i] == 0;
      if (extra_empty)
        {
          self->n_fields = self->n_columns;
          return status;
        }
      self->error_line = self->extra_line;
      self->error_column = self->extra_column;
    }
  else
    {
      self->error_line = self->end_line;
      self->error_column = self->end_column;
    }
  g_set_error (error, COHORT_CSV_ERROR, COHORT_CSV_ERROR_FIELD_COUNT,
               g_dngettext (GETTEXT_PACKAGE,
                            "expected %u field as in the header, found %u",
                            "expected %u fields as in the header, found %u",
                            self->n_columns),
               self->n_columns, self->n_fields);
  return COHORT_CSV_BAD;
}
