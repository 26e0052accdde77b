/* cohort-criteria-builder.c: the rules of a data-driven segment, edited
 *
 * The widgets are the state. Every edit turns them into a draft JSON node
 * (valid or not): its text is what undo and redo restore and what tells
 * whether anything changed since the last save. When every row is valid the
 * draft is parsed by the core, counted live and can be saved.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "cohort-a11y.h"
#include "cohort-criteria.h"
#include "cohort-criteria-builder.h"
#include "cohort-customers.h"
#include "cohort-evaluator.h"
#include "cohort-live-count.h"
#include "cohort-segment-row.h"
#include "cohort-segment.h"

#define PREVIEW_LIMIT 100
#define UNDO_LIMIT 200
/* Typing into one entry within this time is one undo step. */
#define COALESCE_USEC (1500 * G_TIME_SPAN_MILLISECOND)

struct _CohortCriteriaBuilder
{
  GtkWidget parent_instance;

  CohortWorkspace *ws;
  CohortSegment *segment;
  CohortCriteriaContext *ctx;
  CohortConditionGroup *root;
  CohortLiveCount *live;
  CohortCriteria *criteria;     /* the valid draft, parsed; NULL while invalid */
  CohortEvaluation *preview_eval;
  GCancellable *paste_cancellable;

  char *current;                /* the draft as text */
  char *saved;                  /* the draft of the stored criteria */
  char *saved_criteria;         /* the stored criteria, canonical */
  GPtrArray *undo;              /* of drafts */
  GPtrArray *redo;
  gint64 last_edit_time;
  gpointer last_edit_focus;     /* weak: the text widget typed into */
  char *preview_fields;         /* the attribute columns shown, joined */
  gint64 match_count;
  gboolean dirty;
  gboolean no_rules;      /* no condition at all: matches no one, saved as no criteria */
  char *summary;          /* "357 customers match · 1.8 % of 20,000 customers · +312 vs saved" */
  gint64 saved_count;     /* what the saved rules match (-1: not known) */
  gboolean restoring;

  GtkBox *root_box;
  GtkLabel *problem_label;
  GtkLabel *message_label;
  GtkLabel *count_label;
  GtkExpander *words_expander;
  GtkLabel *words_label;
  GtkLabel *share_label;
  GtkSpinner *spinner;
  GtkStack *preview_stack;
  GtkColumnView *preview_view;
  GtkLabel *empty_label;
  GtkButton *save_button;
  GtkButton *discard_button;
  GtkButton *undo_button;
};

G_DEFINE_FINAL_TYPE (CohortCriteriaBuilder, cohort_criteria_builder, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_HAS_UNSAVED_CHANGES,
  PROP_MATCH_COUNT,
  PROP_SUMMARY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ------------------------------------------------------------------ */

static char *
draft_of_group (CohortConditionGroup *group)
{
  g_autoptr(JsonNode) node = cohort_condition_group_to_json (group);

  return json_to_string (node, FALSE);
}

static char *
canonical (const char *json)
{
  g_autoptr(CohortCriteria) criteria = NULL;

  if (json == NULL || *json == '\0')
    return NULL;
  criteria = cohort_criteria_parse (json, NULL);
  return criteria ? cohort_criteria_to_string (criteria, FALSE) : g_strdup (json);
}

static void
set_message (CohortCriteriaBuilder *self,
             const char            *message)
{
  gtk_label_set_label (self->message_label, message ? message : "");
}

static void
set_match_count (CohortCriteriaBuilder *self,
                 gint64                 count)
{
  if (self->match_count == count)
    return;
  self->match_count = count;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MATCH_COUNT]);
}

static void
set_summary (CohortCriteriaBuilder *self,
             const char            *summary)
{
  if (g_strcmp0 (self->summary, summary) == 0)
    return;
  g_free (self->summary);
  self->summary = g_strdup (summary);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUMMARY]);
}

static void
update_busy (CohortCriteriaBuilder *self)
{
  gboolean busy = self->live != NULL && cohort_live_count_get_busy (self->live);

  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_opacity (GTK_WIDGET (self->spinner), busy ? 1.0 : 0.0);
}

/* ------------------------------------------------------------------ */
/* The preview                                                          */

static void
preview_setup_cb (GtkSignalListItemFactory *factory,
                  GtkListItem              *item,
                  gpointer                  data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 32);
  gtk_list_item_set_child (item, label);
}

