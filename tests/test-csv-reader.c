/* test-csv-reader.c: every reading case, with the exact records expected
 *
 * Each case runs twice: from a memory stream, and from a stream that hands
 * out one to seven bytes per read, so that every quote, CR and LF also lands
 * on a block boundary.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "cohort-csv-reader.h"

/* ---- A stream that returns few bytes at a time ----------------------- */

#define TEST_TYPE_CHUNKY_STREAM (test_chunky_stream_get_type ())
G_DECLARE_FINAL_TYPE (TestChunkyStream, test_chunky_stream, TEST, CHUNKY_STREAM, GInputStream)

struct _TestChunkyStream
{
  GInputStream  parent_instance;
  GBytes       *bytes;
  gsize         pos;
  guint         step;
};

G_DEFINE_FINAL_TYPE (TestChunkyStream, test_chunky_stream, G_TYPE_INPUT_STREAM)

static gssize
chunky_read (GInputStream  *stream,
             void          *buffer,
             gsize          count,
             GCancellable  *cancellable,
             GError       **error)
{
  TestChunkyStream *self = (TestChunkyStream *) stream;
  gsize len;
  const guint8 *data = g_bytes_get_data (self->bytes, &len);
  gsize step = (gsize) (self->step++ % 7) + 1;
  gsize n = MIN (count, MIN (len - self->pos, step));

  if (n > 0)
    memcpy (buffer, data + self->pos, n);
  self->pos += n;
  return (gssize) n;
}

static void
chunky_finalize (GObject *object)
{
  g_bytes_unref (((TestChunkyStream *) object)->bytes);
  G_OBJECT_CLASS (test_chunky_stream_parent_class)->finalize (object);
}

static void
test_chunky_stream_class_init (TestChunkyStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = chunky_finalize;
  G_INPUT_STREAM_CLASS (klass)->read_fn = chunky_read;
}

static void
test_chunky_stream_init (TestChunkyStream *self)
{
}

static GInputStream *
make_stream (const char *data,
             gsize       len,
             gboolean    chunky)
{
  GBytes *bytes = g_bytes_new (data, len);
  TestChunkyStream *stream;

  if (!chunky)
    {
      GInputStream *mem = g_memory_input_stream_new_from_bytes (bytes);
      g_bytes_unref (bytes);
      return mem;
    }
  stream = g_object_new (TEST_TYPE_CHUNKY_STREAM, NULL);
  stream->bytes = bytes;
  return G_INPUT_STREAM (stream);
}

/* ---- Rendering what the reader reads ---------------------------------- */

static void
append_escaped (GString    *out,
                const char *s,
                gsize       len)
{
  for (gsize i = 0; i < len; i++)
    {
      if (s[i] == '\n')
        g_string_append (out, "\\n");
      else if (s[i] == '\r')
        g_string_append (out, "\\r");
      else
        g_string_append_c (out, s[i]);
    }
}

