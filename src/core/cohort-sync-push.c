/* cohort-sync-push.c: push segments to Customer.io
 *
 * Push works segment by segment, in the order of the outbox:
 *  - a local segment without a remote one gets a sync_links row in state
 *    'pending' (with a create_ref written into the remote description)
 *    committed before the create request; the confirmed remote id is
 *    recorded before anything else. A pending link found at the next sync
 *    means the answer was lost: the remote list is searched for create_ref
 *    before creating again, so a segment is never created twice.
 *  - the membership to send is the difference between the local members
 *    and sync_pushed (what Customer.io confirmed); every confirmed batch is
 *    recorded at once. add/remove_customers are idempotent, so a batch whose
 *    answer was lost is simply sent again.
 *  - outbox entries of a segment leave once all of the above is confirmed.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "Cohort-Sync"

#include <inttypes.h>
#include <string.h>
#include <glib/gi18n.h>

#include "cohort-criteria.h"
#include "cohort-outbox.h"
#include "cohort-sync-private.h"

static CohortCioSegment *
find_remote_by_id (GPtrArray *remote,
                   gint64     id)
{
  for (guint i = 0; remote != NULL && i < remote->len; i++)
    {
      CohortCioSegment *segment = g_ptr_array_index (remote, i);

      if (segment->id == id)
        return segment;
    }
  return NULL;
}

static CohortCioSegment *
find_remote_by_ref (GPtrArray  *remote,
                    const char *ref)
{
  g_autofree char *needle = g_strdup_printf ("[%s]", ref);

  for (guint i = 0; remote != NULL && i < remote->len; i++)
    {
      CohortCioSegment *segment = g_ptr_array_index (remote, i);

      if (segment->description != NULL && strstr (segment->description, needle) != NULL)
        return segment;
    }
  return NULL;
}

/* The remote segment an unconfirmed create of @item made, if any: the one
 * whose description carries create_ref; failing that (a server that drops
 * descriptions), a manual segment of the same name created since the
 * create was first tried that no other local segment owns. */
static CohortCioSegment *
find_created (SyncRun   *ctx,
              GPtrArray *remote,
              SyncItem  *item)
{
  CohortCioSegment *found = find_remote_by_ref (remote, item->link.create_ref);

  if (found != NULL || item->link.pending_since == 0)
    return found;
  for (guint i = 0; i < remote->len; i++)
    {
      CohortCioSegment *segment = g_ptr_array_index (remote, i);

      if (g_strcmp0 (segment->type, "manual") == 0 &&
          g_strcmp0 (segment->name, item->link.remote_name) == 0 &&
          segment->created_at >= item->link.pending_since - 600 &&
          !cohort_sync_remote_id_is_linked (ctx->ws, segment->id))
        return segment;
    }
  return NULL;
}

static gboolean
mark_unlinked (SyncRun  *ctx,
               SyncItem *item)
{
  g_autofree char *message = NULL;
  gboolean ok;

  message = g_strdup_printf (_("“%s” was deleted in Customer.io: publish it again "
                               "or deactivate it"), item->name);
  if (!cohort_workspace_begin (ctx->ws, NULL))
    return FALSE;
  ok = cohort_sync_exec_with_segment (ctx->ws, "UPDATE sync_links SET state = 'unlinked' WHERE segment = ?",
                                      item->segment_id, NULL) &&
       cohort_sync_exec_with_segment (ctx->ws, "DELETE FROM sync_pushed WHERE segment = ?",
                                      item->segment_id, NULL) &&
       cohort_sync_set_status (ctx->ws, item->segment_id, "unlinked", message, -1, -1, NULL);
  if (!cohort_sync_finish_transaction (ctx->ws, ok, NULL))
    return FALSE;
  item->link.state = LINK_UNLINKED;
  if (ctx->first_error == NULL)
    ctx->first_error = g_error_new_literal (COHORT_CIO_ERROR, COHORT_CIO_ERROR_NOT_FOUND, message);
  g_ptr_array_add (ctx->report->failures, g_steal_pointer (&message));
  return TRUE;
}

static char *
segment_name_for_describe (gint64   segment_id,
                           gpointer user_data)
{
  g_autoptr(CohortSegment) segment = cohort_segments_get (user_data, segment_id, NULL);

  return segment ? g_strdup (cohort_segment_get_name (segment)) : NULL;
}

/* The user's description, the criteria in words (so that the segment can be
 * rebuilt in Customer.io's own builder), and the create reference. */