static void
preview_bind_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *item,
                 CohortCriteriaBuilder    *self)
{
  GtkStringObject *string = gtk_list_item_get_item (item);
  const char *field = g_object_get_data (G_OBJECT (factory), "field");
  const char *text = NULL;
  guint32 ordinal;

  if (string == NULL || self->preview_eval == NULL)
    return;
  ordinal = (guint32) g_ascii_strtoull (gtk_string_object_get_string (string), NULL, 10);
  text = cohort_evaluation_get_text (self->preview_eval, ordinal, field);

  /* Times are stored as Unix seconds: show them as dates. */
  if (text != NULL && self->ctx != NULL &&
      cohort_criteria_context_get_attr_type (self->ctx, field) == COHORT_ATTR_TIMESTAMP)
    {
      char *end = NULL;
      gint64 seconds = g_ascii_strtoll (text, &end, 10);
      g_autoptr(GDateTime) dt = NULL;
      g_autofree char *formatted = NULL;

      if (end != text && *end == '\0' && (dt = g_date_time_new_from_unix_local (seconds)) != NULL)
        {
          /* Translators: a date and time in the preview, see strftime */
          formatted = g_date_time_format (dt, _("%Y-%m-%d %H:%M"));
          gtk_label_set_label (GTK_LABEL (gtk_list_item_get_child (item)), formatted);
          return;
        }
    }
  gtk_label_set_label (GTK_LABEL (gtk_list_item_get_child (item)), text ? text : "");
}

static void
add_column (CohortCriteriaBuilder *self,
            const char            *field,
            const char            *title)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  g_autoptr(GtkColumnViewColumn) column = NULL;

  g_object_set_data_full (G_OBJECT (factory), "field", g_strdup (field), g_free);
  g_signal_connect (factory, "setup", G_CALLBACK (preview_setup_cb), NULL);
  g_signal_connect_object (factory, "bind", G_CALLBACK (preview_bind_cb), self, 0);

  column = gtk_column_view_column_new (title, factory);
  gtk_column_view_column_set_resizable (column, TRUE);
  gtk_column_view_column_set_expand (column, TRUE);
  gtk_column_view_append_column (self->preview_view, column);
}

static void
update_columns (CohortCriteriaBuilder *self)
{
  g_autoptr(GPtrArray) fields = NULL;
  g_autoptr(GString) joined = g_string_new (NULL);
  GListModel *columns = gtk_column_view_get_columns (self->preview_view);

  if (self->criteria != NULL)
    fields = cohort_criteria_collect_fields (self->criteria);
  for (guint i = 0; fields != NULL && i < fields->len; i++)
    g_string_append_printf (joined, "%s\n", (const char *) g_ptr_array_index (fields, i));

  if (g_list_model_get_n_items (columns) > 0 && g_strcmp0 (joined->str, self->preview_fields) == 0)
    return;
  g_free (self->preview_fields);
  self->preview_fields = g_strdup (joined->str);

  while (g_list_model_get_n_items (columns) > 0)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, 0);
      gtk_column_view_remove_column (self->preview_view, column);
    }

  add_column (self, "id", _("ID"));
  add_column (self, "email", _("Email"));
  for (guint i = 0; fields != NULL && i < fields->len; i++)
    {
      const char *field = g_ptr_array_index (fields, i);

      if (!g_str_equal (field, "id") && !g_str_equal (field, "email"))
        add_column (self, field, field);
    }
}

