/* cohort-segment-page.c: the details of one segment, with its actions
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cohort-a11y.h"
#include "cohort-criteria-builder.h"
#include "cohort-export-dialog.h"
#include "cohort-members-panel.h"
#include "cohort-segment-page.h"
#include "cohort-segment-row.h"
#include "cohort-sync.h"
#include "cohort-window.h"

struct _CohortSegmentPage
{
  AdwBin parent_instance;

  CohortSegment *segment;

  GtkImage *kind_image;
  GtkLabel *name_label;
  GtkLabel *summary_label;
  GtkLabel *description_label;
  GtkButton *active_button;
  GtkLabel *kind_label;
  GtkLabel *members_label;
  GtkLabel *status_label;
  GtkWidget *unlinked_box;
  GtkButton *publish_again_button;
  GtkButton *deactivate_button;
  AdwActionRow *sync_row;
  GtkLabel *sync_label;
  GtkLabel *created_label;
  GtkLabel *updated_label;
  CohortCriteriaBuilder *criteria_builder;
  CohortMembersPanel *members_panel;
  GtkWidget *count_bar;
  GtkLabel *count_bar_label;
};

G_DEFINE_FINAL_TYPE (CohortSegmentPage, cohort_segment_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_SEGMENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char *
format_time (gint64 unix_time)
{
  g_autoptr(GDateTime) dt = NULL;

  if (unix_time <= 0)
    return g_strdup (_("Unknown"));

  dt = g_date_time_new_from_unix_local (unix_time);
  if (dt == NULL)
    return g_strdup (_("Unknown"));

  /* Translators: a date and time, see the strftime man page (e.g. "29 November 2026, 14:05") */
  return g_date_time_format (dt, _("%-d %B %Y, %H:%M"));
}

static void
set_dim (GtkWidget *widget,
         gboolean   dim)
{
  if (dim)
    gtk_widget_add_css_class (widget, "dim-label");
  else
    gtk_widget_remove_css_class (widget, "dim-label");
}

static CohortWorkspace *
get_workspace (CohortSegmentPage *self)
{
  GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (self), COHORT_TYPE_WINDOW);

  return window != NULL ? cohort_window_get_workspace (COHORT_WINDOW (window)) : NULL;
}

/* The state of the segment in Customer.io, and the question when it was
 * deleted there. */
static void
update_sync (CohortSegmentPage *self)
{
  g_auto(CohortSyncStatus) status = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *words = NULL;
  CohortWorkspace *ws = get_workspace (self);
  const char *style_class;

  if (self->segment == NULL || ws == NULL ||
      !cohort_sync_get_status (ws, cohort_segment_get_id (self->segment), &status, &error))
    {
      if (error != NULL)
        g_warning ("Could not read the sync state: %s", error->message);
      gtk_widget_set_visible (self->unlinked_box, FALSE);
      gtk_label_set_label (self->sync_label, "");
      return;
    }

  words = cohort_sync_status_describe (&status);
  gtk_label_set_label (self->sync_label, words);
  /* A long error is cut in the row: all of it in the tooltip. */
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->sync_label), words);
  style_class = cohort_sync_status_style_class (&status);
  gtk_widget_remove_css_class (GTK_WIDGET (self->sync_label), "success");
  gtk_widget_remove_css_class (GTK_WIDGET (self->sync_label), "warning");
  gtk_widget_remove_css_class (GTK_WIDGET (self->sync_label), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->sync_label), "dim-label");
  gtk_widget_add_css_class (GTK_WIDGET (self->sync_label), style_class ? style_class : "dim-label");
  gtk_widget_set_visible (self->unlinked_box, status.state == COHORT_SYNC_STATE_UNLINKED);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "segment.publish-again",
                                 status.state == COHORT_SYNC_STATE_UNLINKED);
}