static char *
remote_description (CohortWorkspace *ws,
                    SyncItem        *item,
                    const char      *ref)
{
  GString *text = g_string_new (NULL);

  if (item->description != NULL && *item->description != '\0')
    g_string_append_printf (text, "%s\n\n", item->description);
  if (item->criteria != NULL)
    {
      g_autoptr(CohortCriteria) criteria = cohort_criteria_parse (item->criteria, NULL);
      g_autofree char *words = NULL;

      if (criteria != NULL)
        words = cohort_criteria_describe (criteria, segment_name_for_describe, ws);
      if (words != NULL)
        {
          /* Keep the description reasonable for a long criteria tree. */
          if (g_utf8_strlen (words, -1) > 1000)
            {
              g_autofree char *cut = g_utf8_substring (words, 0, 1000);
              g_string_append_printf (text, _("Criteria: %s…"), cut);
            }
          else
            g_string_append_printf (text, _("Criteria: %s"), words);
          g_string_append (text, "\n\n");
        }
    }
  g_string_append_printf (text, "%s [%s]", _("Published by Cohort."), ref);
  return g_string_free (text, FALSE);
}

/* @item's create went through as @remote_id: recorded, and counted as done. */
static gboolean
record_created (SyncRun  *ctx,
                SyncItem *item,
                gint64    remote_id)
{
  GError *error = NULL;

  if (!cohort_sync_record_linked (ctx, item, remote_id, &error))
    {
      cohort_sync_fail (ctx, error);
      return FALSE;
    }
  ctx->done++;
  g_ptr_array_add (ctx->report->done, g_strdup_printf (_("created “%s”"), item->name));
  cohort_sync_report_progress (ctx, NULL);
  return TRUE;
}

/* Makes sure @item has a remote segment; never creates one twice. */
static gboolean
ensure_created (SyncRun  *ctx,
                SyncItem *item)
{
  GError *error = NULL;

  if (item->link.state == LINK_LINKED)
    {
      if (ctx->remote != NULL && find_remote_by_id (ctx->remote, item->link.remote_id) == NULL)
        {
          mark_unlinked (ctx, item);
          return FALSE;
        }
      return TRUE;
    }

  if (item->link.state == LINK_PENDING)
    {
      /* An earlier create may have gone through: look before creating again. */
      GPtrArray *remote = cohort_sync_ensure_remote_list (ctx, &error);
      CohortCioSegment *found;

      if (remote == NULL)
        {
          cohort_sync_fail_segment (ctx, item, error);
          return FALSE;
        }
      found = find_created (ctx, remote, item);
      if (found != NULL)
        {
          if (!cohort_sync_record_linked (ctx, item, found->id, &error))
            {
              cohort_sync_fail (ctx, error);
              return FALSE;
            }
          g_debug ("Adopted remote segment %" PRId64 " for “%s”", found->id, item->name);
          return TRUE;
        }
    }
  else if (!cohort_sync_record_pending (ctx, item, &error))
    {
      cohort_sync_fail (ctx, error);
      return FALSE;
    }

  for (guint attempt = 0; attempt < 2; attempt++)
    {
      g_autoptr(CohortCioSegment) created = NULL;
      g_autofree char *description = remote_description (ctx->ws, item, item->link.create_ref);
      CohortCioSegment *found;
      GPtrArray *remote;

      created = cohort_cio_client_create_segment (ctx->client, item->name, description,
                                                  ctx->cancellable, &error);
      if (created != NULL)
        {
          /* The remote id first, before anything else. */
          return record_created (ctx, item, created->id);
        }
      if (!g_error_matches (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_UNCERTAIN))
        {
          cohort_sync_fail_segment (ctx, item, error);
          return FALSE;
        }

      /* No clear answer: did it go through? */
      g_debug ("%s", error->message);
      g_clear_pointer (&ctx->remote, g_ptr_array_unref);
      remote = cohort_sync_ensure_remote_list (ctx, NULL);
      if (remote == NULL)
        {
          cohort_sync_fail_segment (ctx, item, error);
          return FALSE;
        }
      found = find_created (ctx, remote, item);
      if (found != NULL)
        {
          g_clear_error (&error);
          return record_created (ctx, item, found->id);
        }
      if (attempt == 1)
        {
          cohort_sync_fail_segment (ctx, item, error);
          return FALSE;
        }
      g_clear_error (&error);
    }
  g_assert_not_reached ();
}