static void
show_result (CohortCriteriaBuilder *self)
{
  CohortEvaluation *result = self->live ? cohort_live_count_get_result (self->live) : NULL;
  const GError *error = self->live ? cohort_live_count_get_error (self->live) : NULL;
  g_autoptr(GtkStringList) ordinals = gtk_string_list_new (NULL);
  g_autoptr(GtkNoSelection) selection = NULL;
  g_autoptr(GArray) members = NULL;
  g_autofree char *count_text = NULL;
  g_autofree char *total_text = NULL;
  g_autofree char *count_label = NULL;
  g_autofree char *share_label = NULL;
  guint64 count, total;

  update_busy (self);

  if (self->criteria == NULL)
    {
      set_match_count (self, -1);
      gtk_label_set_label (self->count_label, _("No count while a condition needs fixing"));
      set_summary (self, _("No count while a condition needs fixing"));
      gtk_label_set_label (self->share_label, "");
      gtk_label_set_label (self->empty_label, _("Fix the marked conditions to see who matches."));
      gtk_stack_set_visible_child_name (self->preview_stack, "empty");
      return;
    }

  if (result == NULL)
    {
      if (error != NULL)
        {
          set_match_count (self, -1);
          gtk_label_set_label (self->count_label, _("Could not count"));
          set_summary (self, _("Could not count"));
          gtk_label_set_label (self->share_label, error->message);
          gtk_label_set_label (self->empty_label, "");
          gtk_stack_set_visible_child_name (self->preview_stack, "empty");
        }
      return;
    }

  count = cohort_evaluation_get_count (result);
  total = cohort_evaluation_get_total (result);
  count_text = cohort_segment_format_count ((gint64) count);
  total_text = cohort_segment_format_count ((gint64) total);

  count_label = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s customer matches",
                                              "%s customers match", (gulong) MIN (count, G_MAXULONG)),
                                 count_text);
  /* Translators: the share of all customers, e.g. "12.5 % of 10,000 customers" */
  share_label = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%.1f %% of %s customer",
                                              "%.1f %% of %s customers", (gulong) MIN (total, G_MAXULONG)),
                                 total > 0 ? 100.0 * (double) count / (double) total : 0.0, total_text);
  if (count > PREVIEW_LIMIT)
    {
      /* Translators: after the share of all customers */
      g_autofree char *more = g_strdup_printf (_("%s · the first %d are shown"), share_label, PREVIEW_LIMIT);
      g_free (share_label);
      share_label = g_steal_pointer (&more);
    }
  if (self->no_rules)
    {
      g_free (count_label);
      count_label = g_strdup (_("No rules yet: no one matches"));
    }
  gtk_label_set_label (self->count_label, count_label);
  gtk_label_set_label (self->share_label, share_label);
  set_match_count (self, (gint64) count);

  /* The bar that stays in view: count, share, and the change against the
   * saved rules while they are edited. */
  if (!self->dirty)
    self->saved_count = (gint64) count;
  {
    /* A no-break space keeps "20.0 %" on one line. */
    g_autofree char *share = g_strdup_printf ("%.1f\u00a0%%", total > 0 ? 100.0 * (double) count / (double) total : 0.0);
    g_autofree char *change = NULL;
    g_autofree char *summary = NULL;

    if (self->dirty && self->saved_count >= 0)
      {
        gint64 delta = (gint64) count - self->saved_count;
        g_autofree char *magnitude = cohort_segment_format_count (ABS (delta));

        if (delta == 0)
          change = g_strdup (_("same as saved"));
        else
          /* Translators: the change of the count against the saved rules, e.g. "+312 vs saved" */
          change = g_strdup_printf (_("%s%s vs saved"), delta > 0 ? "+" : "−", magnitude);
      }
    /* Translators: the live count, its share of all customers, e.g.
     * "357 customers match · 1.8 % of all" */
    summary = g_strdup_printf (_("%s · %s of all"), count_label, share);
    if (change != NULL)
      {
        g_autofree char *with = g_strdup_printf ("%s · %s", summary, change);

        g_free (summary);
        summary = g_steal_pointer (&with);
      }
    set_summary (self, summary);
  }

  g_clear_pointer (&self->preview_eval, cohort_evaluation_unref);
  self->preview_eval = cohort_evaluation_ref (result);
  update_columns (self);

  members = cohort_evaluation_get_members (result, 0, PREVIEW_LIMIT);
  for (guint i = 0; i < members->len; i++)
    {
      char buf[16];

      g_snprintf (buf, sizeof buf, "%u", g_array_index (members, guint32, i));
      gtk_string_list_append (ordinals, buf);
    }
  selection = gtk_no_selection_new (G_LIST_MODEL (g_steal_pointer (&ordinals)));
  gtk_column_view_set_model (self->preview_view, GTK_SELECTION_MODEL (selection));

  if (members->len == 0)
    {
      gtk_label_set_label (self->empty_label, _("No one matches these rules."));
      gtk_stack_set_visible_child_name (self->preview_stack, "empty");
    }
  else
    gtk_stack_set_visible_child_name (self->preview_stack, "preview");
}

/* ------------------------------------------------------------------ */
/* State                                                                */

static void
update_actions (CohortCriteriaBuilder *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean has_segment = self->segment != NULL && self->ws != NULL;

  gtk_widget_action_set_enabled (widget, "criteria.save",
                                 has_segment && self->dirty && self->criteria != NULL);
  gtk_widget_action_set_enabled (widget, "criteria.discard", has_segment && self->dirty);
  gtk_widget_action_set_enabled (widget, "criteria.undo", has_segment && self->undo->len > 0);
  gtk_widget_action_set_enabled (widget, "criteria.redo", has_segment && self->redo->len > 0);
  gtk_widget_action_set_enabled (widget, "criteria.copy-json", has_segment && self->criteria != NULL);
  gtk_widget_action_set_enabled (widget, "criteria.copy-words", has_segment && self->criteria != NULL);
  gtk_widget_action_set_enabled (widget, "criteria.paste-json", has_segment);
}

/* The rules in words (what publishing puts in the remote description), so
 * the segment can be rebuilt in Customer.io's own builder. */
static char *
describe (CohortCriteriaBuilder *self)
{
  if (self->criteria == NULL || self->ws == NULL)
    return NULL;
  return cohort_criteria_describe_in (self->criteria, self->ws);
}

static void
update_words (CohortCriteriaBuilder *self)
{
  g_autofree char *words = describe (self);

  gtk_label_set_label (self->words_label,
                       words != NULL ? words : _("The rules cannot be put in words until every condition is complete."));
  gtk_widget_set_visible (GTK_WIDGET (self->words_expander), self->root != NULL);
}

