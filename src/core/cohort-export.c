/* cohort-export.c: members of an evaluation → CSV
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

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
