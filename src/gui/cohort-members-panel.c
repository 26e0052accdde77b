/* cohort-members-panel.c: a segment's members on its page, with their actions
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include <inttypes.h>

#include <glib/gi18n.h>

#include "cohort-a11y.h"
#include "cohort-add-members-dialog.h"
#include "cohort-customer-item.h"
#include "cohort-evaluator.h"
#include "cohort-members.h"
#include "cohort-members-panel.h"
#include "cohort-segment.h"
#include "cohort-window.h"

struct _CohortMembersPanel
{
  AdwBin parent_instance;

  CohortWorkspace *workspace;
  CohortSegment *segment;
  GCancellable *cancellable;    /* the members being read */
  guint writing;                /* membership writes running in a thread */
  CohortMemberModel *model;
  GtkMultiSelection *selection;

  GtkStack *stack;
  GtkButton *freeze_button;
  GtkLabel *count_label;
  GtkButton *add_button;
  GtkButton *remove_button;
  GtkButton *clear_button;
  GtkSearchEntry *search_entry;
  GtkStack *list_stack;
  GtkListView *list_view;
  GtkLabel *empty_label;
};

G_DEFINE_FINAL_TYPE (CohortMembersPanel, cohort_members_panel, ADW_TYPE_BIN)

static void
add_toast (CohortMembersPanel *self,
           AdwToast           *toast)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
  else
    g_object_unref (g_object_ref_sink (toast));
}

static void
show_error (CohortMembersPanel *self,
            const char         *heading,
            const char         *body)
{
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))), heading, body);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "close");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "close");
  gtk_window_present (GTK_WINDOW (dialog));
}

static gboolean
is_manual (CohortMembersPanel *self)
{
  return self->workspace != NULL && self->segment != NULL &&
         cohort_segment_get_kind (self->segment) == COHORT_SEGMENT_MANUAL;
}