/* "LINE:field¦field\n" per record, "LINE!ERRLINE:COL:CODE\n" per bad one. */
static char *
render (CohortCsvReader *reader,
        gboolean         header)
{
  GString *out = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  if (header)
    {
      if (!cohort_csv_reader_read_header (reader, NULL, &error))
        {
          g_string_append_printf (out, "header!%d", error->code);
          return g_string_free (out, FALSE);
        }
      g_string_append (out, "H:");
      for (guint i = 0; i < cohort_csv_reader_get_n_columns (reader); i++)
        g_string_append_printf (out, "%s%s", i ? "¦" : "", cohort_csv_reader_get_header (reader)[i]);
      g_string_append_c (out, '\n');
    }

  for (;;)
    {
      CohortCsvStatus status = cohort_csv_reader_next (reader, NULL, &error);

      if (status == COHORT_CSV_END)
        break;
      g_assert_cmpint (status, !=, COHORT_CSV_FAILED);
      if (status == COHORT_CSV_BAD)
        {
          g_assert_true (g_utf8_validate (error->message, -1, NULL));
          g_string_append_printf (out, "%" G_GUINT64_FORMAT "!%" G_GUINT64_FORMAT ":%u:%d\n",
                                  cohort_csv_reader_get_line (reader),
                                  cohort_csv_reader_get_error_line (reader),
                                  cohort_csv_reader_get_error_column (reader), error->code);
          g_clear_error (&error);
          continue;
        }
      g_string_append_printf (out, "%" G_GUINT64_FORMAT ":", cohort_csv_reader_get_line (reader));
      for (guint i = 0; i < cohort_csv_reader_get_n_fields (reader); i++)
        {
          gsize len;
          const char *field = cohort_csv_reader_get_field (reader, i, &len);

          g_assert_true (g_utf8_validate_len (field, len, NULL));
          g_assert_cmpuint (strlen (field), ==, len);
          if (i > 0)
            g_string_append (out, "¦");
          append_escaped (out, field, len);
        }
      g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

typedef struct
{
  const char        *name;
  const char        *input;
  gsize              len;             /* 0: strlen */
  char               delimiter;       /* set before reading (0: detect) */
  CohortCsvEncoding  encoding;
  gboolean           header;
  char               expect_delimiter;
  CohortCsvEncoding  expect_encoding;
  const char        *expected;
} ReaderCase;

#define U8 COHORT_CSV_ENCODING_UTF8
#define CP COHORT_CSV_ENCODING_WINDOWS_1252
#define LE COHORT_CSV_ENCODING_UTF16LE
#define BE COHORT_CSV_ENCODING_UTF16BE

static const ReaderCase cases[] = {
  { "lf", "a,b\n1,2\n", 0, 0, 0, FALSE, ',', U8, "1:a¦b\n2:1¦2\n" },
  { "crlf", "a,b\r\n1,2\r\n", 0, 0, 0, FALSE, ',', U8, "1:a¦b\n2:1¦2\n" },
  { "lone-cr", "a,b\r1,2\r3,4", 0, 0, 0, FALSE, ',', U8, "1:a¦b\n2:1¦2\n3:3¦4\n" },
  { "mixed-ends", "a\r\nb\nc\rd", 0, 0, 0, FALSE, ',', U8, "1:a\n2:b\n3:c\n4:d\n" },
  { "no-final-newline", "a,b\n1,2", 0, 0, 0, FALSE, ',', U8, "1:a¦b\n2:1¦2\n" },
  { "empty-last-field", "a,b\n1,", 0, 0, 0, FALSE, ',', U8, "1:a¦b\n2:1¦\n" },
  { "quoted-comma", "a,b\n\"x,y\",2\n", 0, 0, 0, FALSE, ',', U8, "1:a¦b\n2:x,y¦2\n" },
  { "doubled-quotes", "q,n\n\"he said \"\"hi\"\"\",2\n", 0, 0, 0, FALSE, ',', U8,
    "1:q¦n\n2:he said \"hi\"¦2\n" },
  { "only-doubled-quote", "\"\"\"\",x\n", 0, 0, 0, FALSE, ',', U8, "1:\"¦x\n" },
  { "newline-in-quotes", "id,note\n1,\"line1\nline2\"\n2,x\n", 0, 0, 0, FALSE, ',', U8,
    "1:id¦note\n2:1¦line1\\nline2\n4:2¦x\n" },
  { "crlf-in-quotes", "id,note\r\n1,\"a\r\nb\"\r\n2,c\r\n", 0, 0, 0, FALSE, ',', U8,
    "1:id¦note\n2:1¦a\\r\\nb\n4:2¦c\n" },
  { "cr-in-quotes", "id,note\r1,\"a\rb\"\r2,c", 0, 0, 0, FALSE, ',', U8,
    "1:id¦note\n2:1¦a\\rb\n4:2¦c\n" },
  { "blank-lines", "a\n\n\nb\n\r\n\r\nc", 0, 0, 0, FALSE, ',', U8, "1:a\n4:b\n7:c\n" },
  { "delimiter-only-line", "a,b\n,\n1,2\n", 0, 0, 0, FALSE, ',', U8, "1:a¦b\n3:1¦2\n" },
  { "empty-quoted-not-blank", "a\n\"\"\nb\n", 0, 0, 0, FALSE, ',', U8, "1:a\n2:\n3:b\n" },
  { "double-cr", "a\r\rb\r", 0, 0, 0, FALSE, ',', U8, "1:a\n3:b\n" },
  { "text-after-quote", "\"a\"b,c\n", 0, 0, 0, FALSE, ',', U8, "1:ab¦c\n" },
  { "quote-inside-unquoted", "a\"b,c\n", 0, 0, 0, FALSE, ',', U8, "1:a\"b¦c\n" },
  { "nul-dropped", "a\0b,c\nZo\xc3\xab\0,x\n", 14, 0, 0, FALSE, ',', U8, "1:ab¦c\n2:Zoë¦x\n" },
  { "spaces-kept", " a , b \n", 0, 0, 0, FALSE, ',', U8, "1: a ¦ b \n" },
  { "unterminated-quote", "a,b\n1,\"abc\n2,3\n", 0, 0, 0, FALSE, ',', U8, "1:a¦b\n2!2:3:3\n3:2¦3\n" },
  { "utf8-bom", "\xef\xbb\xbfid,name\n1,Zo\xc3\xab\n", 0, 0, 0, FALSE, ',', U8,
    "1:id¦name\n2:1¦Zoë\n" },
  { "utf16le-bom", "\xff\xfei\0d\0,\0n\0\r\0\n\0" "1\0,\0\xe9\0\n\0", 22, 0, 0, FALSE, ',', LE,
    "1:id¦n\n2:1¦é\n" },
  { "utf16be-bom", "\xfe\xff" "\0i" "\0d" "\0;" "\0n" "\0\n" "\0" "1" "\0;" "\x20\xac" "\0\n", 20, 0, 0, FALSE, ';', BE,
    "1:id¦n\n2:1¦€\n" },
  { "utf16le-no-bom", "i\0d\0,\0n\0\n\0" "1\0,\0\xe9\0\n\0", 18, 0, 0, FALSE, ',', LE,
    "1:id¦n\n2:1¦é\n" },
  { "windows-1252", "id,name\n1,Caf\xe9\n2,\x93q\x94 \x80\n", 0, 0, 0, FALSE, ',', CP,
    "1:id¦name\n2:1¦Café\n3:2¦“q” €\n" },
  { "forced-utf8-repairs-records", "id,name\n1,Zo\xc3\xab\n2,Caf\xe9\n", 0, 0, U8, FALSE, ',', U8,
    "1:id¦name\n2:1¦Zoë\n3:2¦Café\n" },
  { "forced-1252", "n\nZo\xc3\xab\n", 0, 0, CP, FALSE, ',', CP, "1:n\n2:ZoÃ«\n" },
  { "semicolon", "a;b;c\n1;2,5;3\n", 0, 0, 0, FALSE, ';', U8, "1:a¦b¦c\n2:1¦2,5¦3\n" },
  { "semicolon-with-quoted-commas", "\"a,b\";c\n\"1,2\";3\n", 0, 0, 0, FALSE, ';', U8,
    "1:a,b¦c\n2:1,2¦3\n" },
  { "tab", "a\tb\n1\t2, 3\n", 0, 0, 0, FALSE, '\t', U8, "1:a¦b\n2:1¦2, 3\n" },
  { "pipe", "a|b\n1|2\n", 0, 0, 0, FALSE, '|', U8, "1:a¦b\n2:1¦2\n" },
  { "excel-sep-line", "sep=;\r\na;b\r\n1,5;2\r\n", 0, 0, 0, TRUE, ';', U8, "H:a¦b\n3:1,5¦2\n" },
  { "sep-line-chosen-delimiter", "sep=;\na,b\n", 0, ',', 0, FALSE, ',', U8, "2:a¦b\n" },
  { "single-column", "email\nx@y\n", 0, 0, 0, FALSE, ',', U8, "1:email\n2:x@y\n" },
  { "forced-delimiter", "a;b\n1;2\n", 0, ',', 0, FALSE, ',', U8, "1:a;b\n2:1;2\n" },
  { "empty", "", 0, 0, 0, FALSE, ',', U8, "" },
  { "header", "id,email\n1,a@x\n", 0, 0, 0, TRUE, ',', U8, "H:id¦email\n2:1¦a@x\n" },
  { "field-count", "id,email\n1,a@x\n2\n3,c@x,extra\n4,d@x,,\n", 0, 0, 0, TRUE, ',', U8,
    "H:id¦email\n2:1¦a@x\n3!3:2:4\n4!4:7:4\n5:4¦d@x\n" },
  { "trailing-empty-header-names", "a,b,,\n1,2,,\n", 0, 0, 0, TRUE, ',', U8, "H:a¦b\n2:1¦2\n" },
  { "no-header", "\n\n", 0, 0, 0, TRUE, ',', U8, "header!1" },
  { "empty-header-name", "a,,b\n", 0, 0, 0, TRUE, ',', U8, "header!2" },
  { "duplicate-header-name", "a,b,a\n", 0, 0, 0, TRUE, ',', U8, "header!2" },
};

static void
run_case (gconstpointer data)
{
  const ReaderCase *c = data;
  gsize len = c->len ? c->len : strlen (c->input);

  for (int chunky = 0; chunky < 2; chunky++)
    {
      g_autoptr(GInputStream) stream = make_stream (c->input, len, chunky);
      g_autoptr(CohortCsvReader) reader = cohort_csv_reader_new (stream, len, "test.csv");
      g_autofree char *got = NULL;

      if (c->delimiter)
        cohort_csv_reader_set_delimiter (reader, c->delimiter);
      if (c->encoding)
        cohort_csv_reader_set_encoding (reader, c->encoding);
      got = render (reader, c->header);
      g_assert_cmpstr (got, ==, c->expected);
      g_assert_cmpint (cohort_csv_reader_get_delimiter (reader), ==, c->expect_delimiter);
      g_assert_cmpint (cohort_csv_reader_get_encoding (reader), ==, c->expect_encoding);
      if (g_str_has_prefix (c->expected, "header!"))
        continue;
      g_assert_cmpuint (cohort_csv_reader_get_bytes_read (reader), ==, len);
    }
}

/* A record that is not UTF-8 after 64 KB of UTF-8 is converted from Windows-1252. */
static void
test_late_1252 (void)
{
  g_autoptr(GString) input = g_string_new ("n,name\n");
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(CohortCsvReader) reader = NULL;
  g_autoptr(GError) error = NULL;
  guint rows = 0;

  while (input->len < 100 * 1024)
    g_string_append (input, "1,Zo\xc3\xab\n");
  g_string_append (input, "2,Caf\xe9\n");

  stream = make_stream (input->str, input->len, FALSE);
  reader = cohort_csv_reader_new (stream, input->len, "late.csv");
  g_assert_true (cohort_csv_reader_read_header (reader, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (cohort_csv_reader_get_encoding (reader), ==, COHORT_CSV_ENCODING_UTF8);
  while (cohort_csv_reader_next (reader, NULL, &error) == COHORT_CSV_RECORD)
    {
      const char *name = cohort_csv_reader_get_field (reader, 1, NULL);

      rows++;
      if (g_str_equal (cohort_csv_reader_get_field (reader, 0, NULL), "2"))
        g_assert_cmpstr (name, ==, "Café");
      else
        g_assert_cmpstr (name, ==, "Zoë");
    }
  g_assert_no_error (error);
  g_assert_cmpuint (rows, >, 10000);
}

/* Many records with every kind of field, written out and read back, across
 * many block boundaries. */
static void
test_round_trip (void)
{
  static const char *const pieces[] = { "plain", "with,comma", "with \"quote\"", "multi\nline",
                                        "crlf\r\nline", "Zoë", "", "日本", "x" };
  g_autoptr(GString) input = g_string_new (NULL);
  g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func (g_free);
  GRand *rand = g_rand_new_with_seed (42);
  guint64 line = 1;

  for (guint r = 0; r < 30000; r++)
    {
      GString *rec = g_string_new (NULL);
      guint64 start = line;

      for (guint f = 0; f < 4; f++)
        {
          const char *p = pieces[g_rand_int_range (rand, 0, G_N_ELEMENTS (pieces))];
          gboolean quote = strpbrk (p, ",\"\r\n") != NULL || g_rand_boolean (rand);

          if (f == 0 && p[0] == '\0')
            p = "x";   /* no blank records */
          if (f > 0)
            g_string_append_c (input, ',');
          if (quote)
            {
              g_auto(GStrv) parts = g_strsplit (p, "\"", -1);
              g_autofree char *doubled = g_strjoinv ("\"\"", parts);

              g_string_append_printf (input, "\"%s\"", doubled);
            }
          else
            g_string_append (input, p);
          for (const char *q = p; *q; q++)
            if (*q == '\n')
              line++;
          if (f > 0)
            g_string_append (rec, "¦");
          append_escaped (rec, p, strlen (p));
        }
      g_string_append (input, r % 3 == 0 ? "\r\n" : "\n");
      g_ptr_array_add (expected, g_strdup_printf ("%" G_GUINT64_FORMAT ":%s", start, rec->str));
      g_string_free (rec, TRUE);
      line++;
    }
  g_rand_free (rand);

  for (int chunky = 0; chunky < 2; chunky++)
    {
      g_autoptr(GInputStream) stream = make_stream (input->str, input->len, chunky);
      g_autoptr(CohortCsvReader) reader = cohort_csv_reader_new (stream, input->len, "big.csv");
      g_autofree char *got = render (reader, FALSE);
      g_auto(GStrv) lines = g_strsplit (got, "\n", -1);

      g_assert_cmpint (cohort_csv_reader_get_delimiter (reader), ==, ',');
      g_assert_cmpuint (g_strv_length (lines), ==, expected->len + 1);
      for (guint i = 0; i < expected->len; i++)
        g_assert_cmpstr (lines[i], ==, expected->pdata[i]);
    }
}

/* An unterminated quote does not swallow the rest of the file: once the
 * quoted field runs far past its first line break, reading resumes on the
 * next line, whatever the encoding and however the bytes arrive. */
static void
test_unterminated_resumes (void)
{
  g_autoptr(GString) input = g_string_new ("id,note\n1,\"never closed\n");
  guint n_lines = 0;

  while (input->len < 600 * 1024)
    g_string_append_printf (input, "%u,some text that goes on\r\n", 2 + n_lines++);

  for (int variant = 0; variant < 3; variant++)
    {
      g_autoptr(GInputStream) stream = NULL;
      g_autoptr(CohortCsvReader) reader = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *utf16 = NULL;
      gsize len = input->len;
      const char *data = input->str;
      CohortCsvStatus status;
      guint records = 0;

      if (variant == 2)
        {
          g_autofree char *body = g_convert (input->str, input->len, "UTF-16LE", "UTF-8", NULL, &len, NULL);

          utf16 = g_malloc (len + 2);
          memcpy (utf16, "\xff\xfe", 2);
          memcpy (utf16 + 2, body, len);
          len += 2;
          data = utf16;
        }
      stream = make_stream (data, len, variant == 1);
      reader = cohort_csv_reader_new (stream, len, "u.csv");
      g_assert_true (cohort_csv_reader_read_header (reader, NULL, &error));
      status = cohort_csv_reader_next (reader, NULL, &error);
      g_assert_cmpint (status, ==, COHORT_CSV_BAD);
      g_assert_error (error, COHORT_CSV_ERROR, COHORT_CSV_ERROR_UNTERMINATED_QUOTE);
      g_assert_cmpuint (cohort_csv_reader_get_line (reader), ==, 2);
      g_assert_cmpuint (cohort_csv_reader_get_error_line (reader), ==, 2);
      g_assert_cmpuint (cohort_csv_reader_get_error_column (reader), ==, 3);
      g_clear_error (&error);

      while ((status = cohort_csv_reader_next (reader, NULL, &error)) == COHORT_CSV_RECORD)
        {
          g_autofree char *expected = g_strdup_printf ("%u", 2 + records);

          g_assert_cmpstr (cohort_csv_reader_get_field (reader, 0, NULL), ==, expected);
          g_assert_cmpuint (cohort_csv_reader_get_line (reader), ==, 3 + records);
          records++;
        }
      g_assert_no_error (error);
      g_assert_cmpint (status, ==, COHORT_CSV_END);
      g_assert_cmpuint (records, ==, n_lines);
      g_assert_cmpuint (cohort_csv_reader_get_bytes_read (reader), ==, len);
    }
}

/* A quoted field longer than the record limit on one line is bad, and
 * reading goes on at the next line. */
static void
test_too_long (void)
{
  g_autoptr(GString) input = g_string_new ("id,note\n1,\"");
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(CohortCsvReader) reader = NULL;
  g_autoptr(GError) error = NULL;

  while (input->len < COHORT_CSV_MAX_RECORD_BYTES + 1024)
    g_string_append (input, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
  g_string_append (input, "\"\n3,last\n");
  stream = make_stream (input->str, input->len, FALSE);
  reader = cohort_csv_reader_new (stream, input->len, "long.csv");
  g_assert_true (cohort_csv_reader_read_header (reader, NULL, &error));
  g_assert_cmpint (cohort_csv_reader_next (reader, NULL, &error), ==, COHORT_CSV_BAD);
  g_assert_error (error, COHORT_CSV_ERROR, COHORT_CSV_ERROR_UNTERMINATED_QUOTE);
  g_clear_error (&error);
  g_assert_cmpint (cohort_csv_reader_next (reader, NULL, &error), ==, COHORT_CSV_RECORD);
  g_assert_cmpstr (cohort_csv_reader_get_field (reader, 0, NULL), ==, "3");
  g_assert_cmpuint (cohort_csv_reader_get_line (reader), ==, 3);
}

static void
test_names (void)
{
  CohortCsvEncoding e;
  char d;

  g_assert_true (cohort_csv_encoding_from_string ("utf8", &e));
  g_assert_cmpint (e, ==, COHORT_CSV_ENCODING_UTF8);
  g_assert_true (cohort_csv_encoding_from_string ("CP1252", &e));
  g_assert_cmpint (e, ==, COHORT_CSV_ENCODING_WINDOWS_1252);
  g_assert_true (cohort_csv_encoding_from_string ("UTF-16BE", &e));
  g_assert_cmpint (e, ==, COHORT_CSV_ENCODING_UTF16BE);
  g_assert_false (cohort_csv_encoding_from_string ("klingon", &e));
  g_assert_cmpstr (cohort_csv_encoding_to_string (COHORT_CSV_ENCODING_WINDOWS_1252), ==, "WINDOWS-1252");

  g_assert_true (cohort_csv_delimiter_from_string ("tab", &d));
  g_assert_cmpint (d, ==, '\t');
  g_assert_true (cohort_csv_delimiter_from_string (";", &d));
  g_assert_cmpint (d, ==, ';');
  g_assert_false (cohort_csv_delimiter_from_string ("::", &d));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/csv-reader/case/%s", cases[i].name);

      g_test_add_data_func (path, &cases[i], run_case);
    }
  g_test_add_func ("/csv-reader/late-1252", test_late_1252);
  g_test_add_func ("/csv-reader/round-trip", test_round_trip);
  g_test_add_func ("/csv-reader/unterminated-resumes", test_unterminated_resumes);
  g_test_add_func ("/csv-reader/too-long", test_too_long);
  g_test_add_func ("/csv-reader/names", test_names);
  return g_test_run ();
}