/* Validates the widgets, parses the draft, restarts the live count. */
static void
refresh (CohortCriteriaBuilder *self)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  gboolean valid;
  gboolean dirty;

  g_clear_pointer (&self->criteria, cohort_criteria_free);
  gtk_label_set_label (self->problem_label, "");
  gtk_widget_set_visible (GTK_WIDGET (self->problem_label), FALSE);

  if (self->root == NULL)
    {
      update_words (self);
      return;
    }

  valid = cohort_condition_group_validate (self->root);
  if (valid)
    {
      node = cohort_condition_group_to_json (self->root);
      self->criteria = cohort_criteria_parse_node (node, &error);
      if (self->criteria != NULL && self->ws != NULL &&
          !cohort_criteria_check_refs (self->criteria, self->ws,
                                       self->segment ? cohort_segment_get_id (self->segment) : 0,
                                       &error))
        g_clear_pointer (&self->criteria, cohort_criteria_free);

      if (self->criteria == NULL)
        {
          gtk_label_set_label (self->problem_label, error->message);
          gtk_widget_set_visible (GTK_WIDGET (self->problem_label), TRUE);
        }
    }
  /* A data-driven segment without rules matches no one (as the evaluator
   * reads a segment without criteria), not everyone as {"and": []} would. */
  self->no_rules = valid && cohort_condition_group_get_n_children (self->root) == 0;
  if (self->no_rules)
    {
      g_clear_pointer (&self->criteria, cohort_criteria_free);
      self->criteria = cohort_criteria_parse ("{\"or\": []}", NULL);
    }

  dirty = g_strcmp0 (self->current, self->saved) != 0;
  if (!dirty)
    self->saved_count = self->match_count;
  if (dirty != self->dirty)
    {
      self->dirty = dirty;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_UNSAVED_CHANGES]);
    }
  update_words (self);
  if (self->live != NULL)
    cohort_live_count_set_criteria (self->live, self->criteria);
  show_result (self);
  update_busy (self);

  update_actions (self);
}

static void root_changed_cb (CohortCriteriaBuilder *self);

/* Replaces the rows with @node (a criteria node or a draft). */
static void
show_node (CohortCriteriaBuilder *self,
           JsonNode              *node)
{
  GtkWidget *root;

  if (self->root != NULL)
    {
      gtk_box_remove (self->root_box, GTK_WIDGET (self->root));
      self->root = NULL;
    }
  if (self->ctx == NULL)
    return;

  root = cohort_condition_group_new (self->ctx, TRUE);
  if (node != NULL)
    cohort_condition_group_load (COHORT_CONDITION_GROUP (root), node);
  g_signal_connect_object (root, "changed", G_CALLBACK (root_changed_cb), self, G_CONNECT_SWAPPED);
  gtk_box_append (self->root_box, root);
  self->root = COHORT_CONDITION_GROUP (root);

  g_free (self->current);
  self->current = draft_of_group (self->root);
}

static void
show_draft (CohortCriteriaBuilder *self,
            const char            *draft)
{
  g_autoptr(JsonNode) node = json_from_string (draft, NULL);

  self->restoring = TRUE;
  show_node (self, node);
  self->restoring = FALSE;
}

static void
push_undo (CohortCriteriaBuilder *self,
           const char            *draft)
{
  g_ptr_array_add (self->undo, g_strdup (draft));
  if (self->undo->len > UNDO_LIMIT)
    g_ptr_array_remove_index (self->undo, 0);
  g_ptr_array_set_size (self->redo, 0);
}

static void
root_changed_cb (CohortCriteriaBuilder *self)
{
  g_autofree char *draft = NULL;
  GtkRoot *root;
  gpointer focus = NULL;
  gint64 now = g_get_monotonic_time ();

  if (self->restoring || self->root == NULL)
    return;

  set_message (self, NULL);
  draft = draft_of_group (self->root);
  if (g_strcmp0 (draft, self->current) == 0)
    {
      refresh (self);
      return;
    }

  /* Typing into the same entry is one step. */
  if ((root = gtk_widget_get_root (GTK_WIDGET (self))) != NULL)
    focus = gtk_root_get_focus (root);
  if (!(focus != NULL && GTK_IS_TEXT (focus) && focus == self->last_edit_focus &&
        now - self->last_edit_time < COALESCE_USEC && self->undo->len > 0))
    push_undo (self, self->current);
  else
    g_ptr_array_set_size (self->redo, 0);

  g_set_weak_pointer (&self->last_edit_focus, focus && GTK_IS_TEXT (focus) ? focus : NULL);
  self->last_edit_time = now;

  g_free (self->current);
  self->current = g_steal_pointer (&draft);
  refresh (self);
}

/* An edit that replaces everything: one undo step. */
static void
replace_with (CohortCriteriaBuilder *self,
              JsonNode              *node)
{
  g_autofree char *before = g_strdup (self->current);

  show_node (self, node);
  if (g_strcmp0 (before, self->current) != 0)
    push_undo (self, before);
  g_clear_weak_pointer (&self->last_edit_focus);
  refresh (self);
}