static void
update (CohortMembersPanel *self)
{
  g_autofree char *count = NULL;
  guint total = self->model ? cohort_member_model_get_total (self->model) : 0;
  guint shown = self->model ? g_list_model_get_n_items (G_LIST_MODEL (self->model)) : 0;
  gboolean has_selection = FALSE;

  if (self->selection != NULL)
    {
      g_autoptr(GtkBitset) selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
      has_selection = !gtk_bitset_is_empty (selected);
    }

  if (self->writing > 0)
    count = g_strdup (_("Saving changes…"));
  else if (self->model == NULL)
    count = g_strdup (self->cancellable != NULL ? _("Reading members…") : "");
  else if (shown == total)
    count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u member", "%u members", total), total);
  else
    /* Translators: members matching a search, of all members */
    count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u of %u member", "%u of %u members", total),
                             shown, total);
  gtk_label_set_label (self->count_label, count);

  if (self->model != NULL && shown == 0)
    {
      gtk_label_set_label (self->empty_label,
                           total == 0 ? _("No members yet. Add customers by pasting their IDs or emails, from a CSV file, or from the Customers view.")
                                      : _("No member matches the search."));
      gtk_stack_set_visible_child_name (self->list_stack, "empty");
    }
  else
    gtk_stack_set_visible_child_name (self->list_stack, "list");

  gtk_stack_set_visible_child_name (self->stack, is_manual (self) ? "manual" : "data-driven");
  gtk_widget_set_visible (GTK_WIDGET (self), self->workspace != NULL && self->segment != NULL);

  /* One membership write at a time. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "members.add", is_manual (self) && self->writing == 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "members.remove",
                                 is_manual (self) && has_selection && self->writing == 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "members.clear",
                                 is_manual (self) && total > 0 && self->writing == 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "members.freeze",
                                 self->workspace != NULL && self->segment != NULL && !is_manual (self));
}

static void
selection_changed_cb (CohortMembersPanel *self)
{
  update (self);
}

static void
set_model (CohortMembersPanel *self,
           CohortMemberModel  *model)
{
  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_data (self->selection, self);
  g_clear_object (&self->selection);
  g_set_object (&self->model, model);

  if (model != NULL)
    {
      const char *search = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

      cohort_member_model_set_search (model, search);
      self->selection = gtk_multi_selection_new (g_object_ref (G_LIST_MODEL (model)));
      g_signal_connect_object (self->selection, "selection-changed",
                               G_CALLBACK (selection_changed_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->selection, "items-changed",
                               G_CALLBACK (selection_changed_cb), self, G_CONNECT_SWAPPED);
    }
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));
  update (self);
}

static void
evaluated_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(CohortMembersPanel) self = user_data;
  g_autoptr(CohortEvaluation) evaluation = NULL;
  g_autoptr(CohortMemberModel) model = NULL;
  g_autoptr(GError) error = NULL;

  evaluation = cohort_evaluator_evaluate_segment_finish (COHORT_WORKSPACE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_task_get_cancellable (G_TASK (result)) != self->cancellable)
    return;
  g_clear_object (&self->cancellable);

  if (evaluation == NULL)
    {
      gtk_label_set_label (self->empty_label, error->message);
      gtk_stack_set_visible_child_name (self->list_stack, "empty");
      return;
    }

  model = cohort_member_model_new (evaluation);
  set_model (self, model);
}

static void
reload (CohortMembersPanel *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);

  if (!is_manual (self))
    {
      set_model (self, NULL);
      return;
    }

  self->cancellable = g_cancellable_new ();
  update (self);
  cohort_evaluator_evaluate_segment_async (self->workspace, cohort_segment_get_id (self->segment),
                                           self->cancellable, evaluated_cb, g_object_ref (self));
}

static void
search_changed_cb (CohortMembersPanel *self)
{
  if (self->model == NULL)
    return;

  gtk_selection_model_unselect_all (GTK_SELECTION_MODEL (self->selection));
  cohort_member_model_set_search (self->model, gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
  update (self);
}

/* Rows */

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              gpointer                  user_data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *id_label = gtk_label_new (NULL);
  GtkWidget *email_label = gtk_label_new (NULL);

  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_label_set_xalign (GTK_LABEL (id_label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (id_label), PANGO_ELLIPSIZE_END);
  gtk_label_set_width_chars (GTK_LABEL (id_label), 14);
  gtk_label_set_max_width_chars (GTK_LABEL (id_label), 24);
  gtk_label_set_xalign (GTK_LABEL (email_label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (email_label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (email_label, TRUE);
  gtk_widget_add_css_class (email_label, "dim-label");
  gtk_box_append (GTK_BOX (box), id_label);
  gtk_box_append (GTK_BOX (box), email_label);
  gtk_list_item_set_child (item, box);
}

static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             gpointer                  user_data)
{
  CohortCustomerItem *customer = gtk_list_item_get_item (item);
  GtkWidget *box = gtk_list_item_get_child (item);
  GtkWidget *id_label = gtk_widget_get_first_child (box);
  GtkWidget *email_label = gtk_widget_get_next_sibling (id_label);

  gtk_label_set_label (GTK_LABEL (id_label), cohort_customer_item_get_id (customer));
  gtk_label_set_label (GTK_LABEL (email_label), cohort_customer_item_get_email (customer));
}

/* Actions */

static void
add_activated (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  CohortMembersPanel *self = COHORT_MEMBERS_PANEL (widget);
  CohortAddMembersDialog *dialog;

  if (!is_manual (self))
    return;

  dialog = cohort_add_members_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)),
                                          self->workspace, self->segment);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Membership writes (remove, clear, undo a clear) run in a thread with their
 * own connection: a million members take seconds, the window stays live. */

typedef enum
{
  WRITE_REMOVE,
  WRITE_CLEAR,
  WRITE_RESTORE,
} WriteKind;

typedef struct
{
  WriteKind kind;
  CohortWorkspace *workspace;  /* the window's: told of the change at the end */
  char *path;
  gint64 segment_id;
  char *segment_name;
  GArray *ordinals;            /* to remove or restore; what a clear removed */
  guint changed;
} MembersWrite;