static void
cohort_segment_page_update (CohortSegmentPage *self)
{
  CohortSegment *segment = self->segment;
  g_autofree char *members = NULL;
  g_autofree char *created = NULL;
  g_autofree char *updated = NULL;
  CohortSegmentKind kind;
  const char *description;
  gboolean active;

  if (segment == NULL)
    return;

  kind = cohort_segment_get_kind (segment);
  active = cohort_segment_get_active (segment);
  description = cohort_segment_get_description (segment);

  gtk_image_set_from_icon_name (self->kind_image, cohort_segment_kind_icon_name (kind));
  gtk_label_set_label (self->name_label, cohort_segment_get_name (segment));

  if (kind == COHORT_SEGMENT_DATA_DRIVEN)
    gtk_label_set_label (self->summary_label,
                         _("A data-driven segment: people join and leave automatically when they match your rules."));
  else
    gtk_label_set_label (self->summary_label,
                         _("A manual segment: a list of people you keep by hand."));

  if (description != NULL && *description != '\0')
    {
      gtk_label_set_label (self->description_label, description);
      set_dim (GTK_WIDGET (self->description_label), FALSE);
    }
  else
    {
      gtk_label_set_label (self->description_label, _("No description"));
      set_dim (GTK_WIDGET (self->description_label), TRUE);
    }

  gtk_button_set_label (self->active_button, active ? _("Deac_tivate") : _("Ac_tivate"));
  cohort_a11y_tidy_button (self->active_button);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->active_button),
                               active ? _("Keep the segment but leave it out of sync")
                                      : _("Include the segment in sync again"));

  gtk_label_set_label (self->kind_label, cohort_segment_kind_label (kind));

  members = cohort_segment_format_count (cohort_segment_get_count (segment));
  if (cohort_segment_get_count (segment) < 0)
    {
      g_free (members);
      members = g_strdup (kind == COHORT_SEGMENT_DATA_DRIVEN ? _("— (no rules yet)") : _("—"));
    }
  gtk_label_set_label (self->members_label, members);

  gtk_label_set_label (self->status_label,
                       active ? _("Active") : _("Inactive (left out of sync)"));

  created = format_time (cohort_segment_get_created_at (segment));
  updated = format_time (cohort_segment_get_updated_at (segment));
  gtk_label_set_label (self->created_label, created);
  gtk_label_set_label (self->updated_label, updated);

  if (active)
    gtk_widget_remove_css_class (GTK_WIDGET (self), "inactive");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self), "inactive");

  update_sync (self);
}

static void
cohort_segment_page_dispose (GObject *object)
{
  CohortSegmentPage *self = COHORT_SEGMENT_PAGE (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), COHORT_TYPE_SEGMENT_PAGE);
  if (self->segment != NULL)
    g_signal_handlers_disconnect_by_func (self->segment, cohort_segment_page_update, self);
  g_clear_object (&self->segment);

  G_OBJECT_CLASS (cohort_segment_page_parent_class)->dispose (object);
}

static void
cohort_segment_page_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  CohortSegmentPage *self = COHORT_SEGMENT_PAGE (object);

  switch (prop_id)
    {
    case PROP_SEGMENT:
      g_value_set_object (value, self->segment);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cohort_segment_page_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  CohortSegmentPage *self = COHORT_SEGMENT_PAGE (object);

  switch (prop_id)
    {
    case PROP_SEGMENT:
      cohort_segment_page_set_segment (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* Export Members… (both kinds): the dialog, over the window's toasts. */
static void
export_members_cb (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  CohortSegmentPage *self = COHORT_SEGMENT_PAGE (widget);
  GtkWidget *window = gtk_widget_get_ancestor (widget, COHORT_TYPE_WINDOW);
  GtkWidget *toasts = gtk_widget_get_ancestor (widget, ADW_TYPE_TOAST_OVERLAY);
  CohortWorkspace *ws = window != NULL ? cohort_window_get_workspace (COHORT_WINDOW (window)) : NULL;
  CohortExportDialog *dialog;

  if (self->segment == NULL || ws == NULL)
    return;

  dialog = cohort_export_dialog_new (GTK_WINDOW (window), ws, self->segment,
                                     toasts != NULL ? ADW_TOAST_OVERLAY (toasts) : NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Publish Again: a segment deleted in Customer.io is created there anew
 * at the next sync. */
static void
publish_again_cb (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  CohortSegmentPage *self = COHORT_SEGMENT_PAGE (widget);
  GtkWidget *toasts = gtk_widget_get_ancestor (widget, ADW_TYPE_TOAST_OVERLAY);
  CohortWorkspace *ws = get_workspace (self);
  g_autoptr(CohortSegment) segment = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL;

  if (self->segment == NULL || ws == NULL)
    return;

  /* ::changed may replace the page's segment meanwhile. */
  segment = g_object_ref (self->segment);
  if (!cohort_sync_relink (ws, cohort_segment_get_id (segment), &error))
    {
      if (toasts != NULL)
        adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (toasts), adw_toast_new (error->message));
      return;
    }
  update_sync (self);
  /* Translators: %s is a segment name */
  title = g_strdup_printf (_("“%s” will be published again at the next sync"),
                           cohort_segment_get_name (segment));
  if (toasts != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (toasts), adw_toast_new (title));
}

static void
cohort_segment_page_class_init (CohortSegmentPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cohort_segment_page_dispose;
  object_class->get_property = cohort_segment_page_get_property;
  object_class->set_property = cohort_segment_page_set_property;

  properties[PROP_SEGMENT] =
    g_param_spec_object ("segment", NULL, NULL,
                         COHORT_TYPE_SEGMENT,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (COHORT_TYPE_CRITERIA_BUILDER);
  g_type_ensure (COHORT_TYPE_MEMBERS_PANEL);
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/cohort-segment-page.ui");
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentPage, kind_image);
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentPage, name_label);
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentPage, summary_label);
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentPage, description_label);
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentPage, active_button);
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentPage, kind_label);
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentPage, members_label);
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentPage, status_label);
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentPage, unlinked_box);
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentPage, publish_again_button);
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentPage, deactivate_button);
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentPage, sync_row);
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentPage, sync_label);
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentPage, created_label);
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentPage, updated_label);
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentPage, criteria_builder);
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentPage, members_panel);
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentPage, count_bar);
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentPage, count_bar_label);

  gtk_widget_class_install_action (widget_class, "segment.export-members", NULL, export_members_cb);
  gtk_widget_class_install_action (widget_class, "segment.publish-again", NULL, publish_again_cb);
}

