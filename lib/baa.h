/*
 * baa — may a prompt go to this model endpoint? The policy's llm section
 * (phikit-policy(5)): under require_baa, only a model on this host
 * (loopback: self-hosted) or an endpoint listed with baa: true, its
 * provider bound by a business associate agreement (45 CFR 164.502(e),
 * 164.504(e)). llm-call asks before it sends a byte.
 */
#ifndef PHIKIT_BAA_H
#define PHIKIT_BAA_H

#include "diag.h"
#include "policy.h"

/*
 * 0 if url (the full request URL) may receive prompts under c; else -1
 * with e (PHK_EXIT_USAGE) naming the policy's file:line. A listed url
 * covers the same scheme, host (any case) and port, and every path at or
 * below its own, segment by segment: https://h/v1 covers
 * https://h/v1/chat/completions, not https://h/v10 or https://h.evil.
 */
int baa_check(const struct llm_conf *c, const char *url, struct phk_err *e);

#endif