static void
members_write_free (gpointer data)
{
  MembersWrite *write = data;

  g_clear_object (&write->workspace);
  g_free (write->path);
  g_free (write->segment_name);
  g_clear_pointer (&write->ordinals, g_array_unref);
  g_free (write);
}

static MembersWrite *
members_write_new (WriteKind        kind,
                   CohortWorkspace *workspace,
                   gint64           segment_id,
                   const char      *segment_name,
                   GArray          *ordinals)
{
  MembersWrite *write = g_new0 (MembersWrite, 1);

  write->kind = kind;
  write->workspace = g_object_ref (workspace);
  write->path = g_strdup (cohort_workspace_get_path (workspace));
  write->segment_id = segment_id;
  write->segment_name = g_strdup (segment_name);
  write->ordinals = ordinals != NULL ? g_array_ref (ordinals) : NULL;
  return write;
}

static void
members_write_thread (GTask        *task,
                      gpointer      source,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  MembersWrite *write = task_data;
  g_autoptr(CohortWorkspace) ws = NULL;
  GError *error = NULL;
  gboolean ok = FALSE;

  ws = cohort_workspace_open (write->path, COHORT_WORKSPACE_OPEN_NONE, &error);
  if (ws != NULL)
    switch (write->kind)
      {
      case WRITE_REMOVE:
        ok = cohort_members_remove_ordinals (ws, write->segment_id,
                                             (const gint64 *) (gpointer) write->ordinals->data,
                                             write->ordinals->len, &write->changed, &error);
        break;
      case WRITE_RESTORE:
        ok = cohort_members_add_ordinals (ws, write->segment_id,
                                          (const gint64 *) (gpointer) write->ordinals->data,
                                          write->ordinals->len, &write->changed, &error);
        break;
      case WRITE_CLEAR:
        ok = cohort_members_clear (ws, write->segment_id, &write->ordinals, &error);
        if (ok)
          write->changed = write->ordinals->len;
        break;
      default:
        g_assert_not_reached ();
      }

  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void start_restore (CohortWorkspace *workspace,
                           gint64           segment_id,
                           const char      *segment_name,
                           GArray          *ordinals);

static void
undo_clear_cb (AdwToast *toast,
               gpointer  user_data)
{
  MembersWrite *cleared = g_object_get_data (G_OBJECT (toast), "cohort-undo-clear");

  if (cleared == NULL)
    return;

  start_restore (cleared->workspace, cleared->segment_id, cleared->segment_name, cleared->ordinals);
  /* Only once. */
  g_object_set_data (G_OBJECT (toast), "cohort-undo-clear", NULL);
}

static void
write_done (CohortMembersPanel *self,   /* NULL once gone */
            MembersWrite       *write,
            GError             *error)
{
  g_autofree char *title = NULL;
  AdwToast *toast;

  if (error != NULL)
    {
      const char *heading = write->kind == WRITE_REMOVE ? _("Could Not Remove Members")
                          : write->kind == WRITE_CLEAR ? _("Could Not Clear Segment")
                          : _("Could Not Restore Members");

      if (self != NULL)
        show_error (self, heading, error->message);
      else
        g_warning ("%s: %s", heading, error->message);
      return;
    }
  if (self == NULL)
    return;

  switch (write->kind)
    {
    case WRITE_REMOVE:
      title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u member removed", "%u members removed",
                                            write->changed), write->changed);
      add_toast (self, adw_toast_new (title));
      break;

    case WRITE_CLEAR:
      /* Translators: %s is a segment name */
      title = g_strdup_printf (_("“%s” cleared"), write->segment_name);
      toast = adw_toast_new (title);
      adw_toast_set_button_label (toast, _("_Undo"));
      adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
      g_object_set_data_full (G_OBJECT (toast), "cohort-undo-clear",
                              members_write_new (WRITE_RESTORE, write->workspace, write->segment_id,
                                                 write->segment_name, write->ordinals),
                              members_write_free);
      g_signal_connect (toast, "button-clicked", G_CALLBACK (undo_clear_cb), NULL);
      add_toast (self, toast);
      break;

    case WRITE_RESTORE:
    default:
      break;
    }
}