static gboolean
push_membership (SyncRun  *ctx,
                 SyncItem *item,
                 gboolean  add)
{
  for (guint t = 0; t < N_ID_TYPES; t++)
    {
      GPtrArray *ids = add ? item->add[t] : item->remove[t];

      for (guint start = 0; ids != NULL && start < ids->len; start += COHORT_CIO_MAX_IDS_PER_BATCH)
        {
          guint n = MIN (COHORT_CIO_MAX_IDS_PER_BATCH, ids->len - start);
          const char * const *batch = (const char * const *) ids->pdata + start;
          GError *error = NULL;
          gboolean ok;

          if (add)
            ok = cohort_cio_client_add_customers (ctx->client, item->link.remote_id, t, batch, n,
                                                  ctx->cancellable, &error);
          else
            ok = cohort_cio_client_remove_customers (ctx->client, item->link.remote_id, t, batch, n,
                                                     ctx->cancellable, &error);
          if (!ok)
            {
              if (g_error_matches (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_NOT_FOUND))
                {
                  g_error_free (error);
                  mark_unlinked (ctx, item);
                }
              else
                cohort_sync_fail_segment (ctx, item, error);
              return FALSE;
            }
          if (!cohort_sync_record_batch (ctx, item, add, t, batch, n, &error))
            {
              cohort_sync_fail (ctx, error);
              return FALSE;
            }
          ctx->done++;
          g_ptr_array_add (ctx->report->done,
                           g_strdup_printf (add ? _("added %u to “%s”") : _("removed %u from “%s”"),
                                            n, item->name));
          cohort_sync_report_progress (ctx, NULL);
        }
    }
  return TRUE;
}

static void
push_segment (SyncRun  *ctx,
              SyncItem *item)
{
  CohortSyncSegmentResult *result;
  GError *error = NULL;
  gint64 remote_count;
  gboolean ok;

  if (!ensure_created (ctx, item))
    return;

  if (!item->has_diff || ctx->pushed_changed)
    {
      if (!cohort_sync_compute_diff (ctx->ws, item, FALSE, ctx->cancellable, &error))
        {
          cohort_sync_fail_segment (ctx, item, error);
          return;
        }
    }

  /* Removals first: when a customer's identifier changed (an email-only
   * customer got an id), removing the old one and then adding the new one
   * leaves the person in; the other order would take them out. */
  if (!push_membership (ctx, item, FALSE) || !push_membership (ctx, item, TRUE))
    return;

  /* Customer.io ignores ids it does not know: compare the counts. */
  remote_count = cohort_cio_client_get_customer_count (ctx->client, item->link.remote_id,
                                                       ctx->cancellable, &error);
  if (remote_count < 0)
    {
      if (g_error_matches (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_NOT_FOUND))
        {
          g_error_free (error);
          mark_unlinked (ctx, item);
        }
      else
        cohort_sync_fail_segment (ctx, item, error);
      return;
    }

  if (!cohort_workspace_begin (ctx->ws, &error))
    {
      cohort_sync_fail (ctx, error);
      return;
    }
  ok = cohort_outbox_remove (ctx->ws, item->segment_id, item->max_seq, &error) &&
       cohort_sync_set_status (ctx->ws, item->segment_id, "synced", NULL, item->n_desired, remote_count, &error);
  if (!cohort_sync_finish_transaction (ctx->ws, ok, &error))
    {
      cohort_sync_fail (ctx, error);
      return;
    }

  result = g_new0 (CohortSyncSegmentResult, 1);
  result->segment_id = item->segment_id;
  result->name = g_strdup (item->name);
  result->remote_id = item->link.remote_id;
  result->local_count = item->n_desired;
  result->remote_count = remote_count;
  result->unknown = MAX (item->n_desired - remote_count, 0);
  g_ptr_array_add (ctx->report->segments, result);
  if (result->unknown > 0)
    g_ptr_array_add (ctx->report->notes,
                     g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                   "%" PRId64 " member of “%s” is unknown to "
                                                   "Customer.io (push people to add them)",
                                                   "%" PRId64 " members of “%s” are unknown to "
                                                   "Customer.io (push people to add them)",
                                                   (gulong) result->unknown),
                                      result->unknown, item->name));
}