/* Shows @stored (the segment's criteria) as saved. */
static void
load_stored (CohortCriteriaBuilder *self,
             const char            *stored)
{
  g_autoptr(CohortCriteria) criteria = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;

  if (stored != NULL && *stored != '\0')
    {
      criteria = cohort_criteria_parse (stored, &error);
      /* Invalid criteria (written outside Cohort) are shown as they are, as
       * far as they can be read at all: nested too deep, not even that. */
      node = criteria ? cohort_criteria_to_json_node (criteria)
                      : cohort_criteria_json_from_string (stored, NULL);
    }

  show_node (self, node);
  g_free (self->saved);
  self->saved = g_strdup (self->current);
  g_free (self->saved_criteria);
  self->saved_criteria = canonical (stored);
  self->saved_count = -1;
  g_ptr_array_set_size (self->undo, 0);
  g_ptr_array_set_size (self->redo, 0);
  g_clear_weak_pointer (&self->last_edit_focus);
  set_message (self, node == NULL && error != NULL ? error->message : NULL);
  refresh (self);
}

/* ------------------------------------------------------------------ */
/* Actions                                                              */

static void
undo_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  CohortCriteriaBuilder *self = COHORT_CRITERIA_BUILDER (widget);
  g_autofree char *draft = NULL;

  if (self->undo->len == 0)
    return;
  draft = g_ptr_array_steal_index (self->undo, self->undo->len - 1);
  g_ptr_array_add (self->redo, g_strdup (self->current));
  show_draft (self, draft);
  g_clear_weak_pointer (&self->last_edit_focus);
  set_message (self, NULL);
  refresh (self);
}

static void
redo_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  CohortCriteriaBuilder *self = COHORT_CRITERIA_BUILDER (widget);
  g_autofree char *draft = NULL;

  if (self->redo->len == 0)
    return;
  draft = g_ptr_array_steal_index (self->redo, self->redo->len - 1);
  g_ptr_array_add (self->undo, g_strdup (self->current));
  show_draft (self, draft);
  g_clear_weak_pointer (&self->last_edit_focus);
  set_message (self, NULL);
  refresh (self);
}

static void
save_now (CohortCriteriaBuilder *self)
{
  g_autoptr(GError) error = NULL;

  if (!cohort_criteria_builder_save (self, &error))
    {
      g_autofree char *message = g_strdup_printf (_("Could not save the rules: %s"), error->message);
      set_message (self, message);
    }
}

static void
everyone_response_cb (AdwMessageDialog      *dialog,
                      const char            *response,
                      CohortCriteriaBuilder *self)
{
  if (g_str_equal (response, "save"))
    save_now (self);
}

/* Whether the rules, as last counted, match every customer. */
static gboolean
matches_everyone (CohortCriteriaBuilder *self)
{
  CohortEvaluation *result = self->live ? cohort_live_count_get_result (self->live) : NULL;

  return !self->no_rules && self->criteria != NULL && result != NULL &&
         cohort_evaluation_get_total (result) > 0 &&
         cohort_evaluation_get_count (result) == cohort_evaluation_get_total (result);
}

/* Save (the button, Ctrl+S): rules that match every customer are saved
 * only once confirmed, since sync would push everyone. */
static void
save_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  CohortCriteriaBuilder *self = COHORT_CRITERIA_BUILDER (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  AdwMessageDialog *dialog;

  if (!matches_everyone (self))
    {
      save_now (self);
      return;
    }
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                       _("Save Rules That Match Everyone?"), NULL));
  adw_message_dialog_set_body (dialog, _("Every customer matches these rules: a sync would add all of them "
                                         "to the segment in Customer.io."));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "save", _("_Save Anyway"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "save", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (everyone_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
discard_response_cb (AdwMessageDialog      *dialog,
                     const char            *response,
                     CohortCriteriaBuilder *self)
{
  if (!g_str_equal (response, "discard"))
    return;   /* the focus goes back where it was */
  cohort_criteria_builder_discard (self);
  /* Discard is no longer there to hold the focus: the rules take it. */
  cohort_criteria_builder_focus_first (self);
}

/* Discard (the button, Escape): asks first, since the edits are lost. */
static void
discard_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  CohortCriteriaBuilder *self = COHORT_CRITERIA_BUILDER (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  AdwMessageDialog *dialog;

  if (!self->dirty)
    return;
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                       _("Discard Changes to the Rules?"), NULL));
  adw_message_dialog_set_body (dialog, _("The rules go back to how they were saved."));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "discard", _("_Discard"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "discard", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (discard_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
copy_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  CohortCriteriaBuilder *self = COHORT_CRITERIA_BUILDER (widget);
  g_autofree char *json = NULL;

  if (self->criteria == NULL)
    return;
  json = cohort_criteria_to_string (self->criteria, TRUE);
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), json);
}