static void
members_write_done_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  CohortMembersPanel *self = source != NULL ? COHORT_MEMBERS_PANEL (source) : NULL;
  MembersWrite *write = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  g_task_propagate_boolean (G_TASK (result), &error);
  /* The thread wrote through its own connection: tell the window. */
  cohort_workspace_check_external_changes (write->workspace);

  if (self != NULL)
    {
      self->writing--;
      if (self->workspace == NULL)
        self = NULL;    /* disposed meanwhile */
    }
  write_done (self, write, error);
  if (self != NULL)
    reload (self);
}

static void
run_write (CohortMembersPanel *self,
           MembersWrite       *write)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, members_write_done_cb, NULL);

  g_task_set_source_tag (task, run_write);
  g_task_set_task_data (task, write, members_write_free);
  g_task_run_in_thread (task, members_write_thread);
  if (self != NULL)
    {
      self->writing++;
      update (self);
    }
}

static void
start_write (CohortMembersPanel *self,
             WriteKind           kind,
             GArray             *ordinals)
{
  g_autoptr(GArray) owned = ordinals;

  run_write (self, members_write_new (kind, self->workspace, cohort_segment_get_id (self->segment),
                                      cohort_segment_get_name (self->segment), owned));
}

/* Undo can outlive the page it came from: the toast belongs to the window. */
static void
start_restore (CohortWorkspace *workspace,
               gint64           segment_id,
               const char      *segment_name,
               GArray          *ordinals)
{
  run_write (NULL, members_write_new (WRITE_RESTORE, workspace, segment_id, segment_name, ordinals));
}

static void
clear_segment (CohortMembersPanel *self)
{
  if (!is_manual (self) || self->writing > 0)
    return;

  start_write (self, WRITE_CLEAR, NULL);
}

static void
remove_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  CohortMembersPanel *self = COHORT_MEMBERS_PANEL (widget);
  g_autoptr(GtkBitset) selected = NULL;
  g_autoptr(GArray) ordinals = NULL;
  GtkBitsetIter iter;
  guint position;

  if (!is_manual (self) || self->selection == NULL || self->writing > 0)
    return;

  selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  ordinals = g_array_sized_new (FALSE, FALSE, sizeof (gint64), (guint) gtk_bitset_get_size (selected));
  for (gboolean ok = gtk_bitset_iter_init_first (&iter, selected, &position); ok;
       ok = gtk_bitset_iter_next (&iter, &position))
    {
      gint64 ordinal = cohort_member_model_get_ordinal (self->model, position);
      g_array_append_val (ordinals, ordinal);
    }
  if (ordinals->len == 0)
    return;

  start_write (self, WRITE_REMOVE, g_steal_pointer (&ordinals));
}

static void
clear_response_cb (AdwMessageDialog   *dialog,
                   const char         *response,
                   CohortMembersPanel *self)
{
  gint64 *id = g_object_get_data (G_OBJECT (dialog), "segment-id");

  if (g_strcmp0 (response, "clear") == 0 && id != NULL &&
      self->segment != NULL && cohort_segment_get_id (self->segment) == *id)
    clear_segment (self);
}

