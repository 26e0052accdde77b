/* cohort-window.c: the main window: the segment list and a segment's page
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include <inttypes.h>

#include <glib/gi18n.h>

#include "cohort-a11y.h"
#include "cohort-criteria-builder.h"
#include "cohort-customers-view.h"
#include "cohort-event-import-dialog.h"
#include "cohort-evaluator.h"
#include "cohort-import-dialog.h"
#include "cohort-remote-segment.h"
#include "cohort-remote-segment-page.h"
#include "cohort-segment.h"
#include "cohort-segment-dialog.h"
#include "cohort-segment-page.h"
#include "cohort-segment-row.h"
#include "cohort-sync-button.h"
#include "cohort-sync-dialog.h"
#include "cohort-sync.h"
#include "cohort-window.h"

struct _CohortWindow
{
  AdwApplicationWindow parent_instance;

  CohortWorkspace *workspace;
  GSettings *settings;               /* NULL when the schema is not installed */
  GtkFileChooserNative *chooser;
  GtkFileChooserNative *import_chooser;
  GCancellable *count_cancellable;   /* member counts being evaluated */

  /* What Undo needs after a delete, while its toast is shown. */
  CohortSegmentSnapshot *undo_snapshot;
  gint64 undo_id;
  AdwToast *undo_toast;

  /* Set while the selection changes because of the program, not the user. */
  guint selecting : 1;
  guint pointer_pick : 1;   /* the list was just pressed with the pointer */
  /* The content pane shows the customers, not a segment. */
  guint showing_customers : 1;
  /* Unsaved rules were saved or discarded: closing may go on. */
  guint close_confirmed : 1;
  /* Where to go once the unsaved rules are saved or discarded:
   * a segment id, LEAVE_TO_CUSTOMERS, or LEAVE_TO_CLOSE. */
  gint64 leave_target;
  gint64 n_customers;
  /* The segment made in Customer.io that is shown, if any; and the one to
   * show once unsaved rules are dealt with. */
  CohortRemoteSegment *shown_remote;
  CohortRemoteSegment *leave_remote;
  /* Each local segment's sync state (gint64 id -> CohortSyncStatus). */
  GHashTable *sync_status;

  AdwToastOverlay *toast_overlay;
  GtkStack *main_stack;
  AdwLeaflet *leaflet;
  AdwWindowTitle *sidebar_title;
  AdwWindowTitle *status_title;
  GtkButton *create_button;
  GtkMenuButton *menu_button;
  GtkToggleButton *search_button;
  GtkSearchBar *search_bar;
  GtkSearchEntry *search_entry;
  GtkListBox *sections_list;
  GtkListBoxRow *customers_row;
  GtkLabel *customers_count_label;
  GtkLabel *segments_heading;
  GtkStack *sidebar_stack;
  GtkListView *segment_list;
  GtkLabel *remote_heading;
  GtkScrolledWindow *remote_scroller;
  GtkListBox *remote_list;
  CohortRemoteSegmentPage *remote_page;
  AdwWindowTitle *content_title;
  GtkButton *back_button;
  GtkButton *status_create_button;
  GtkMenuButton *status_menu_button;
  GtkStack *content_stack;
  CohortSegmentPage *segment_page;
  CohortCustomersView *customers_view;
  GtkStack *status_stack;
  AdwStatusPage *empty_page;
  GtkButton *empty_create_button;
  AdwStatusPage *no_workspace_page;

  GListStore *segment_store;
  GtkStringFilter *name_filter;
  GtkSortListModel *sort_model;
  GtkSingleSelection *selection;
  GListStore *remote_store;
  GtkFilterListModel *remote_model;
  GtkStringFilter *remote_name_filter;
};

G_DEFINE_FINAL_TYPE (CohortWindow, cohort_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_WORKSPACE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void reload_segments (CohortWindow *self);
static void show_remote (CohortWindow *self, CohortRemoteSegment *remote);

static CohortSegment *
get_selected_segment (CohortWindow *self)
{
  return gtk_single_selection_get_selected_item (self->selection);
}

static void
add_toast (CohortWindow *self,
           const char   *title)
{
  AdwToast *toast = adw_toast_new (title);

  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
show_error_dialog (CohortWindow *self,
                   const char   *heading,
                   const char   *body)
{
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "close");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "close");
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
update_actions (CohortWindow *self)
{
  gboolean has_workspace = self->workspace != NULL;
  gboolean has_selection = has_workspace && get_selected_segment (self) != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.create-segment", has_workspace);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.refresh", has_workspace);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.sync", has_workspace);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.import-events", has_workspace);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.preview-sync", has_workspace);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.import-customers", has_workspace);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.edit-segment", has_selection);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.toggle-active", has_selection);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.duplicate-segment", has_selection);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.delete-segment", has_selection);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.undo-delete",
                                 has_workspace && self->undo_snapshot != NULL);
}

/* Shows the page that fits the state: no workspace, no segments at all,
 * nothing matching the search, or the list with the selected segment. */
static void
update_view (CohortWindow *self)
{
  CohortSegment *selected = get_selected_segment (self);
  guint n_segments = g_list_model_get_n_items (G_LIST_MODEL (self->segment_store));
  guint n_remote = g_list_model_get_n_items (G_LIST_MODEL (self->remote_store));
  guint n_remote_shown = g_list_model_get_n_items (G_LIST_MODEL (self->remote_model));
  guint n_shown = g_list_model_get_n_items (G_LIST_MODEL (self->selection));
  /* A search that finds only segments made in Customer.io shows them alone. */
  gboolean local_section = n_shown > 0 || n_remote_shown == 0 ||
                           gtk_string_filter_get_search (self->name_filter) == NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->remote_heading), n_remote_shown > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->remote_scroller), n_remote_shown > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->segments_heading), local_section);
  gtk_widget_set_visible (GTK_WIDGET (self->sidebar_stack), local_section);
  gtk_widget_set_vexpand (GTK_WIDGET (self->remote_scroller), !local_section);
  gtk_scrolled_window_set_max_content_height (self->remote_scroller, local_section ? 220 : -1);

  if (self->workspace == NULL)
    {
      gtk_stack_set_visible_child_name (self->status_stack, "no-workspace");
      gtk_stack_set_visible_child_name (self->main_stack, "status");
    }
  else if (n_segments == 0 && self->n_customers == 0 && n_remote == 0)
    {
      gtk_stack_set_visible_child_name (self->status_stack, "empty");
      gtk_stack_set_visible_child_name (self->main_stack, "status");
      gtk_search_bar_set_search_mode (self->search_bar, FALSE);
    }
  else
    {
      /* Customers but no segments yet: the customers are what there is to see. */
      if (n_segments == 0 && !self->showing_customers && self->shown_remote == NULL)
        {
          self->showing_customers = TRUE;
          gtk_list_box_select_row (self->sections_list, self->customers_row);
        }

      gtk_stack_set_visible_child_name (self->main_stack, "segments");
      if (n_segments == 0)
        gtk_stack_set_visible_child_name (self->sidebar_stack, "no-segments");
      else
        gtk_stack_set_visible_child_name (self->sidebar_stack,
                                          g_list_model_get_n_items (G_LIST_MODEL (self->selection)) > 0
                                          ? "list" : "no-results");
    }

  cohort_segment_page_set_segment (self->segment_page, selected);
  if (self->shown_remote != NULL)
    {
      cohort_remote_segment_page_set_segment (self->remote_page, self->workspace, self->shown_remote);
      gtk_stack_set_visible_child_name (self->content_stack, "remote");
      adw_window_title_set_title (self->content_title, "");
    }
  else if (self->showing_customers)
    {
      gtk_stack_set_visible_child_name (self->content_stack, "customers");
      adw_window_title_set_title (self->content_title, _("Customers"));
    }
  else
    {
      gtk_stack_set_visible_child_name (self->content_stack, selected ? "segment" : "none");
      adw_window_title_set_title (self->content_title, "");
    }

  update_actions (self);
}

