/* cio-fake-server.h: a strict stand-in for Customer.io's Track and App APIs
 *
 * Runs a SoupServer on 127.0.0.1 (random port) in its own thread, checks
 * auth headers and bodies against the documented shapes, and injects faults
 * on demand. Only loopback.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  FAKE_FAULT_NONE,
  FAKE_FAULT_429_RETRY_AFTER,   /* 429 with Retry-After: 1, not applied */
  FAKE_FAULT_429,               /* 429 without Retry-After, not applied */
  FAKE_FAULT_500,               /* 500, not applied */
  FAKE_FAULT_500_APPLIED,       /* applied, then 500 */
  FAKE_FAULT_DROP,              /* connection dropped, not applied */
  FAKE_FAULT_DROP_APPLIED,      /* applied, then the connection is dropped */
  FAKE_FAULT_SLOW,              /* answered after the client's timeout (applied late) */
  FAKE_FAULT_401,
  FAKE_FAULT_REDIRECT,          /* 302 to another host */
  FAKE_FAULT_HANG,              /* applied, then no answer for a minute */
} FakeFault;

typedef struct _FakeServer FakeServer;

FakeServer *fake_server_new            (const char *site_id,
                                        const char *track_key,
                                        const char *app_key);
void        fake_server_free           (FakeServer *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FakeServer, fake_server_free)

/* "http://127.0.0.1:PORT" */
const char *fake_server_get_url        (FakeServer *self);

/* People Customer.io knows. */
void        fake_server_add_person     (FakeServer *self,
                                        const char *id,
                                        const char *email);
guint       fake_server_count_people   (FakeServer *self);
/* The attributes (JSON) the last identify of person @id sent, or NULL. */
char       *fake_server_dup_person_attributes (FakeServer *self,
                                               const char *id);
/* A remote segment made in Customer.io; members by id. Returns its id. */
gint64      fake_server_add_segment    (FakeServer *self,
                                        const char *name,
                                        const char *type,
                                        const char * const *member_ids);
void        fake_server_delete_segment (FakeServer *self,
                                        gint64      id);
void        fake_server_set_used_by    (FakeServer *self,
                                        gint64      id,
                                        guint       n_campaigns);

/* The next @count requests matching @method (NULL: any) and @path_prefix
 * (NULL: any) get @fault. */
void        fake_server_add_fault      (FakeServer *self,
                                        const char *method,
                                        const char *path_prefix,
                                        FakeFault   fault,
                                        guint       count);
/* Every request from index @index (0-based, counting from now) gets @fault
 * (G_MAXUINT: none). */
void        fake_server_fail_from      (FakeServer *self,
                                        guint       index,
                                        FakeFault   fault);
/* Cancel @cancellable when request @index (counting from now) arrives,
 * after applying it. */
void        fake_server_cancel_at      (FakeServer   *self,
                                        guint         index,
                                        GCancellable *cancellable);
void        fake_server_clear_faults   (FakeServer *self);

/* Waits (at most @timeout_ms) until @n requests arrived in all. */
gboolean    fake_server_wait_requests  (FakeServer *self,
                                        guint       n,
                                        guint       timeout_ms);

/* Counters (since creation). */
guint       fake_server_get_n_requests (FakeServer *self);
guint       fake_server_get_n_writes   (FakeServer *self);     /* POST/PUT/DELETE */
guint       fake_server_get_max_batch  (FakeServer *self);     /* most ids in one add/remove */
guint       fake_server_get_n_creates  (FakeServer *self,
                                        const char *name);     /* segments ever created with @name */
/* Everything every request carried (headers and bodies), for leak checks. */
char       *fake_server_dup_log        (FakeServer *self);
/* A 400 the server answered (a strictness violation), or NULL. */
char       *fake_server_dup_violation  (FakeServer *self);

/* Remote state: segment ids with @name (GArray of gint64). */
GArray     *fake_server_find_segments  (FakeServer *self,
                                        const char *name);
/* Sorted member identifiers ("id" or, without one, "email") of @id, or NULL. */
GStrv       fake_server_dup_members    (FakeServer *self,
                                        gint64      id);
guint       fake_server_count_segments (FakeServer *self);
char       *fake_server_dup_description (FakeServer *self,
                                         gint64      id);
/* Answer segments with an empty description (a server that drops them). */
void        fake_server_set_hide_descriptions (FakeServer *self,
                                               gboolean    hide);

G_END_DECLS