static void
clear_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  CohortMembersPanel *self = COHORT_MEMBERS_PANEL (widget);
  AdwMessageDialog *dialog;
  guint total;
  gint64 id;

  if (!is_manual (self) || self->model == NULL)
    return;

  total = cohort_member_model_get_total (self->model);
  id = cohort_segment_get_id (self->segment);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)), NULL, NULL));
  /* Translators: %s is a segment name */
  adw_message_dialog_format_heading (dialog, _("Clear “%s”?"), cohort_segment_get_name (self->segment));
  adw_message_dialog_format_body (dialog,
                                  g_dngettext (GETTEXT_PACKAGE,
                                               "Its %u member will be removed from the segment. The customer stays in the workspace.",
                                               "All %u members will be removed from the segment. The customers stay in the workspace.",
                                               total),
                                  total);
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "clear", _("C_lear"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "clear", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "segment-id", g_memdup2 (&id, sizeof id), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (clear_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Save as Manual Segment */

static void
freeze_name_changed_cb (GtkEditable      *entry,
                        AdwMessageDialog *dialog)
{
  CohortWorkspace *workspace = g_object_get_data (G_OBJECT (dialog), "workspace");
  GtkLabel *error_label = g_object_get_data (G_OBJECT (dialog), "error-label");
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = cohort_segment_check_name (workspace, gtk_editable_get_text (entry), 0, &error);
  adw_message_dialog_set_response_enabled (dialog, "save", ok);
  gtk_label_set_label (error_label, ok ? "" : error->message);
  gtk_widget_set_visible (GTK_WIDGET (error_label), !ok);
  if (ok)
    gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
}

static void
freeze_response_cb (AdwMessageDialog   *dialog,
                    const char         *response,
                    CohortMembersPanel *self)
{
  CohortWorkspace *workspace = g_object_get_data (G_OBJECT (dialog), "workspace");
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "name-entry");
  gint64 *id = g_object_get_data (G_OBJECT (dialog), "segment-id");
  g_autoptr(CohortSegment) frozen = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *title = NULL;
  GtkWidget *window;

  if (g_strcmp0 (response, "save") != 0)
    return;

  name = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  frozen = cohort_segments_freeze (workspace, *id, name, NULL, &error);
  if (frozen == NULL)
    {
      show_error (self, _("Could Not Save as Manual Segment"), error->message);
      return;
    }

  window = gtk_widget_get_ancestor (GTK_WIDGET (self), COHORT_TYPE_WINDOW);
  if (window != NULL)
    cohort_window_select_segment (COHORT_WINDOW (window), cohort_segment_get_id (frozen));

  /* Translators: %s is the name of the new segment */
  title = g_strdup_printf (_("Saved as “%s”"), cohort_segment_get_name (frozen));
  add_toast (self, adw_toast_new (title));
}

static void
freeze_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  CohortMembersPanel *self = COHORT_MEMBERS_PANEL (widget);
  AdwMessageDialog *dialog;
  g_autofree char *name = NULL;
  GtkWidget *box, *label, *entry, *error_label;
  gint64 id;

  if (self->workspace == NULL || self->segment == NULL || is_manual (self))
    return;

  id = cohort_segment_get_id (self->segment);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)),
                                                       _("Save as Manual Segment"), NULL));
  /* Translators: %s is a segment name */
  adw_message_dialog_format_body (dialog,
                                  _("The people who match “%s” now are kept in a new manual segment. "
                                    "It does not change when the data changes."),
                                  cohort_segment_get_name (self->segment));

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  label = gtk_label_new_with_mnemonic (_("_Name"));
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  entry = gtk_entry_new ();
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), entry);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Name"), -1);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  /* Translators: the proposed name of a frozen copy; %s is a segment name */
  name = g_strdup_printf (_("%s (manual)"), cohort_segment_get_name (self->segment));
  gtk_editable_set_text (GTK_EDITABLE (entry), name);
  error_label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (error_label), 0);
  gtk_label_set_wrap (GTK_LABEL (error_label), TRUE);
  gtk_widget_add_css_class (error_label, "error");
  gtk_widget_set_visible (error_label, FALSE);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), entry);
  gtk_box_append (GTK_BOX (box), error_label);
  adw_message_dialog_set_extra_child (dialog, box);

  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "save", _("_Save"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "save", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "save");
  adw_message_dialog_set_close_response (dialog, "cancel");

  g_object_set_data_full (G_OBJECT (dialog), "workspace", g_object_ref (self->workspace), g_object_unref);
  g_object_set_data (G_OBJECT (dialog), "name-entry", entry);
  g_object_set_data (G_OBJECT (dialog), "error-label", error_label);
  g_object_set_data_full (G_OBJECT (dialog), "segment-id", g_memdup2 (&id, sizeof id), g_free);
  g_signal_connect (entry, "changed", G_CALLBACK (freeze_name_changed_cb), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (freeze_response_cb), self, 0);
  freeze_name_changed_cb (GTK_EDITABLE (entry), dialog);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