#define LEAVE_TO_CUSTOMERS (-1)
#define LEAVE_TO_CLOSE     (-2)
#define LEAVE_TO_REMOTE    (-3)

static void leave_to (CohortWindow *self, gint64 target);

static void
leave_response_cb (AdwMessageDialog *dialog,
                   const char       *response,
                   CohortWindow     *self)
{
  CohortCriteriaBuilder *builder = cohort_segment_page_get_criteria_builder (self->segment_page);
  gint64 target = self->leave_target;

  self->leave_target = 0;
  if (g_str_equal (response, "save"))
    {
      g_autoptr(GError) error = NULL;

      if (!cohort_criteria_builder_save (builder, &error))
        {
          add_toast (self, error->message);
          return;
        }
    }
  else if (g_str_equal (response, "discard"))
    cohort_criteria_builder_discard (builder);
  else
    return;
  leave_to (self, target);
}

/* When the shown segment has unsaved rules, asks what to do with them
 * before going to @target, and returns TRUE: the caller stays put. */
static gboolean
ask_before_leaving (CohortWindow *self,
                    gint64        target)
{
  CohortCriteriaBuilder *builder = cohort_segment_page_get_criteria_builder (self->segment_page);
  CohortSegment *shown = cohort_segment_page_get_segment (self->segment_page);
  AdwMessageDialog *dialog;

  if (shown == NULL || builder == NULL || !cohort_criteria_builder_has_unsaved_changes (builder) ||
      target == cohort_segment_get_id (shown))
    return FALSE;
  if (self->leave_target != 0)
    return TRUE;    /* already asking */

  self->leave_target = target;
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), NULL, NULL));
  adw_message_dialog_format_heading (dialog, _("Save the Rules of “%s”?"),
                                     cohort_segment_get_name (shown));
  adw_message_dialog_set_body (dialog, _("The rules were changed and not saved. "
                                         "Changes that are not saved are lost."));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "discard", _("_Discard"),
                                    "save", _("_Save"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "discard", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_appearance (dialog, "save", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "save");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (leave_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  return TRUE;
}

static gboolean
close_request_cb (GtkWindow *window)
{
  CohortWindow *self = COHORT_WINDOW (window);

  if (!self->close_confirmed && ask_before_leaving (self, LEAVE_TO_CLOSE))
    return TRUE;
  return FALSE;
}

static void
show_customers (CohortWindow *self)
{
  if (ask_before_leaving (self, LEAVE_TO_CUSTOMERS))
    {
      /* Keep the segment's row selected while the question is open. */
      gtk_list_box_unselect_all (self->sections_list);
      return;
    }

  self->showing_customers = TRUE;
  g_clear_object (&self->shown_remote);

  self->selecting = TRUE;
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  gtk_list_box_unselect_all (self->remote_list);
  self->selecting = FALSE;

  gtk_list_box_select_row (self->sections_list, self->customers_row);
  update_view (self);

  if (adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_set_visible_child_name (self->leaflet, "content");
}

static void
leave_to (CohortWindow *self,
          gint64        target)
{
  if (target == LEAVE_TO_CLOSE)
    {
      self->close_confirmed = TRUE;
      gtk_window_close (GTK_WINDOW (self));
    }
  else if (target == LEAVE_TO_CUSTOMERS)
    show_customers (self);
  else if (target == LEAVE_TO_REMOTE)
    {
      g_autoptr(CohortRemoteSegment) remote = g_steal_pointer (&self->leave_remote);

      if (remote != NULL)
        show_remote (self, remote);
    }
  else
    cohort_window_select_segment (self, target);
}

static void
section_activated_cb (CohortWindow *self)
{
  show_customers (self);
}

static void
selection_changed_cb (CohortWindow *self)
{
  CohortSegment *selected = get_selected_segment (self);
  CohortSegment *shown = cohort_segment_page_get_segment (self->segment_page);

  /* A click elsewhere with unsaved rules: stay on the shown segment and ask. */
  if (!self->selecting && selected != NULL && shown != NULL &&
      ask_before_leaving (self, cohort_segment_get_id (selected)))
    {
      cohort_window_select_segment (self, cohort_segment_get_id (shown));
      return;
    }

  if (get_selected_segment (self) != NULL && self->showing_customers)
    {
      self->showing_customers = FALSE;
      gtk_list_box_unselect_all (self->sections_list);
    }
  if (get_selected_segment (self) != NULL && self->shown_remote != NULL)
    {
      gboolean was_selecting = self->selecting;

      g_clear_object (&self->shown_remote);
      self->selecting = TRUE;
      gtk_list_box_unselect_all (self->remote_list);
      self->selecting = was_selecting;
    }

  update_view (self);

  /* On a narrow window, one click on a segment shows its page (arrow keys
   * only move through the list; Enter opens, see segment_activated_cb). */
  if (!self->selecting && self->pointer_pick && get_selected_segment (self) != NULL &&
      adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_set_visible_child_name (self->leaflet, "content");
  self->pointer_pick = FALSE;
}

/* After a press on a row and what it did: if it selected nothing new (the
 * row was selected already), open that row all the same. */
static gboolean
pointer_pick_idle_cb (gpointer data)
{
  CohortWindow *self = data;

  if (self->pointer_pick && get_selected_segment (self) != NULL && adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_set_visible_child_name (self->leaflet, "content");
  self->pointer_pick = FALSE;
  return G_SOURCE_REMOVE;
}

/* Runs before the row's own click handling (capture phase), which selects:
 * the selection that follows comes from the pointer. */
static void
list_pressed_cb (GtkGestureClick *gesture,
                 int              n_press,
                 double           x,
                 double           y,
                 CohortWindow    *self)
{
  GtkWidget *picked = gtk_widget_pick (GTK_WIDGET (self->segment_list), x, y, GTK_PICK_DEFAULT);

  if (picked == NULL ||
      (!COHORT_IS_SEGMENT_ROW (picked) && gtk_widget_get_ancestor (picked, COHORT_TYPE_SEGMENT_ROW) == NULL))
    return;
  self->pointer_pick = TRUE;
  g_idle_add_full (G_PRIORITY_DEFAULT, pointer_pick_idle_cb, g_object_ref (self), g_object_unref);
}

static void
segment_activated_cb (CohortWindow *self,
                      guint         position)
{
  if (adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_set_visible_child_name (self->leaflet, "content");
}

static void
back_clicked_cb (CohortWindow *self)
{
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static void
leaflet_folded_cb (CohortWindow *self)
{
  /* Unfolded, both panes show: keep the sidebar as the leaflet's child so
   * that folding again starts at the list. */
  if (!adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_set_visible_child_name (self->leaflet, "sidebar");
}

static void
search_changed_cb (CohortWindow *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  gtk_string_filter_set_search (self->name_filter, *text ? text : NULL);
  gtk_string_filter_set_search (self->remote_name_filter, *text ? text : NULL);
  update_view (self);
}

static void
stop_search_cb (CohortWindow *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  gtk_search_bar_set_search_mode (self->search_bar, FALSE);
  gtk_widget_grab_focus (GTK_WIDGET (self->segment_list));
}

static void
search_activate_cb (CohortWindow *self)
{
  /* Enter in the search entry opens the first match. */
  if (g_list_model_get_n_items (G_LIST_MODEL (self->selection)) > 0)
    {
      gtk_single_selection_set_selected (self->selection, 0);
      if (adw_leaflet_get_folded (self->leaflet))
        adw_leaflet_set_visible_child_name (self->leaflet, "content");
    }
  else if (g_list_model_get_n_items (G_LIST_MODEL (self->remote_model)) > 0)
    {
      g_autoptr(CohortRemoteSegment) remote = g_list_model_get_item (G_LIST_MODEL (self->remote_model), 0);

      show_remote (self, remote);
    }
}

static void
list_item_setup_cb (GtkSignalListItemFactory *factory,
                    GtkListItem              *item,
                    gpointer                  user_data)
{
  gtk_list_item_set_child (item, cohort_segment_row_new ());
}

static void
list_item_bind_cb (GtkSignalListItemFactory *factory,
                   GtkListItem              *item,
                   gpointer                  user_data)
{
  CohortWindow *self = user_data;
  CohortSegmentRow *row = COHORT_SEGMENT_ROW (gtk_list_item_get_child (item));
  CohortSegment *segment = gtk_list_item_get_item (item);
  gint64 id = cohort_segment_get_id (segment);

  cohort_segment_row_set_segment (row, segment);
  cohort_segment_row_set_sync_status (row, self->sync_status != NULL
                                           ? g_hash_table_lookup (self->sync_status, &id) : NULL);
}

static void
list_item_unbind_cb (GtkSignalListItemFactory *factory,
                     GtkListItem              *item,
                     gpointer                  user_data)
{
  CohortSegmentRow *row = COHORT_SEGMENT_ROW (gtk_list_item_get_child (item));

  cohort_segment_row_set_segment (row, NULL);
  cohort_segment_row_set_sync_status (row, NULL);
}

/* Segments made in Customer.io */

static GtkWidget *
create_remote_row (gpointer item,
                   gpointer user_data)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *child = cohort_segment_row_new ();

  cohort_segment_row_set_remote (COHORT_SEGMENT_ROW (child), item);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), child);
  /* Read as the name; the row says the rest in its description. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  cohort_remote_segment_get_name (item), -1);
  return row;
}

static void
show_remote (CohortWindow        *self,
             CohortRemoteSegment *remote)
{
  gboolean was_selecting = self->selecting;

  if (ask_before_leaving (self, LEAVE_TO_REMOTE))
    {
      g_set_object (&self->leave_remote, remote);
      self->selecting = TRUE;
      gtk_list_box_unselect_all (self->remote_list);
      self->selecting = was_selecting;
      return;
    }

  g_set_object (&self->shown_remote, remote);
  self->showing_customers = FALSE;
  self->selecting = TRUE;
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  gtk_list_box_unselect_all (self->sections_list);
  /* Selected in the list too (when shown by the program). */
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->remote_model)); i++)
    {
      g_autoptr(CohortRemoteSegment) item = g_list_model_get_item (G_LIST_MODEL (self->remote_model), i);

      if (cohort_remote_segment_get_id (item) == cohort_remote_segment_get_id (remote))
        {
          gtk_list_box_select_row (self->remote_list, gtk_list_box_get_row_at_index (self->remote_list, (int) i));
          break;
        }
    }
  self->selecting = was_selecting;
  update_view (self);

  if (adw_leaflet_get_folded (self->leaflet) && !self->selecting)
    adw_leaflet_set_visible_child_name (self->leaflet, "content");
}

static void
remote_selected_cb (CohortWindow  *self,
                    GtkListBoxRow *row)
{
  CohortRemoteSegment *remote;

  if (self->selecting || row == NULL)
    return;

  remote = g_list_model_get_item (G_LIST_MODEL (self->remote_model),
                                  (guint) gtk_list_box_row_get_index (row));
  if (remote != NULL)
    show_remote (self, remote);
  g_clear_object (&remote);
}

/* Enter or a click on the row already shown: on a narrow window, its page. */
static void
remote_activated_cb (CohortWindow  *self,
                     GtkListBoxRow *row)
{
  if (self->shown_remote == NULL)
    remote_selected_cb (self, row);
  else if (adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_set_visible_child_name (self->leaflet, "content");
}

/* The segments made in Customer.io, as the last pull found them; the one
 * shown stays shown (or the page goes when it is gone). */
static void
reload_remote (CohortWindow *self)
{
  g_autoptr(GPtrArray) remote = NULL;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  gint64 shown_id = self->shown_remote ? cohort_remote_segment_get_id (self->shown_remote) : 0;
  CohortRemoteSegment *still_there = NULL;
  gboolean was_selecting = self->selecting;

  if (self->workspace != NULL && (remote = cohort_sync_list_remote_only_segments (self->workspace, &error)) == NULL)
    g_warning ("Could not read the Customer.io segments: %s", error->message);

  for (guint i = 0; remote != NULL && i < remote->len; i++)
    {
      CohortRemoteSegment *item = cohort_remote_segment_new (g_ptr_array_index (remote, i));

      if (cohort_remote_segment_get_id (item) == shown_id)
        still_there = item;
      g_ptr_array_add (items, item);
    }

  self->selecting = TRUE;
  g_list_store_splice (self->remote_store, 0, g_list_model_get_n_items (G_LIST_MODEL (self->remote_store)),
                       items->pdata, items->len);
  self->selecting = was_selecting;

  if (self->shown_remote != NULL)
    {
      if (still_there != NULL)
        {
          self->selecting = TRUE;
          show_remote (self, still_there);
          self->selecting = was_selecting;
        }
      else
        g_clear_object (&self->shown_remote);
    }
}

static void
reload_sync_status (CohortWindow *self)
{
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&self->sync_status, g_hash_table_unref);
  if (self->workspace != NULL &&
      (self->sync_status = cohort_sync_get_all_status (self->workspace, &error)) == NULL)
    g_warning ("Could not read the sync state: %s", error->message);
}

/* Undo after delete */

static void
clear_undo (CohortWindow *self)
{
  g_clear_pointer (&self->undo_snapshot, cohort_segment_snapshot_free);
  self->undo_id = 0;

  /* The toast is left to time out (or be replaced by the next one): with
   * libadwaita 1.2, dismissing it from here while the overlay animates can
   * crash in AdwToastOverlay. Its Undo button is disabled with the action. */
  if (self->undo_toast != NULL)
    {
      AdwToast *toast = g_steal_pointer (&self->undo_toast);

      g_object_remove_weak_pointer (G_OBJECT (toast), (gpointer *) &self->undo_toast);
    }
  update_actions (self);
}

static void
undo_toast_dismissed_cb (CohortWindow *self,
                         AdwToast     *toast)
{
  /* Once its toast is gone, a delete can no longer be undone. */
  if (toast == self->undo_toast)
    clear_undo (self);
}

static void
delete_segment (CohortWindow *self,
                gint64        id)
{
  g_autoptr(CohortSegment) segment = NULL;
  g_autoptr(GError) error = NULL;
  CohortSegmentSnapshot *snapshot = NULL;
  g_autofree char *title = NULL;
  AdwToast *toast;

  if (self->workspace == NULL)
    return;

  segment = cohort_segments_get (self->workspace, id, &error);
  if (segment == NULL || !cohort_segments_delete (self->workspace, id, &snapshot, &error))
    {
      show_error_dialog (self, _("Could Not Delete Segment"), error->message);
      return;
    }

  /* Only the last delete can be undone. */
  clear_undo (self);
  self->undo_snapshot = snapshot;
  self->undo_id = id;

  /* Translators: %s is a segment name */
  title = g_strdup_printf (_("“%s” deleted"), cohort_segment_get_name (segment));
  toast = adw_toast_new (title);
  adw_toast_set_button_label (toast, _("_Undo"));
  /* An older toast may show again after this one: its Undo must not
   * restore this segment. */
  adw_toast_set_detailed_action_name (toast, "win.undo-delete");
  adw_toast_set_action_target_value (toast, g_variant_new_int64 (id));
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  g_signal_connect_object (toast, "dismissed", G_CALLBACK (undo_toast_dismissed_cb),
                           self, G_CONNECT_SWAPPED);
  self->undo_toast = toast;
  g_object_add_weak_pointer (G_OBJECT (toast), (gpointer *) &self->undo_toast);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);

  update_actions (self);
}