static void
copy_words_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  CohortCriteriaBuilder *self = COHORT_CRITERIA_BUILDER (widget);
  g_autofree char *words = describe (self);

  if (words != NULL)
    gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), words);
}

static void
paste_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(CohortCriteriaBuilder) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->paste_cancellable);

  if (text == NULL)
    {
      set_message (self, _("Could not paste: the clipboard holds no text"));
      return;
    }
  cohort_criteria_builder_paste_text (self, text, NULL);
}

static void
paste_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  CohortCriteriaBuilder *self = COHORT_CRITERIA_BUILDER (widget);

  g_cancellable_cancel (self->paste_cancellable);
  g_clear_object (&self->paste_cancellable);
  self->paste_cancellable = g_cancellable_new ();
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (widget), self->paste_cancellable,
                                 paste_done_cb, g_object_ref (self));
}

/* ------------------------------------------------------------------ */

static void
live_updated_cb (CohortCriteriaBuilder *self)
{
  show_result (self);
}

static void
clear_segment (CohortCriteriaBuilder *self)
{
  if (self->live != NULL)
    g_signal_handlers_disconnect_by_data (self->live, self);
  g_clear_object (&self->live);
  g_clear_object (&self->segment);
  g_clear_object (&self->ws);
  if (self->root != NULL)
    gtk_box_remove (self->root_box, GTK_WIDGET (self->root));
  self->root = NULL;
  g_clear_pointer (&self->ctx, cohort_criteria_context_unref);
  g_clear_pointer (&self->criteria, cohort_criteria_free);
  g_clear_pointer (&self->preview_eval, cohort_evaluation_unref);
  gtk_column_view_set_model (self->preview_view, NULL);
}

