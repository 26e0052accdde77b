/* cohort-import-common.c: what the customer and event import dialogs share
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include <glib/gi18n.h>

#include "cohort-a11y.h"
#include "cohort-import-common.h"

/* The preview table: each row is a GtkStringObject holding its file line
 * number as text and its cells as object data. */

#define LINE_COLUMN (-1)

static void
cell_setup_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               gpointer                  user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_single_line_mode (GTK_LABEL (label), TRUE);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 30);
  if (GPOINTER_TO_INT (user_data) == LINE_COLUMN)
    {
      gtk_widget_add_css_class (label, "dim-label");
      gtk_widget_add_css_class (label, "numeric");
    }
  gtk_list_item_set_child (item, label);
}

static void
cell_bind_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              gpointer                  user_data)
{
  int column = GPOINTER_TO_INT (user_data);
  GtkStringObject *record = gtk_list_item_get_item (item);
  const char *const *cells = g_object_get_data (G_OBJECT (record), "cohort-cells");
  const char *text = "";

  if (column == LINE_COLUMN)
    text = gtk_string_object_get_string (record);
  else if (cells != NULL && (guint) column < g_strv_length ((char **) cells))
    text = cells[column];

  gtk_label_set_label (GTK_LABEL (gtk_list_item_get_child (item)), text);

  /* The row (the cell's parent) takes the focus: read it as the whole
   * record, "Line 3: c01, a@example.com, pro". */
  if (column == LINE_COLUMN || column == 0)
    {
      GtkWidget *cell = gtk_widget_get_parent (gtk_list_item_get_child (item));
      GtkWidget *row = cell != NULL ? gtk_widget_get_parent (cell) : NULL;
      g_autofree char *values = cells != NULL ? g_strjoinv (", ", (char **) cells) : g_strdup ("");
      g_autofree char *name = NULL;

      if (*gtk_string_object_get_string (record) != '\0')
        /* Translators: a row of the file preview for a screen reader, e.g. "Line 3: c01, a@example.com" */
        name = g_strdup_printf (_("Line %s: %s"), gtk_string_object_get_string (record), values);
      else
        name = g_strdup (values);
      if (row != NULL && *name != '\0')
        cohort_a11y_set_name (row, name);
    }
}

static void
append_column (GtkColumnView *view,
               const char    *title,
               int            column)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  g_autoptr(GtkColumnViewColumn) view_column = NULL;

  g_signal_connect (factory, "setup", G_CALLBACK (cell_setup_cb), GINT_TO_POINTER (column));
  g_signal_connect (factory, "bind", G_CALLBACK (cell_bind_cb), GINT_TO_POINTER (column));
  view_column = gtk_column_view_column_new (title, factory);
  gtk_column_view_column_set_resizable (view_column, TRUE);
  gtk_column_view_append_column (view, view_column);
}

void
cohort_preview_table_show (GtkColumnView             *view,
                           const CohortImportPreview *preview,
                           gboolean                   line_numbers)
{
  GListModel *columns;
  g_autoptr(GListStore) records = g_list_store_new (GTK_TYPE_STRING_OBJECT);
  g_autoptr(GtkNoSelection) selection = NULL;

  g_return_if_fail (GTK_IS_COLUMN_VIEW (view));

  columns = gtk_column_view_get_columns (view);
  while (g_list_model_get_n_items (columns) > 0)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, 0);

      gtk_column_view_remove_column (view, column);
    }

  if (preview != NULL)
    {
      if (line_numbers)
        append_column (view, _("Line"), LINE_COLUMN);
      for (guint i = 0; i < preview->n_columns; i++)
        append_column (view, preview->header[i], (int) i);

      for (guint i = 0; i < preview->records->len; i++)
        {
          g_autofree char *line = NULL;
          g_autoptr(GtkStringObject) record = NULL;

          if (preview->lines != NULL && i < preview->lines->len)
            line = g_strdup_printf ("%" PRIu64, g_array_index (preview->lines, guint64, i));
          record = gtk_string_object_new (line != NULL ? line : "");
          g_object_set_data_full (G_OBJECT (record), "cohort-cells",
                                  g_strdupv (preview->records->pdata[i]),
                                  (GDestroyNotify) g_strfreev);
          g_list_store_append (records, record);
        }
    }

  selection = gtk_no_selection_new (G_LIST_MODEL (g_steal_pointer (&records)));
  gtk_column_view_set_model (view, GTK_SELECTION_MODEL (selection));
}

/* Saving the skipped rows */

typedef struct
{
  GtkWindow *parent;          /* weak */
  AdwToastOverlay *toasts;    /* weak */
  GArray *rejected;
} SaveRejected;

static void
save_rejected_free (SaveRejected *save)
{
  g_clear_weak_pointer (&save->parent);
  g_clear_weak_pointer (&save->toasts);
  g_array_unref (save->rejected);
  g_free (save);
}

static void
save_chosen_cb (GtkNativeDialog *chooser,
                int              response,
                SaveRejected    *save)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileOutputStream) stream = NULL;
  g_autoptr(GError) error = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);

  if (file != NULL)
    {
      stream = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION, NULL, &error);
      if (stream != NULL &&
          cohort_import_rejections_write (save->rejected, G_OUTPUT_STREAM (stream), NULL, &error))
        g_output_stream_close (G_OUTPUT_STREAM (stream), NULL, &error);

      if (save->toasts != NULL)
        {
          g_autofree char *title = NULL;

          if (error != NULL)
            /* Translators: %s says why */
            title = g_strdup_printf (_("Could not save: %s"), error->message);
          adw_toast_overlay_add_toast (save->toasts,
                                       adw_toast_new (title != NULL ? title : _("Skipped rows saved")));
        }
      else if (error != NULL && save->parent != NULL)
        {
          GtkWidget *dialog = adw_message_dialog_new (save->parent, _("Could Not Save the List"),
                                                      error->message);

          adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
          gtk_window_present (GTK_WINDOW (dialog));
        }
    }

  save_rejected_free (save);
}

void
cohort_save_rejected_rows (GtkWindow       *parent,
                           AdwToastOverlay *toasts,
                           const char      *source_path,
                           GArray          *rejected)
{
  GtkFileChooserNative *chooser;
  SaveRejected *save;
  g_autofree char *stem = NULL;
  g_autofree char *name = NULL;
  char *dot;

  g_return_if_fail (GTK_IS_WINDOW (parent));
  g_return_if_fail (rejected != NULL);

  save = g_new0 (SaveRejected, 1);
  g_set_weak_pointer (&save->parent, parent);
  if (toasts != NULL)
    g_set_weak_pointer (&save->toasts, toasts);
  save->rejected = g_array_ref (rejected);

  stem = source_path != NULL ? g_filename_display_basename (source_path) : g_strdup ("");
  if ((dot = strrchr (stem, '.')) != NULL && dot != stem)
    *dot = '\0';
  if (stem[0] != '\0')
    /* Translators: the suggested file name; %s is the imported file's name without extension */
    name = g_strdup_printf (_("%s-skipped-rows.csv"), stem);
  else
    /* Translators: the file name suggested for the list of skipped rows */
    name = g_strdup (_("skipped-rows.csv"));

  chooser = gtk_file_chooser_native_new (_("Save Skipped Rows"), parent,
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  g_signal_connect (chooser, "response", G_CALLBACK (save_chosen_cb), save);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}