static void
undo_delete_activated (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  CohortWindow *self = COHORT_WINDOW (widget);
  g_autoptr(CohortSegment) restored = NULL;
  g_autoptr(GError) error = NULL;

  if (self->workspace == NULL || self->undo_snapshot == NULL ||
      g_variant_get_int64 (parameter) != self->undo_id)
    return;

  restored = cohort_segments_restore (self->workspace, self->undo_snapshot, &error);
  clear_undo (self);

  if (restored == NULL)
    {
      show_error_dialog (self, _("Could Not Restore Segment"), error->message);
      return;
    }

  cohort_window_select_segment (self, cohort_segment_get_id (restored));
}

/* Segment actions */

static void
segment_saved_cb (CohortWindow  *self,
                  CohortSegment *segment)
{
  /* ::changed has reloaded the list already; make sure of it anyway, since
   * the search may hide the new segment. */
  if (!cohort_window_select_segment (self, cohort_segment_get_id (segment)))
    {
      gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
      reload_segments (self);
      cohort_window_select_segment (self, cohort_segment_get_id (segment));
    }

  if (adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_set_visible_child_name (self->leaflet, "content");
}

/* After Create: the keyboard goes on in the new segment's rules. */
static void
segment_created_cb (CohortWindow  *self,
                    CohortSegment *segment)
{
  CohortCriteriaBuilder *builder = cohort_segment_page_get_criteria_builder (self->segment_page);

  segment_saved_cb (self, segment);
  if (builder != NULL && cohort_segment_get_kind (segment) == COHORT_SEGMENT_DATA_DRIVEN &&
      gtk_widget_is_visible (GTK_WIDGET (builder)))
    cohort_criteria_builder_focus_first (builder);
}

static void
open_segment_dialog (CohortWindow  *self,
                     CohortSegment *segment)
{
  CohortSegmentDialog *dialog;

  if (self->workspace == NULL)
    return;

  dialog = cohort_segment_dialog_new (GTK_WINDOW (self), self->workspace, segment);
  g_signal_connect_object (dialog, "saved",
                           segment == NULL ? G_CALLBACK (segment_created_cb) : G_CALLBACK (segment_saved_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
create_segment_activated (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  open_segment_dialog (COHORT_WINDOW (widget), NULL);
}

static void
edit_segment_activated (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  CohortWindow *self = COHORT_WINDOW (widget);
  CohortSegment *segment = get_selected_segment (self);

  if (segment != NULL)
    open_segment_dialog (self, segment);
}

static void
toggle_active_activated (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  CohortWindow *self = COHORT_WINDOW (widget);
  CohortSegment *segment = get_selected_segment (self);
  g_autoptr(GError) error = NULL;

  if (segment == NULL)
    return;

  if (!cohort_segments_set_active (self->workspace, cohort_segment_get_id (segment),
                                   !cohort_segment_get_active (segment), &error))
    show_error_dialog (self, _("Could Not Change Segment"), error->message);
}

static void
duplicate_segment_activated (GtkWidget  *widget,
                             const char *action_name,
                             GVariant   *parameter)
{
  CohortWindow *self = COHORT_WINDOW (widget);
  CohortSegment *segment = get_selected_segment (self);
  g_autoptr(CohortSegment) copy = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL;

  if (segment == NULL)
    return;

  copy = cohort_segments_duplicate (self->workspace, cohort_segment_get_id (segment), &error);
  if (copy == NULL)
    {
      show_error_dialog (self, _("Could Not Duplicate Segment"), error->message);
      return;
    }

  cohort_window_select_segment (self, cohort_segment_get_id (copy));

  /* Translators: %s is the name of the new segment */
  title = g_strdup_printf (_("Duplicated as “%s”"), cohort_segment_get_name (copy));
  add_toast (self, title);
}

static void
delete_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    CohortWindow     *self)
{
  gint64 *id = g_object_get_data (G_OBJECT (dialog), "segment-id");

  if (g_strcmp0 (response, "delete") == 0 && id != NULL)
    delete_segment (self, *id);
}

static void
delete_segment_activated (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  CohortWindow *self = COHORT_WINDOW (widget);
  CohortSegment *segment = get_selected_segment (self);
  g_autofree char *heading = NULL;
  gint64 id;
  GtkWidget *dialog;

  if (segment == NULL)
    return;

  id = cohort_segment_get_id (segment);

  /* Translators: %s is a segment name */
  heading = g_strdup_printf (_("Delete “%s”?"), cohort_segment_get_name (segment));
  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading,
                                   cohort_segment_get_kind (segment) == COHORT_SEGMENT_MANUAL
                                   ? _("The segment and its list of members will be removed from this workspace.")
                                   : _("The segment and its rules will be removed from this workspace."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "delete", _("_Delete"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "segment-id", g_memdup2 (&id, sizeof id), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (delete_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
search_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  CohortWindow *self = COHORT_WINDOW (widget);

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "segments") != 0)
    return;

  /* Looking at the customers: search those. */
  if (self->showing_customers &&
      (!adw_leaflet_get_folded (self->leaflet) ||
       g_strcmp0 (adw_leaflet_get_visible_child_name (self->leaflet), "content") == 0))
    {
      cohort_customers_view_focus_search (self->customers_view);
      return;
    }

  if (adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_set_visible_child_name (self->leaflet, "sidebar");

  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
refresh_activated (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  CohortWindow *self = COHORT_WINDOW (widget);

  if (self->workspace == NULL)
    return;

  /* When something else wrote, ::changed reloads; otherwise reload anyway:
   * F5 should always show what is on disk. */
  if (!cohort_workspace_check_external_changes (self->workspace))
    reload_segments (self);
}

/* Importing customers */

static void
import_file (CohortWindow *self,
             GFile        *file)
{
  g_autofree char *path = g_file_get_path (file);
  CohortImportDialog *dialog;

  if (self->workspace == NULL || path == NULL)
    return;

  dialog = cohort_import_dialog_new (GTK_WINDOW (self), self->workspace, path);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
import_chooser_response_cb (GtkNativeDialog *chooser,
                            int              response,
                            CohortWindow    *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      if (file != NULL)
        import_file (self, file);
    }

  gtk_native_dialog_destroy (chooser);
  g_clear_object (&self->import_chooser);
}

static void
import_customers_activated (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *parameter)
{
  CohortWindow *self = COHORT_WINDOW (widget);
  g_autoptr(GtkFileFilter) csv = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();

  if (self->import_chooser != NULL || self->workspace == NULL)
    return;

  self->import_chooser = gtk_file_chooser_native_new (_("Import Customers"), GTK_WINDOW (self),
                                                      GTK_FILE_CHOOSER_ACTION_OPEN,
                                                      _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->import_chooser), TRUE);
  gtk_file_filter_set_name (csv, _("CSV Files"));
  gtk_file_filter_add_pattern (csv, "*.csv");
  gtk_file_filter_add_pattern (csv, "*.CSV");
  gtk_file_filter_add_pattern (csv, "*.txt");
  gtk_file_filter_add_mime_type (csv, "text/csv");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->import_chooser), csv);
  gtk_file_filter_set_name (all, _("All Files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->import_chooser), all);

  g_signal_connect_object (self->import_chooser, "response", G_CALLBACK (import_chooser_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->import_chooser));
}

static gboolean
drop_cb (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         CohortWindow  *self)
{
  GSList *files;

  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST) || self->workspace == NULL)
    return FALSE;

  /* One import at a time: the first file dropped. */
  files = gdk_file_list_get_files (g_value_get_boxed (value));
  if (files == NULL)
    return FALSE;

  import_file (self, files->data);
  g_slist_free (files);

  return TRUE;
}

static void
import_events_activated (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  CohortWindow *self = COHORT_WINDOW (widget);

  if (self->workspace != NULL)
    cohort_event_import_dialog_choose (GTK_WINDOW (self), self->workspace);
}

/* Sync with Customer.io */

static void
unlinked_response_cb (AdwMessageDialog *dialog,
                      const char       *response,
                      CohortWindow     *self)
{
  GArray *ids = g_object_get_data (G_OBJECT (dialog), "segment-ids");
  gboolean publish = g_str_equal (response, "publish");
  g_autoptr(GError) error = NULL;

  if (ids == NULL || self->workspace == NULL ||
      !(publish || g_str_equal (response, "deactivate")))
    return;    /* Later: asked again after the next sync, and on the page */

  for (guint i = 0; i < ids->len && error == NULL; i++)
    {
      gint64 id = g_array_index (ids, gint64, i);

      if (publish)
        cohort_sync_relink (self->workspace, id, &error);
      else
        cohort_segments_set_active (self->workspace, id, FALSE, &error);
    }
  if (error != NULL)
    show_error_dialog (self, publish ? _("Could Not Publish Again") : _("Could Not Deactivate"),
                       error->message);
  else if (publish)
    add_toast (self, g_dngettext (GETTEXT_PACKAGE,
                                  "It will be published again at the next sync",
                                  "They will be published again at the next sync", ids->len));
}

/* After a sync: segments deleted in Customer.io are not sent any more
 * until the user says what to do with them. */
static void
ask_about_unlinked (CohortWindow *self,
                    GtkWindow    *parent)
{
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GString) names = g_string_new (NULL);
  GListModel *store = G_LIST_MODEL (self->segment_store);
  const char *first_name = NULL;
  AdwMessageDialog *dialog;

  if (self->sync_status == NULL)
    return;

  for (guint i = 0; i < g_list_model_get_n_items (store); i++)
    {
      g_autoptr(CohortSegment) segment = g_list_model_get_item (store, i);
      gint64 id = cohort_segment_get_id (segment);
      CohortSyncStatus *status = g_hash_table_lookup (self->sync_status, &id);

      if (status == NULL || status->state != COHORT_SYNC_STATE_UNLINKED)
        continue;
      g_array_append_val (ids, id);
      if (first_name == NULL)
        first_name = cohort_segment_get_name (segment);
      g_string_append_printf (names, "\n• %s", cohort_segment_get_name (segment));
    }
  if (ids->len == 0)
    return;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (parent, NULL, NULL));
  if (ids->len == 1)
    {
      /* Translators: %s is a segment name */
      adw_message_dialog_format_heading (dialog, _("“%s” Was Deleted in Customer.io"), first_name);
      adw_message_dialog_set_body (dialog, _("Cohort no longer sends it. Publish it again to create it "
                                             "anew in Customer.io at the next sync, or deactivate it to "
                                             "keep it only here."));
    }
  else
    {
      g_autofree char *body = NULL;

      /* Translators: %u is a number of segments */
      adw_message_dialog_format_heading (dialog,
                                         g_dngettext (GETTEXT_PACKAGE,
                                                      "%u Segment Was Deleted in Customer.io",
                                                      "%u Segments Were Deleted in Customer.io",
                                                      ids->len),
                                         ids->len);
      /* Translators: then a list of segment names, one per line */
      body = g_strconcat (_("Cohort no longer sends them. Publish them again to create them anew in "
                            "Customer.io at the next sync, or deactivate them to keep them only here."),
                          "\n", names->str, NULL);
      adw_message_dialog_set_body (dialog, body);
    }
  adw_message_dialog_add_responses (dialog,
                                    "later", _("_Later"),
                                    "deactivate", _("_Deactivate"),
                                    "publish", _("_Publish Again"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "publish", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "publish");
  adw_message_dialog_set_close_response (dialog, "later");
  g_object_set_data_full (G_OBJECT (dialog), "segment-ids", g_steal_pointer (&ids),
                          (GDestroyNotify) g_array_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (unlinked_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
sync_finished_cb (CohortWindow *self,
                  GtkWindow    *dialog)
{
  ask_about_unlinked (self, gtk_widget_get_visible (GTK_WIDGET (dialog)) ? dialog : GTK_WINDOW (self));
}

static void
sync_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  CohortWindow *self = COHORT_WINDOW (widget);
  gboolean preview = g_strcmp0 (action_name, "win.preview-sync") == 0;
  CohortSyncDialog *running = cohort_sync_dialog_get_running (GTK_WINDOW (self));

  /* One sync at a time: show the one running in the background. */
  if (running != NULL)
    gtk_window_present (GTK_WINDOW (running));
  else if (self->workspace != NULL)
    {
      CohortSyncDialog *dialog = cohort_sync_dialog_new (GTK_WINDOW (self), self->workspace,
                                                         preview ? COHORT_SYNC_DIALOG_PREVIEW
                                                                 : COHORT_SYNC_DIALOG_SYNC);

      g_signal_connect_object (dialog, "finished", G_CALLBACK (sync_finished_cb), self, G_CONNECT_SWAPPED);
      gtk_window_present (GTK_WINDOW (dialog));
    }
}

/* Workspaces */

static void
chooser_response_cb (GtkNativeDialog *chooser,
                     int              response,
                     CohortWindow    *self)
{
  gboolean create = gtk_file_chooser_get_action (GTK_FILE_CHOOSER (chooser)) == GTK_FILE_CHOOSER_ACTION_SAVE;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      if (path != NULL)
        cohort_window_open_workspace (self, path, create);
    }

  gtk_native_dialog_destroy (chooser);
  g_clear_object (&self->chooser);
}

static void
run_chooser (CohortWindow         *self,
             GtkFileChooserAction  action)
{
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();
  gboolean create = action == GTK_FILE_CHOOSER_ACTION_SAVE;

  /* The models go with the template; do not update widgets that are gone. */
  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_data (self->selection, self);

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);

  self->chooser = gtk_file_chooser_native_new (create ? _("New Workspace") : _("Open Workspace"),
                                               GTK_WINDOW (self), action,
                                               create ? _("_Create") : _("_Open"),
                                               _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);

  gtk_file_filter_set_name (filter, _("Cohort Workspaces"));
  gtk_file_filter_add_pattern (filter, "*.cohort");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  gtk_file_filter_set_name (all, _("All Files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), all);

  if (create)
    /* Translators: the file name suggested for a new workspace */
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), _("Workspace.cohort"));

  g_signal_connect_object (self->chooser, "response", G_CALLBACK (chooser_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
new_workspace_activated (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  run_chooser (COHORT_WINDOW (widget), GTK_FILE_CHOOSER_ACTION_SAVE);
}

static void
open_workspace_activated (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  run_chooser (COHORT_WINDOW (widget), GTK_FILE_CHOOSER_ACTION_OPEN);
}

typedef struct
{
  GWeakRef window;
  gint64 id;
} CountRequest;

static void
count_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  CountRequest *request = user_data;
  g_autoptr(CohortWindow) self = g_weak_ref_get (&request->window);
  g_autoptr(CohortEvaluation) evaluation = NULL;
  g_autoptr(GError) error = NULL;

  evaluation = cohort_evaluator_evaluate_segment_finish (COHORT_WORKSPACE (source), result, &error);

  if (evaluation == NULL)
    {
      /* The count stays "—"; the segment's page says what is wrong with its rules. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Could not count segment %" PRId64 ": %s", request->id, error->message);
    }
  else if (self != NULL && self->workspace == COHORT_WORKSPACE (source))
    {
      GListModel *store = G_LIST_MODEL (self->segment_store);
      guint n_items = g_list_model_get_n_items (store);

      for (guint i = 0; i < n_items; i++)
        {
          g_autoptr(CohortSegment) segment = g_list_model_get_item (store, i);

          if (cohort_segment_get_id (segment) == request->id)
            {
              cohort_segment_set_count (segment, (gint64) cohort_evaluation_get_count (evaluation));
              break;
            }
        }
    }

  g_weak_ref_clear (&request->window);
  g_free (request);
}

/* Data-driven segments with rules are counted off the main thread; the
 * rows and the page update when a count arrives. */
static void
count_segments (CohortWindow *self)
{
  GListModel *store = G_LIST_MODEL (self->segment_store);
  guint n_items = g_list_model_get_n_items (store);

  g_cancellable_cancel (self->count_cancellable);
  g_clear_object (&self->count_cancellable);

  if (self->workspace == NULL)
    return;

  self->count_cancellable = g_cancellable_new ();

  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(CohortSegment) segment = g_list_model_get_item (store, i);
      CountRequest *request;

      if (cohort_segment_get_kind (segment) != COHORT_SEGMENT_DATA_DRIVEN ||
          cohort_segment_get_criteria (segment) == NULL ||
          cohort_segment_get_count (segment) >= 0)
        continue;

      request = g_new0 (CountRequest, 1);
      g_weak_ref_init (&request->window, self);
      request->id = cohort_segment_get_id (segment);
      cohort_evaluator_evaluate_segment_async (self->workspace, request->id, self->count_cancellable,
                                               count_done_cb, request);
    }
}

static void
update_customer_count (CohortWindow *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  self->n_customers = 0;
  if (self->workspace != NULL)
    self->n_customers = MAX (cohort_customers_count (self->workspace, &error), 0);
  if (error != NULL)
    g_warning ("Could not count customers: %s", error->message);

  text = cohort_segment_format_count (self->n_customers);
  gtk_label_set_label (self->customers_count_label, text);
}

static void
reload_segments (CohortWindow *self)
{
  g_autoptr(GPtrArray) segments = NULL;
  g_autoptr(GError) error = NULL;
  gint64 selected_id = cohort_window_get_selected_id (self);
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (self->segment_store));

  /* Before the rows are bound again: they show it. */
  reload_sync_status (self);
  reload_remote (self);

  self->selecting = TRUE;

  if (self->workspace == NULL)
    g_list_store_remove_all (self->segment_store);
  else if ((segments = cohort_segments_list (self->workspace, &error)) != NULL)
    g_list_store_splice (self->segment_store, 0, n_items, segments->pdata, segments->len);
  else
    add_toast (self, error->message);

  if (selected_id > 0)
    cohort_window_select_segment (self, selected_id);

  /* Something to look at: the first segment, unless the customers are shown. */
  if (get_selected_segment (self) == NULL && !self->showing_customers && self->shown_remote == NULL &&
      g_list_model_get_n_items (G_LIST_MODEL (self->selection)) > 0)
    gtk_single_selection_set_selected (self->selection, 0);

  self->selecting = FALSE;

  update_customer_count (self);

  update_view (self);
  /* The same segment object may still be shown: its sync state changed. */
  cohort_segment_page_refresh_sync (self->segment_page);
  count_segments (self);
}

static void
workspace_changed_cb (CohortWorkspace *workspace,
                      guint            what,
                      CohortWindow    *self)
{
  if (what & (COHORT_CHANGE_SEGMENTS | COHORT_CHANGE_MEMBERS | COHORT_CHANGE_CUSTOMERS | COHORT_CHANGE_SYNC))
    reload_segments (self);
}

static void
set_workspace (CohortWindow    *self,
               CohortWorkspace *workspace)
{
  if (self->workspace == workspace)
    return;

  clear_undo (self);

  if (self->workspace != NULL)
    g_signal_handlers_disconnect_by_data (self->workspace, self);

  g_set_object (&self->workspace, workspace);
  self->showing_customers = FALSE;
  g_clear_object (&self->shown_remote);
  g_clear_object (&self->leave_remote);
  gtk_list_box_unselect_all (self->sections_list);
  cohort_customers_view_set_workspace (self->customers_view, workspace);

  if (workspace != NULL)
    {
      g_autofree char *name = g_path_get_basename (cohort_workspace_get_path (workspace));

      g_signal_connect_object (workspace, "changed", G_CALLBACK (workspace_changed_cb), self, 0);
      adw_window_title_set_subtitle (self->sidebar_title, name);
      adw_window_title_set_subtitle (self->status_title, name);
    }

  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  reload_segments (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORKSPACE]);
}

static void
is_active_cb (CohortWindow *self)
{
  /* Back to the window: show what the command line (or another window) wrote. */
  if (gtk_window_is_active (GTK_WINDOW (self)) && self->workspace != NULL)
    cohort_workspace_check_external_changes (self->workspace);
}

static void
cohort_window_dispose (GObject *object)
{
  CohortWindow *self = COHORT_WINDOW (object);

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  if (self->import_chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->import_chooser));
  g_clear_object (&self->import_chooser);

  g_cancellable_cancel (self->count_cancellable);
  g_clear_object (&self->count_cancellable);

  g_clear_pointer (&self->undo_snapshot, cohort_segment_snapshot_free);
  if (self->undo_toast != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->undo_toast), (gpointer *) &self->undo_toast);
  self->undo_toast = NULL;

  if (self->workspace != NULL)
    g_signal_handlers_disconnect_by_data (self->workspace, self);
  g_clear_object (&self->workspace);
  g_clear_object (&self->shown_remote);
  g_clear_object (&self->leave_remote);
  g_clear_pointer (&self->sync_status, g_hash_table_unref);

  gtk_widget_dispose_template (GTK_WIDGET (self), COHORT_TYPE_WINDOW);

  G_OBJECT_CLASS (cohort_window_parent_class)->dispose (object);
}

static void
cohort_window_finalize (GObject *object)
{
  CohortWindow *self = COHORT_WINDOW (object);

  g_clear_object (&self->settings);

  G_OBJECT_CLASS (cohort_window_parent_class)->finalize (object);
}

static void
cohort_window_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  CohortWindow *self = COHORT_WINDOW (object);

  switch (prop_id)
    {
    case PROP_WORKSPACE:
      g_value_set_object (value, self->workspace);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* Ctrl+S: saves the rules of the segment shown, when they changed. */
static void
save_rules_activated (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  CohortWindow *self = COHORT_WINDOW (widget);
  CohortCriteriaBuilder *builder = cohort_segment_page_get_criteria_builder (self->segment_page);

  if (builder == NULL || !gtk_widget_is_visible (GTK_WIDGET (builder)) ||
      !cohort_criteria_builder_has_unsaved_changes (builder))
    return;
  gtk_widget_activate_action (GTK_WIDGET (builder), "criteria.save", NULL);
}

static void
cohort_window_class_init (CohortWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cohort_window_dispose;
  object_class->finalize = cohort_window_finalize;
  object_class->get_property = cohort_window_get_property;
  GTK_WINDOW_CLASS (klass)->close_request = close_request_cb;

  properties[PROP_WORKSPACE] =
    g_param_spec_object ("workspace", NULL, NULL,
                         COHORT_TYPE_WORKSPACE,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (COHORT_TYPE_SEGMENT);
  g_type_ensure (COHORT_TYPE_SEGMENT_PAGE);
  g_type_ensure (COHORT_TYPE_CUSTOMERS_VIEW);
  g_type_ensure (COHORT_TYPE_SYNC_BUTTON);
  g_type_ensure (COHORT_TYPE_REMOTE_SEGMENT);
  g_type_ensure (COHORT_TYPE_REMOTE_SEGMENT_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/cohort-window.ui");
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, sidebar_title);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, status_title);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, create_button);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, menu_button);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, search_button);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, sections_list);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, customers_row);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, customers_count_label);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, segments_heading);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, sidebar_stack);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, segment_list);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, remote_heading);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, remote_scroller);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, remote_list);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, remote_page);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, remote_store);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, remote_model);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, remote_name_filter);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, content_title);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, back_button);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, status_create_button);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, status_menu_button);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, content_stack);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, segment_page);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, customers_view);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, status_stack);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, empty_page);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, empty_create_button);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, no_workspace_page);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, segment_store);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, name_filter);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, sort_model);
  gtk_widget_class_bind_template_child (widget_class, CohortWindow, selection);
  gtk_widget_class_bind_template_callback (widget_class, selection_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, section_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, segment_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, back_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, leaflet_folded_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, stop_search_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, remote_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, remote_activated_cb);

  gtk_widget_class_install_action (widget_class, "win.create-segment", NULL, create_segment_activated);
  gtk_widget_class_install_action (widget_class, "win.save-rules", NULL, save_rules_activated);
  /* Ctrl+S wherever the focus is in the window. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "win.save-rules", NULL);
  gtk_widget_class_install_action (widget_class, "win.edit-segment", NULL, edit_segment_activated);
  gtk_widget_class_install_action (widget_class, "win.toggle-active", NULL, toggle_active_activated);
  gtk_widget_class_install_action (widget_class, "win.duplicate-segment", NULL, duplicate_segment_activated);
  gtk_widget_class_install_action (widget_class, "win.delete-segment", NULL, delete_segment_activated);
  gtk_widget_class_install_action (widget_class, "win.undo-delete", "x", undo_delete_activated);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_activated);
  gtk_widget_class_install_action (widget_class, "win.refresh", NULL, refresh_activated);
  gtk_widget_class_install_action (widget_class, "win.new-workspace", NULL, new_workspace_activated);
  gtk_widget_class_install_action (widget_class, "win.open-workspace", NULL, open_workspace_activated);
  gtk_widget_class_install_action (widget_class, "win.sync", NULL, sync_activated);
  gtk_widget_class_install_action (widget_class, "win.import-events", NULL, import_events_activated);
  gtk_widget_class_install_action (widget_class, "win.preview-sync", NULL, sync_activated);
  gtk_widget_class_install_action (widget_class, "win.import-customers", NULL, import_customers_activated);
}

static void
cohort_window_init (CohortWindow *self)
{
  g_autoptr(GtkListItemFactory) factory = NULL;
  GSettingsSchemaSource *source;
  g_autoptr(GSettingsSchema) schema = NULL;
  GtkIconTheme *theme;
  GtkDropTarget *drop_target;

  gtk_widget_init_template (GTK_WIDGET (self));
  cohort_a11y_tidy (GTK_WIDGET (self));

  /* GtkApplication adds our icons to the theme; a window made without one
   * (the tests) adds them itself. */
  theme = gtk_icon_theme_get_for_display (gtk_widget_get_display (GTK_WIDGET (self)));
  if (!gtk_icon_theme_has_icon (theme, "cohort-manual-symbolic"))
    gtk_icon_theme_add_resource_path (theme, RESOURCE_BASE "/icons");

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (list_item_setup_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (list_item_bind_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (list_item_unbind_cb), NULL);
  gtk_list_view_set_factory (self->segment_list, factory);
  gtk_list_box_bind_model (self->remote_list, G_LIST_MODEL (self->remote_model),
                           create_remote_row, NULL, NULL);

  gtk_search_bar_set_key_capture_widget (self->search_bar, GTK_WIDGET (self->segment_list));
  {
    GtkGesture *click = gtk_gesture_click_new ();

    gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (click), GTK_PHASE_CAPTURE);
    g_signal_connect (click, "pressed", G_CALLBACK (list_pressed_cb), self);
    gtk_widget_add_controller (GTK_WIDGET (self->segment_list), GTK_EVENT_CONTROLLER (click));
  }

  /* Run from the build tree without GSETTINGS_SCHEMA_DIR, the schema is
   * missing: work, just without remembering the window. */
  source = g_settings_schema_source_get_default ();
  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);
  if (schema != NULL)
    {
      self->settings = g_settings_new (APP_ID);
      g_settings_bind (self->settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (self->settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (self->settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);
    }
  else
    {
      g_debug ("Settings schema %s not found; the window size will not be kept", APP_ID);
      gtk_window_set_default_size (GTK_WINDOW (self), 1000, 680);
    }

  g_signal_connect (self, "notify::is-active", G_CALLBACK (is_active_cb), NULL);

  /* Drop a CSV file on the window to import it. */
  drop_target = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect_object (drop_target, "drop", G_CALLBACK (drop_cb), self, 0);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop_target));

  update_view (self);
}