static void
cohort_segment_page_init (CohortSegmentPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  cohort_a11y_tidy (GTK_WIDGET (self));

  /* The live count, its share and the change against the saved rules stay
   * in view below the page while the rules scroll. */
  g_object_bind_property (self->criteria_builder, "summary", self->count_bar_label, "label", G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->criteria_builder, "visible", self->count_bar, "visible", G_BINDING_SYNC_CREATE);
}

CohortSegment *
cohort_segment_page_get_segment (CohortSegmentPage *self)
{
  g_return_val_if_fail (COHORT_IS_SEGMENT_PAGE (self), NULL);

  return self->segment;
}

void
cohort_segment_page_set_segment (CohortSegmentPage *self,
                                 CohortSegment     *segment)
{
  g_return_if_fail (COHORT_IS_SEGMENT_PAGE (self));
  g_return_if_fail (segment == NULL || COHORT_IS_SEGMENT (segment));

  if (self->segment == segment)
    return;

  /* Counts arrive later, from a background evaluation. */
  if (self->segment != NULL)
    g_signal_handlers_disconnect_by_func (self->segment, cohort_segment_page_update, self);

  g_set_object (&self->segment, segment);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "segment.export-members", segment != NULL);

  if (segment != NULL)
    g_signal_connect_object (segment, "notify::count", G_CALLBACK (cohort_segment_page_update), self, G_CONNECT_SWAPPED);

  cohort_segment_page_update (self);
  {
    /* The rules of a data-driven segment (the builder hides itself otherwise). */
    GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (self), COHORT_TYPE_WINDOW);

    cohort_criteria_builder_set_segment (self->criteria_builder,
                                         window ? cohort_window_get_workspace (COHORT_WINDOW (window)) : NULL,
                                         segment);
    /* A manual segment's members; Save as Manual Segment… otherwise. */
    cohort_members_panel_set_segment (self->members_panel,
                                      window ? cohort_window_get_workspace (COHORT_WINDOW (window)) : NULL,
                                      segment);
  }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEGMENT]);
}

CohortCriteriaBuilder *
cohort_segment_page_get_criteria_builder (CohortSegmentPage *self)
{
  g_return_val_if_fail (COHORT_IS_SEGMENT_PAGE (self), NULL);
  return self->criteria_builder;
}

/* The sync state changed (a sync finished, another process wrote). */
void
cohort_segment_page_refresh_sync (CohortSegmentPage *self)
{
  g_return_if_fail (COHORT_IS_SEGMENT_PAGE (self));

  update_sync (self);
}