static void
cohort_members_panel_dispose (GObject *object)
{
  CohortMembersPanel *self = COHORT_MEMBERS_PANEL (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->list_view != NULL)
    gtk_list_view_set_model (self->list_view, NULL);
  /* The bin's child is a template child: let go of it once. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), COHORT_TYPE_MEMBERS_PANEL);
  g_clear_object (&self->selection);
  g_clear_object (&self->model);
  g_clear_object (&self->segment);
  g_clear_object (&self->workspace);

  G_OBJECT_CLASS (cohort_members_panel_parent_class)->dispose (object);
}

static void
cohort_members_panel_class_init (CohortMembersPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cohort_members_panel_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/cohort-members-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, CohortMembersPanel, stack);
  gtk_widget_class_bind_template_child (widget_class, CohortMembersPanel, freeze_button);
  gtk_widget_class_bind_template_child (widget_class, CohortMembersPanel, count_label);
  gtk_widget_class_bind_template_child (widget_class, CohortMembersPanel, add_button);
  gtk_widget_class_bind_template_child (widget_class, CohortMembersPanel, remove_button);
  gtk_widget_class_bind_template_child (widget_class, CohortMembersPanel, clear_button);
  gtk_widget_class_bind_template_child (widget_class, CohortMembersPanel, search_entry);
  gtk_widget_class_bind_template_child (widget_class, CohortMembersPanel, list_stack);
  gtk_widget_class_bind_template_child (widget_class, CohortMembersPanel, list_view);
  gtk_widget_class_bind_template_child (widget_class, CohortMembersPanel, empty_label);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);

  gtk_widget_class_install_action (widget_class, "members.add", NULL, add_activated);
  gtk_widget_class_install_action (widget_class, "members.remove", NULL, remove_activated);
  gtk_widget_class_install_action (widget_class, "members.clear", NULL, clear_activated);
  gtk_widget_class_install_action (widget_class, "members.freeze", NULL, freeze_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "members.remove", NULL);
}

static void
cohort_members_panel_init (CohortMembersPanel *self)
{
  GtkListItemFactory *factory;

  gtk_widget_init_template (GTK_WIDGET (self));
  cohort_a11y_tidy (GTK_WIDGET (self));

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), NULL);
  gtk_list_view_set_factory (self->list_view, factory);
  g_object_unref (factory);
  update (self);
}

void
cohort_members_panel_set_segment (CohortMembersPanel *self,
                                  CohortWorkspace    *workspace,
                                  CohortSegment      *segment)
{
  gboolean other;

  g_return_if_fail (COHORT_IS_MEMBERS_PANEL (self));
  g_return_if_fail (segment == NULL || COHORT_IS_SEGMENT (segment));

  if (self->segment == segment && self->workspace == workspace)
    return;

  other = self->segment == NULL || segment == NULL || self->workspace != workspace ||
          cohort_segment_get_id (self->segment) != cohort_segment_get_id (segment);
  g_set_object (&self->workspace, workspace);
  g_set_object (&self->segment, segment);

  if (other)
    {
      gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
      set_model (self, NULL);
    }
  reload (self);
}

CohortMemberModel *
cohort_members_panel_get_model (CohortMembersPanel *self)
{
  g_return_val_if_fail (COHORT_IS_MEMBERS_PANEL (self), NULL);
  return self->model;
}

GtkSelectionModel *
cohort_members_panel_get_selection (CohortMembersPanel *self)
{
  g_return_val_if_fail (COHORT_IS_MEMBERS_PANEL (self), NULL);
  return GTK_SELECTION_MODEL (self->selection);
}

gboolean
cohort_members_panel_get_writing (CohortMembersPanel *self)
{
  g_return_val_if_fail (COHORT_IS_MEMBERS_PANEL (self), FALSE);

  return self->writing > 0;
}

gboolean
cohort_members_panel_get_loading (CohortMembersPanel *self)
{
  g_return_val_if_fail (COHORT_IS_MEMBERS_PANEL (self), FALSE);
  return self->cancellable != NULL;
}