CohortWindow *
cohort_window_new (CohortApplication *application)
{
  g_return_val_if_fail (application == NULL || COHORT_IS_APPLICATION (application), NULL);

  return g_object_new (COHORT_TYPE_WINDOW,
                       "application", application,
                       NULL);
}

static const char *
open_error_heading (const GError *error)
{
  if (error->domain == COHORT_WORKSPACE_ERROR)
    {
      switch ((CohortWorkspaceError) error->code)
        {
        case COHORT_WORKSPACE_ERROR_NOT_A_WORKSPACE:
          return _("Not a Cohort Workspace");
        case COHORT_WORKSPACE_ERROR_TOO_NEW:
          return _("Workspace Made by a Newer Version");
        case COHORT_WORKSPACE_ERROR_CORRUPT:
          return _("Workspace Is Damaged");
        case COHORT_WORKSPACE_ERROR_BUSY:
          return _("Workspace Is Busy");
        case COHORT_WORKSPACE_ERROR_NOT_FOUND:
          return _("Workspace Not Found");
        case COHORT_WORKSPACE_ERROR_FAILED:
        case COHORT_WORKSPACE_ERROR_EXISTS:
        case COHORT_WORKSPACE_ERROR_INVALID:
        case COHORT_WORKSPACE_ERROR_IN_USE:
        default:
          break;
        }
    }

  return _("Could Not Open Workspace");
}

