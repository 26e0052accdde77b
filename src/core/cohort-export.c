/* cohort-export.c: members of an evaluation → CSV (or JSON)
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "cohort-column-index.h"
#include "cohort-export.h"

/* Members read from the bitmap at a time, and text buffered before a write. */
#define EXPORT_CHUNK_MEMBERS 4096
#define EXPORT_BUFFER_BYTES  (1 << 16)

void
cohort_export_append_cell (GString    *out,
                           const char *text)
{
  gboolean protect, quote;

  g_return_if_fail (out != NULL);

  if (text == NULL)
    return;
  protect = text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@' ||
            text[0] == '\t' || text[0] == '\r';
  quote = strpbrk (text, ",\"\r\n") != NULL;
  if (quote)
    g_string_append_c (out, '"');
  if (protect)
    g_string_append_c (out, '\'');
  for (const char *p = text; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  if (quote)
    g_string_append_c (out, '"');
}

static gboolean
flush (GOutputStream  *stream,
       GString        *buffer,
       GCancellable   *cancellable,
       GError        **error)
{
  if (buffer->len > 0 &&
      !g_output_stream_write_all (stream, buffer->str, buffer->len, NULL, cancellable, error))
    return FALSE;
  g_string_truncate (buffer, 0);
  return TRUE;
}

gboolean
cohort_export_members (CohortEvaluation         *evaluation,
                       const char * const       *attributes,
                       guint64                   offset,
                       guint64                   limit,
                       GOutputStream            *stream,
                       CohortExportProgressFunc  progress,
                       gpointer                  user_data,
                       GCancellable             *cancellable,
                       GError                  **error)
{
  g_autoptr(GString) buffer = g_string_sized_new (EXPORT_BUFFER_BYTES + 4096);
  CohortColumnIndex *index;
  guint64 count, total, done = 0;

  g_return_val_if_fail (evaluation != NULL, FALSE);
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (stream), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* Every column is checked before its first cell is written: a damaged
   * index file fails the export rather than print empty cells. */
  index = cohort_evaluation_get_index (evaluation);
  if (!cohort_column_index_check_fields (index, attributes, error))
    return FALSE;

  count = cohort_evaluation_get_count (evaluation);
  total = offset < count ? count - offset : 0;
  if (limit > 0 && limit < total)
    total = limit;

  g_string_append (buffer, "id,email");
  for (guint k = 0; attributes != NULL && attributes[k] != NULL; k++)
    {
      g_string_append_c (buffer, ',');
      cohort_export_append_cell (buffer, attributes[k]);
    }
  g_string_append_c (buffer, '\n');

  if (progress != NULL)
    progress (0, total, user_data);

  while (done < total)
    {
      g_autoptr(GArray) ordinals = NULL;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;

      ordinals = cohort_evaluation_get_members (evaluation, offset + done,
                                                MIN (total - done, EXPORT_CHUNK_MEMBERS));
      if (ordinals->len == 0)
        break;

      for (guint i = 0; i < ordinals->len; i++)
        {
          guint32 o = g_array_index (ordinals, guint32, i);

          GError *local_error = NULL;

          cohort_export_append_cell (buffer, cohort_column_index_get_text (index, "id", o, &local_error));
          g_string_append_c (buffer, ',');
          cohort_export_append_cell (buffer, cohort_column_index_get_text (index, "email", o,
                                                                           local_error ? NULL : &local_error));
          for (guint k = 0; attributes != NULL && attributes[k] != NULL; k++)
            {
              g_string_append_c (buffer, ',');
              cohort_export_append_cell (buffer, cohort_column_index_get_text (index, attributes[k], o,
                                                                               local_error ? NULL : &local_error));
            }
          if (local_error != NULL)
            {
              g_propagate_error (error, local_error);
              return FALSE;
            }
          g_string_append_c (buffer, '\n');
          if (buffer->len >= EXPORT_BUFFER_BYTES && !flush (stream, buffer, cancellable, error))
            return FALSE;
        }
      done += ordinals->len;

      if (progress != NULL)
        progress (done, total, user_data);
    }

  return flush (stream, buffer, cancellable, error);
}

/* A string member, or null. */
static void
add_text_member (JsonBuilder *b,
                 const char  *name,
                 const char  *value)
{
  json_builder_set_member_name (b, name);
  if (value)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

char *
cohort_export_members_json (CohortEvaluation   *evaluation,
                            const char * const *attributes,
                            guint64             offset,
                            guint64             limit)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(GArray) ordinals = NULL;

  g_return_val_if_fail (evaluation != NULL, NULL);

  ordinals = cohort_evaluation_get_members (evaluation, offset, limit);
  json_builder_begin_array (b);
  for (guint i = 0; i < ordinals->len; i++)
    {
      guint32 o = g_array_index (ordinals, guint32, i);

      json_builder_begin_object (b);
      add_text_member (b, "id", cohort_evaluation_get_text (evaluation, o, "id"));
      add_text_member (b, "email", cohort_evaluation_get_text (evaluation, o, "email"));
      for (guint k = 0; attributes && attributes[k]; k++)
        add_text_member (b, attributes[k], cohort_evaluation_get_text (evaluation, o, attributes[k]));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  root = json_builder_get_root (b);
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_indent (gen, 2);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}