/* A local segment was deleted: delete the remote one Cohort created. */
static void
push_delete (SyncRun  *ctx,
             SyncItem *item)
{
  GError *error = NULL;
  gint64 remote_id = item->link.remote_id;
  gboolean deleted = FALSE;
  gboolean ok;

  if (item->link.state == LINK_PENDING)
    {
      GPtrArray *remote = cohort_sync_ensure_remote_list (ctx, &error);
      CohortCioSegment *found;

      if (remote == NULL)
        {
          cohort_sync_fail (ctx, error);
          return;
        }
      found = find_created (ctx, remote, item);
      remote_id = found ? found->id : 0;
    }
  else if (item->link.state != LINK_LINKED)
    remote_id = 0;

  if (remote_id != 0)
    {
      gint64 used = cohort_cio_client_get_used_by (ctx->client, remote_id, ctx->cancellable, &error);

      if (used < 0 && !g_error_matches (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_NOT_FOUND))
        {
          cohort_sync_fail (ctx, error);
          return;
        }
      g_clear_error (&error);
      if (used > 0)
        g_ptr_array_add (ctx->report->notes,
                         g_strdup_printf (_("“%s” was deleted here but is kept in Customer.io: "
                                            "campaigns or newsletters use it"), item->name));
      else if (used == 0)
        {
          if (!cohort_cio_client_delete_segment (ctx->client, remote_id, ctx->cancellable, &error) &&
              !g_error_matches (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_NOT_FOUND))
            {
              cohort_sync_fail (ctx, error);
              return;
            }
          g_clear_error (&error);
          deleted = TRUE;
        }
    }

  if (!cohort_workspace_begin (ctx->ws, &error))
    {
      cohort_sync_fail (ctx, error);
      return;
    }
  ok = cohort_sync_forget_link (ctx->ws, item->segment_id, &error) &&
       cohort_outbox_remove (ctx->ws, item->segment_id, item->max_seq, &error);
  if (!cohort_sync_finish_transaction (ctx->ws, ok, &error))
    {
      cohort_sync_fail (ctx, error);
      return;
    }
  if (deleted)
    {
      ctx->done++;
      g_ptr_array_add (ctx->report->done, g_strdup_printf (_("deleted “%s”"), item->name));
      cohort_sync_report_progress (ctx, NULL);
    }
}

/* Outbox entries that need no request (a segment created and deleted before
 * any sync, a deactivated segment's own entry) leave without one. */
static void
drop_entries (SyncRun  *ctx,
              SyncItem *item)
{
  GError *error = NULL;
  gboolean ok;

  if (item->max_seq == 0)
    return;
  if (!cohort_workspace_begin (ctx->ws, &error))
    {
      cohort_sync_fail (ctx, error);
      return;
    }
  ok = cohort_outbox_remove (ctx->ws, item->segment_id, item->max_seq, &error) &&
       cohort_sync_exec_with_segment (ctx->ws, "DELETE FROM sync_status WHERE segment = ?",
                                      item->segment_id, &error);
  if (!cohort_sync_finish_transaction (ctx->ws, ok, &error))
    cohort_sync_fail (ctx, error);
}

/* Carries out @plan: people first, then each segment in outbox order. */
void
cohort_sync_push_plan (SyncRun        *ctx,
                       CohortSyncPlan *plan)
{
  gboolean need_list = FALSE;

  ctx->total = cohort_sync_plan_get_n_requests (plan);
  for (guint i = 0; i < plan->notes->len; i++)
    g_ptr_array_add (ctx->report->notes, g_strdup (g_ptr_array_index (plan->notes, i)));
  cohort_sync_report_progress (ctx, NULL);

  /* The remote list tells which linked segments were deleted in Customer.io. */
  for (guint i = 0; i < plan->items->len; i++)
    {
      SyncItem *item = g_ptr_array_index (plan->items, i);

      if (item->exists && item->active && !item->skip && item->link.state == LINK_LINKED)
        need_list = TRUE;
    }
  if (need_list)
    {
      GError *local_error = NULL;

      if (cohort_sync_ensure_remote_list (ctx, &local_error) == NULL)
        cohort_sync_fail (ctx, local_error);
    }

  if (!ctx->stop && (ctx->flags & COHORT_SYNC_IDENTIFY) != 0 && plan->n_identify > 0)
    cohort_sync_push_identify (ctx);

  for (guint i = 0; i < plan->items->len && !ctx->stop; i++)
    {
      SyncItem *item = g_ptr_array_index (plan->items, i);

      if (g_cancellable_is_cancelled (ctx->cancellable))
        {
          cohort_sync_fail (ctx, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled")));
          break;
        }
      if (!item->exists)
        {
          if (item->link.state == LINK_NONE)
            drop_entries (ctx, item);
          else
            push_delete (ctx, item);
        }
      else if (item->error != NULL)
        cohort_sync_fail_segment (ctx, item,
                                  g_error_new_literal (COHORT_SYNC_ERROR, COHORT_SYNC_ERROR_CANNOT_EVALUATE,
                                                       item->error));
      else if (!item->skip)
        push_segment (ctx, item);
    }
}