gboolean
cohort_window_open_workspace (CohortWindow *self,
                              const char   *path,
                              gboolean      create)
{
  g_autoptr(CohortWorkspace) workspace = NULL;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (COHORT_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  workspace = cohort_workspace_open (path, create ? COHORT_WORKSPACE_OPEN_CREATE : COHORT_WORKSPACE_OPEN_NONE,
                                     &error);
  if (workspace == NULL)
    {
      /* The message names the file and says what is wrong with it. */
      show_error_dialog (self, open_error_heading (error), error->message);
      update_view (self);
      return FALSE;
    }

  set_workspace (self, workspace);

  if (self->settings != NULL)
    g_settings_set_string (self->settings, "last-workspace", cohort_workspace_get_path (workspace));

  return TRUE;
}

void
cohort_window_open_initial_workspace (CohortWindow *self,
                                      const char   *path)
{
  g_autofree char *last = NULL;
  g_autofree char *fallback = NULL;

  g_return_if_fail (COHORT_IS_WINDOW (self));

  if (path != NULL)
    {
      cohort_window_open_workspace (self, path, TRUE);
      return;
    }

  /* $COHORT_WORKSPACE wins over the last workspace used. */
  if (g_getenv ("COHORT_WORKSPACE") == NULL && self->settings != NULL)
    last = g_settings_get_string (self->settings, "last-workspace");

  if (last != NULL && *last != '\0' && g_file_test (last, G_FILE_TEST_EXISTS) &&
      cohort_window_open_workspace (self, last, FALSE))
    return;

  fallback = cohort_workspace_default_path ();
  cohort_window_open_workspace (self, fallback, TRUE);
}

CohortWorkspace *
cohort_window_get_workspace (CohortWindow *self)
{
  g_return_val_if_fail (COHORT_IS_WINDOW (self), NULL);

  return self->workspace;
}

GListModel *
cohort_window_get_segments (CohortWindow *self)
{
  g_return_val_if_fail (COHORT_IS_WINDOW (self), NULL);

  return G_LIST_MODEL (self->selection);
}

gboolean
cohort_window_select_segment (CohortWindow *self,
                              gint64        id)
{
  GListModel *model;
  guint n_items;

  g_return_val_if_fail (COHORT_IS_WINDOW (self), FALSE);

  model = G_LIST_MODEL (self->selection);
  n_items = g_list_model_get_n_items (model);

  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(CohortSegment) segment = g_list_model_get_item (model, i);

      if (cohort_segment_get_id (segment) == id)
        {
          gboolean was_selecting = self->selecting;

          self->selecting = TRUE;
          gtk_single_selection_set_selected (self->selection, i);
          self->selecting = was_selecting;

          gtk_widget_activate_action (GTK_WIDGET (self->segment_list), "list.scroll-to-item", "u", i);
          return TRUE;
        }
    }

  return FALSE;
}

gint64
cohort_window_get_selected_id (CohortWindow *self)
{
  CohortSegment *segment;

  g_return_val_if_fail (COHORT_IS_WINDOW (self), 0);

  segment = get_selected_segment (self);

  return segment ? cohort_segment_get_id (segment) : 0;
}
