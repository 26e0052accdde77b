/* cohort-ui-members.h: the members panel of the segment page (UI tests)
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cohort-member-model.h"
#include "cohort-members-panel.h"
#include "cohort-segment-page.h"
#include "cohort-ui-test.h"

static inline CohortMembersPanel *
ui_members_panel (UiFixture *f)
{
  CohortSegmentPage *page = WINDOW_CHILD (f->window, "segment_page");

  return TEMPLATE_CHILD (page, COHORT_TYPE_SEGMENT_PAGE, "members_panel");
}

typedef struct
{
  CohortMembersPanel *panel;
  guint               total;
} UiPanelWait;

static inline gboolean
ui_panel_shows (gpointer data)
{
  UiPanelWait *wait = data;
  CohortMemberModel *model = cohort_members_panel_get_model (wait->panel);

  return !cohort_members_panel_get_loading (wait->panel) && model != NULL &&
         cohort_member_model_get_total (model) == wait->total;
}

/* Waits until the page's members panel lists @total members. */
static inline CohortMembersPanel *
ui_wait_members (UiFixture *f,
                 guint      total)
{
  UiPanelWait wait = { ui_members_panel (f), total };

  g_assert_true (ui_wait_until (ui_panel_shows, &wait));
  return wait.panel;
}