void
cohort_criteria_builder_set_segment (CohortCriteriaBuilder *self,
                                     CohortWorkspace       *ws,
                                     CohortSegment         *segment)
{
  g_autofree char *stored = NULL;

  g_return_if_fail (COHORT_IS_CRITERIA_BUILDER (self));
  g_return_if_fail (ws == NULL || COHORT_IS_WORKSPACE (ws));
  g_return_if_fail (segment == NULL || COHORT_IS_SEGMENT (segment));

  /* No segment for a moment (the window reloads its list): keep the edits
   * in case the same segment comes back. */
  if (segment == NULL && ws != NULL && ws == self->ws)
    {
      gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
      return;
    }

  if (ws == NULL || segment == NULL || cohort_segment_get_kind (segment) != COHORT_SEGMENT_DATA_DRIVEN)
    {
      clear_segment (self);
      g_free (self->saved);
      self->saved = NULL;
      g_free (self->current);
      self->current = NULL;
      g_ptr_array_set_size (self->undo, 0);
      g_ptr_array_set_size (self->redo, 0);
      gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
      refresh (self);
      return;
    }

  gtk_widget_set_visible (GTK_WIDGET (self), TRUE);
  stored = canonical (cohort_segment_get_criteria (segment));

  /* The same segment again (the list was reloaded): keep the edits. */
  if (ws == self->ws && self->segment != NULL &&
      cohort_segment_get_id (segment) == cohort_segment_get_id (self->segment))
    {
      g_set_object (&self->segment, segment);
      /* Something changed: new attributes or segments for new rows. */
      cohort_criteria_context_reload (self->ctx);
      if (g_strcmp0 (stored, self->saved_criteria) == 0)
        return;
      if (!self->dirty)
        {
          load_stored (self, stored);
          return;
        }
      /* Changed elsewhere while edited here: the edits stay, measured
       * against what is stored now. */
      {
        g_autoptr(CohortCriteriaContext) ctx = cohort_criteria_context_ref (self->ctx);
        g_autoptr(CohortCriteria) criteria = stored ? cohort_criteria_parse (stored, NULL) : NULL;
        g_autoptr(JsonNode) node = criteria ? cohort_criteria_to_json_node (criteria) : NULL;
        GtkWidget *group = g_object_ref_sink (cohort_condition_group_new (ctx, TRUE));

        cohort_condition_group_load (COHORT_CONDITION_GROUP (group), node);
        g_free (self->saved);
        self->saved = draft_of_group (COHORT_CONDITION_GROUP (group));
        g_free (self->saved_criteria);
        self->saved_criteria = g_steal_pointer (&stored);
        g_object_unref (group);
        refresh (self);
      }
      return;
    }

  clear_segment (self);
  self->ws = g_object_ref (ws);
  self->segment = g_object_ref (segment);
  self->ctx = cohort_criteria_context_new (ws, cohort_segment_get_id (segment));
  self->live = cohort_live_count_new (ws);
  g_signal_connect_object (self->live, "updated", G_CALLBACK (live_updated_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->live, "notify::busy", G_CALLBACK (update_busy), self, G_CONNECT_SWAPPED);
  g_clear_pointer (&self->preview_fields, g_free);

  load_stored (self, stored);
}

gboolean
cohort_criteria_builder_has_unsaved_changes (CohortCriteriaBuilder *self)
{
  g_return_val_if_fail (COHORT_IS_CRITERIA_BUILDER (self), FALSE);

  return self->dirty;
}

gboolean
cohort_criteria_builder_save (CohortCriteriaBuilder *self,
                              GError               **error)
{
  g_autofree char *json = NULL;

  g_return_val_if_fail (COHORT_IS_CRITERIA_BUILDER (self), FALSE);

  if (self->segment == NULL || self->ws == NULL)
    {
      g_set_error_literal (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_NOT_FOUND,
                           _("There is no segment to save"));
      return FALSE;
    }
  if (self->criteria == NULL)
    {
      if (self->root != NULL)
        cohort_condition_group_reveal_problems (self->root);
      g_set_error_literal (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_INVALID,
                           _("Some conditions need fixing first"));
      return FALSE;
    }

  /* No rules: stored as no criteria (matches no one, never pushed). */
  json = self->no_rules ? NULL : cohort_criteria_to_string (self->criteria, FALSE);
  /* Before the write: ::changed may set a reloaded copy of the segment. */
  g_free (self->saved_criteria);
  self->saved_criteria = g_strdup (json);
  if (!cohort_segments_set_criteria (self->ws, cohort_segment_get_id (self->segment), json, error))
    {
      g_free (self->saved_criteria);
      self->saved_criteria = canonical (cohort_segment_get_criteria (self->segment));
      return FALSE;
    }

  g_free (self->saved);
  self->saved = g_strdup (self->current);
  set_message (self, NULL);
  refresh (self);
  return TRUE;
}

void
cohort_criteria_builder_discard (CohortCriteriaBuilder *self)
{
  g_autoptr(JsonNode) node = NULL;

  g_return_if_fail (COHORT_IS_CRITERIA_BUILDER (self));

  if (self->saved == NULL || !self->dirty)
    return;
  node = json_from_string (self->saved, NULL);
  self->restoring = TRUE;
  replace_with (self, node);
  self->restoring = FALSE;
  set_message (self, NULL);
}

gboolean
cohort_criteria_builder_paste_text (CohortCriteriaBuilder *self,
                                    const char            *json,
                                    GError               **error)
{
  g_autoptr(CohortCriteria) criteria = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (COHORT_IS_CRITERIA_BUILDER (self), FALSE);

  if (self->root == NULL)
    return FALSE;

  criteria = cohort_criteria_parse (json, &local_error);
  if (criteria != NULL && self->ws != NULL &&
      !cohort_criteria_check_refs (criteria, self->ws,
                                   self->segment ? cohort_segment_get_id (self->segment) : 0,
                                   &local_error))
    g_clear_pointer (&criteria, cohort_criteria_free);

  if (criteria == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("Could not paste: %s"), local_error->message);

      set_message (self, message);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  node = cohort_criteria_to_json_node (criteria);
  self->restoring = TRUE;
  replace_with (self, node);
  self->restoring = FALSE;
  set_message (self, NULL);
  return TRUE;
}

void
cohort_criteria_builder_focus_first (CohortCriteriaBuilder *self)
{
  g_return_if_fail (COHORT_IS_CRITERIA_BUILDER (self));

  if (self->root == NULL)
    return;
  if (cohort_condition_group_get_n_children (self->root) > 0)
    gtk_widget_child_focus (cohort_condition_group_get_child (self->root, 0), GTK_DIR_TAB_FORWARD);
  else
    gtk_widget_grab_focus (GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (self->root), COHORT_TYPE_CONDITION_GROUP,
                                                          "add_condition_button")));
}

CohortConditionGroup *
cohort_criteria_builder_get_root (CohortCriteriaBuilder *self)
{
  g_return_val_if_fail (COHORT_IS_CRITERIA_BUILDER (self), NULL);

  return self->root;
}

char *
cohort_criteria_builder_dup_json (CohortCriteriaBuilder *self)
{
  g_return_val_if_fail (COHORT_IS_CRITERIA_BUILDER (self), NULL);

  return self->criteria ? cohort_criteria_to_string (self->criteria, FALSE) : NULL;
}

gint64
cohort_criteria_builder_get_match_count (CohortCriteriaBuilder *self)
{
  g_return_val_if_fail (COHORT_IS_CRITERIA_BUILDER (self), -1);

  return self->match_count;
}

/* ------------------------------------------------------------------ */

