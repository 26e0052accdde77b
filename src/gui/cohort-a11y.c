/* cohort-a11y.c: accessible names as a screen reader should read them
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GTK 4.8 reads a name as the label property, then the label properties of
 * the labelled-by relations, joined by spaces, and falls back to the type
 * name (gtk_at_context_get_name() in gtk/gtkatcontext.c). Several widgets
 * set both (a GtkButton with a mnemonic: label "_Edit…" and labelled-by its
 * GtkLabel "Edit…") or neither (GtkExpander, the button inside a
 * GtkDropDown). Here each of them gets one clean name.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "cohort-a11y.h"

static void
apply_name (GtkWidget *widget)
{
  const char *name = g_object_get_data (G_OBJECT (widget), "cohort-a11y-name");

  gtk_accessible_reset_relation (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
}

void
cohort_a11y_set_name (GtkWidget  *widget,
                      const char *name)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (name != NULL);

  /* Some widgets set their relations again when they are shown (an
   * AdwButtonContent labels its button when rooted): the name is applied
   * again on every map. */
  if (g_object_get_data (G_OBJECT (widget), "cohort-a11y-name") == NULL)
    g_signal_connect (widget, "map", G_CALLBACK (apply_name), NULL);
  g_object_set_data_full (G_OBJECT (widget), "cohort-a11y-name", g_strdup (name), g_free);
  apply_name (widget);
}

/* @text as shown: without the mnemonic underscores when @use_underline. */
static char *
shown_text (const char *text,
            gboolean    use_underline)
{
  GString *out;

  if (!use_underline)
    return g_strdup (text);

  out = g_string_sized_new (strlen (text));
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '_')
        {
          if (p[1] == '_')
            p++;
          else
            continue;
        }
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

static void
set_shown_name (GtkWidget  *widget,
                const char *text,
                gboolean    use_underline)
{
  g_autofree char *name = NULL;

  if (text == NULL || *text == '\0')
    return;
  name = shown_text (text, use_underline);
  cohort_a11y_set_name (widget, name);
}

void
cohort_a11y_tidy_button (GtkButton *button)
{
  GtkWidget *child = gtk_button_get_child (button);

  if (GTK_IS_LABEL (child))
    set_shown_name (GTK_WIDGET (button), gtk_label_get_label (GTK_LABEL (child)),
                    gtk_label_get_use_underline (GTK_LABEL (child)));
  else if (ADW_IS_BUTTON_CONTENT (child))
    set_shown_name (GTK_WIDGET (button), adw_button_content_get_label (ADW_BUTTON_CONTENT (child)),
                    adw_button_content_get_use_underline (ADW_BUTTON_CONTENT (child)));
  else if (GTK_IS_IMAGE (child) && gtk_widget_get_tooltip_text (GTK_WIDGET (button)) != NULL &&
           gtk_widget_get_ancestor (GTK_WIDGET (button), ADW_TYPE_ENTRY_ROW) != NULL)
    {
      /* An icon button without a name of its own (the show-text button of
       * AdwPasswordEntryRow is read as "GtkImage"): its tooltip and the
       * row's title ("Show Text, App API Key"). */
      GtkWidget *row = gtk_widget_get_ancestor (GTK_WIDGET (button), ADW_TYPE_ENTRY_ROW);
      g_autofree char *title = shown_text (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)),
                                           adw_preferences_row_get_use_underline (ADW_PREFERENCES_ROW (row)));
      /* Translators: a button of an entry for a screen reader, e.g. "Show Text, App API Key" */
      g_autofree char *name = g_strdup_printf (_("%s, %s"), gtk_widget_get_tooltip_text (GTK_WIDGET (button)), title);

      cohort_a11y_set_name (GTK_WIDGET (button), name);
    }
}

/* The action row whose activatable widget @widget is, if any. */
static AdwActionRow *
activating_row (GtkWidget *widget)
{
  GtkWidget *row = gtk_widget_get_ancestor (widget, ADW_TYPE_ACTION_ROW);

  if (row != NULL && adw_action_row_get_activatable_widget (ADW_ACTION_ROW (row)) == widget)
    return ADW_ACTION_ROW (row);
  return NULL;
}

static void
tidy_one (GtkWidget *widget)
{
  if (GTK_IS_BUTTON (widget) && !GTK_IS_DROP_DOWN (gtk_widget_get_parent (widget)))
    {
      cohort_a11y_tidy_button (GTK_BUTTON (widget));
    }
  else if (GTK_IS_CHECK_BUTTON (widget) || GTK_IS_SWITCH (widget))
    {
      AdwActionRow *row = activating_row (widget);

      if (GTK_IS_CHECK_BUTTON (widget) && gtk_check_button_get_label (GTK_CHECK_BUTTON (widget)) != NULL)
        set_shown_name (widget, gtk_check_button_get_label (GTK_CHECK_BUTTON (widget)),
                        gtk_check_button_get_use_underline (GTK_CHECK_BUTTON (widget)));
      else if (row != NULL)
        set_shown_name (widget, adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)),
                        adw_preferences_row_get_use_underline (ADW_PREFERENCES_ROW (row)));
    }
  else if (GTK_IS_LABEL (widget) && gtk_label_get_selectable (GTK_LABEL (widget)))
    {
      /* Text that can be selected with the mouse is no Tab stop (GTK makes
       * every selectable label one); screen readers read it in place. */
      gtk_widget_set_focusable (widget, FALSE);
    }
  else if (GTK_IS_EXPANDER (widget))
    {
      set_shown_name (widget, gtk_expander_get_label (GTK_EXPANDER (widget)),
                      gtk_expander_get_use_underline (GTK_EXPANDER (widget)));
    }
  else if (ADW_IS_PREFERENCES_ROW (widget))
    {
      set_shown_name (widget, adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)),
                      adw_preferences_row_get_use_underline (ADW_PREFERENCES_ROW (widget)));
    }
  else if (GTK_IS_LIST_VIEW (widget) && GTK_IS_COLUMN_VIEW (gtk_widget_get_parent (widget)))
    {
      /* The list inside a table takes the focus: read as the table. */
      gtk_accessible_update_relation (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_RELATION_LABELLED_BY,
                                      gtk_widget_get_parent (widget), NULL, -1);
    }
  else if (GTK_IS_LIST_BOX (widget) && ADW_IS_PREFERENCES_GROUP (gtk_widget_get_ancestor (widget, ADW_TYPE_PREFERENCES_GROUP)))
    {
      /* The list of a preferences group: read as the group's title. */
      AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP (gtk_widget_get_ancestor (widget, ADW_TYPE_PREFERENCES_GROUP));
      const char *title = adw_preferences_group_get_title (group);

      /* An untitled group holds options of the page it is on. */
      set_shown_name (widget, title != NULL && *title != '\0' ? title : _("Options"), FALSE);
    }
  else if (GTK_IS_DROP_DOWN (widget))
    {
      /* Its button takes the focus: read it as the drop-down's own name. */
      for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
           child = gtk_widget_get_next_sibling (child))
        if (GTK_IS_TOGGLE_BUTTON (child))
          gtk_accessible_update_relation (GTK_ACCESSIBLE (child), GTK_ACCESSIBLE_RELATION_LABELLED_BY,
                                          widget, NULL, -1);
    }
}

void
cohort_a11y_tidy (GtkWidget *root)
{
  g_return_if_fail (GTK_IS_WIDGET (root));

  tidy_one (root);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    cohort_a11y_tidy (child);
}