static void
cohort_criteria_builder_dispose (GObject *object)
{
  GtkWidget *child;
  CohortCriteriaBuilder *self = COHORT_CRITERIA_BUILDER (object);

  g_cancellable_cancel (self->paste_cancellable);
  g_clear_object (&self->paste_cancellable);
  clear_segment (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), COHORT_TYPE_CRITERIA_BUILDER);
  /* The template's unnamed children too. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_weak_pointer (&self->last_edit_focus);

  G_OBJECT_CLASS (cohort_criteria_builder_parent_class)->dispose (object);
}

static void
cohort_criteria_builder_finalize (GObject *object)
{
  CohortCriteriaBuilder *self = COHORT_CRITERIA_BUILDER (object);

  g_free (self->current);
  g_free (self->saved);
  g_free (self->saved_criteria);
  g_free (self->preview_fields);
  g_free (self->summary);
  g_ptr_array_unref (self->undo);
  g_ptr_array_unref (self->redo);

  G_OBJECT_CLASS (cohort_criteria_builder_parent_class)->finalize (object);
}

static void
cohort_criteria_builder_get_property (GObject    *object,
                                      guint       prop_id,
                                      GValue     *value,
                                      GParamSpec *pspec)
{
  CohortCriteriaBuilder *self = COHORT_CRITERIA_BUILDER (object);

  switch (prop_id)
    {
    case PROP_HAS_UNSAVED_CHANGES:
      g_value_set_boolean (value, self->dirty);
      break;

    case PROP_MATCH_COUNT:
      g_value_set_int64 (value, self->match_count);
      break;

    case PROP_SUMMARY:
      g_value_set_string (value, self->summary);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cohort_criteria_builder_class_init (CohortCriteriaBuilderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cohort_criteria_builder_dispose;
  object_class->finalize = cohort_criteria_builder_finalize;
  object_class->get_property = cohort_criteria_builder_get_property;

  properties[PROP_HAS_UNSAVED_CHANGES] =
    g_param_spec_boolean ("has-unsaved-changes", NULL, NULL, FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_MATCH_COUNT] =
    g_param_spec_int64 ("match-count", NULL, NULL, -1, G_MAXINT64, -1,
                        (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_SUMMARY] =
    g_param_spec_string ("summary", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_install_action (widget_class, "criteria.undo", NULL, undo_action);
  gtk_widget_class_install_action (widget_class, "criteria.redo", NULL, redo_action);
  gtk_widget_class_install_action (widget_class, "criteria.save", NULL, save_action);
  gtk_widget_class_install_action (widget_class, "criteria.discard", NULL, discard_action);
  gtk_widget_class_install_action (widget_class, "criteria.copy-json", NULL, copy_action);
  gtk_widget_class_install_action (widget_class, "criteria.copy-words", NULL, copy_words_action);
  gtk_widget_class_install_action (widget_class, "criteria.paste-json", NULL, paste_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_z, GDK_CONTROL_MASK, "criteria.undo", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "criteria.save", NULL);
  /* Escape leaves an edit, asking first (popovers and completions inside
   * take their own Escape before it gets here). */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "criteria.discard", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_z, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "criteria.redo", NULL);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/cohort-criteria-builder.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_bind_template_child (widget_class, CohortCriteriaBuilder, root_box);
  gtk_widget_class_bind_template_child (widget_class, CohortCriteriaBuilder, problem_label);
  gtk_widget_class_bind_template_child (widget_class, CohortCriteriaBuilder, message_label);
  gtk_widget_class_bind_template_child (widget_class, CohortCriteriaBuilder, count_label);
  gtk_widget_class_bind_template_child (widget_class, CohortCriteriaBuilder, words_expander);
  gtk_widget_class_bind_template_child (widget_class, CohortCriteriaBuilder, words_label);
  gtk_widget_class_bind_template_child (widget_class, CohortCriteriaBuilder, share_label);
  gtk_widget_class_bind_template_child (widget_class, CohortCriteriaBuilder, spinner);
  gtk_widget_class_bind_template_child (widget_class, CohortCriteriaBuilder, preview_stack);
  gtk_widget_class_bind_template_child (widget_class, CohortCriteriaBuilder, preview_view);
  gtk_widget_class_bind_template_child (widget_class, CohortCriteriaBuilder, empty_label);
  gtk_widget_class_bind_template_child (widget_class, CohortCriteriaBuilder, save_button);
  gtk_widget_class_bind_template_child (widget_class, CohortCriteriaBuilder, discard_button);
  gtk_widget_class_bind_template_child (widget_class, CohortCriteriaBuilder, undo_button);
}

static void
cohort_criteria_builder_init (CohortCriteriaBuilder *self)
{
  GtkLayoutManager *layout;

  gtk_widget_init_template (GTK_WIDGET (self));
  cohort_a11y_tidy (GTK_WIDGET (self));
  layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (layout), 12);

  self->undo = g_ptr_array_new_with_free_func (g_free);
  self->redo = g_ptr_array_new_with_free_func (g_free);
  self->match_count = -1;
  self->saved_count = -1;
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
  update_busy (self);
  update_actions (self);
}

GtkWidget *
cohort_criteria_builder_new (void)
{
  return g_object_new (COHORT_TYPE_CRITERIA_BUILDER, NULL);
}
