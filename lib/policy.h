/*
 * policy — a rule pack loaded from YAML (libyaml), layered with "extends:".
 * Every error names file:line:column. The policy owns everything it points
 * to; policy_release frees it all.
 */
#ifndef PHIKIT_POLICY_H
#define PHIKIT_POLICY_H

#include <stddef.h>

#include "buf.h"
#include "diag.h"
#include "rules.h"

/* Safe Harbor categories (45 CFR 164.514(b)(2)(i)) as phikit tags them. */
enum phk_cat {
	CAT_NAME, CAT_ADDRESS, CAT_CITY, CAT_ZIP, CAT_DATE, CAT_AGE, CAT_PHONE,
	CAT_FAX, CAT_EMAIL, CAT_SSN, CAT_MRN, CAT_HEALTH_PLAN, CAT_ACCOUNT,
	CAT_CARD, CAT_LICENSE, CAT_DEA, CAT_NPI, CAT_VEHICLE, CAT_DEVICE,
	CAT_URL, CAT_IP, CAT_BIOMETRIC, CAT_PHOTO, CAT_ID,
	CAT__N
};
const char *cat_name(int cat);
int cat_parse(const char *s);		/* -1 if unknown */

enum phk_validator {
	V_NONE, V_LUHN, V_CARD, V_NPI, V_DEA, V_SSN, V_DATE, V_IPV4, V_IPV6,
	V_VIN, V_AGE, V_ZIP, V_PHONE, V_AFTER_STATE, V_PHONE_ANY, V_IBAN, V_MONTH_DAY,
	V__N
};

enum { REPLACE_TAG, REPLACE_MASK, REPLACE_PSEUDONYM };
enum { ZIP_TRUNCATE, ZIP_REMOVE };

struct strlist {
	char **v;
	size_t n;
};

struct scrub_rule {
	char *id;
	int cat;
	int validate;		/* enum phk_validator */
	struct regex re;
	/* Cheap gates, so a rule runs only on texts it could match: */
	struct strlist triggers;	/* one of these words must appear */
	struct strlist requires;	/* one of these strings must appear */
	int min_digits;		/* the text holds at least this many digits */
	int min_run;		/* and a run of this many letters and digits */
	int min_digit_run;	/* and a run of this many digits */
	struct regex gate;	/* and this cheap pattern matches somewhere */
	int anchor_trigger;	/* matched only where one of its triggers starts */
};

struct names_conf {
	int enabled;
	char *first_names, *surnames, *english;	/* resolved paths */
	char *medical;		/* a medical word list (hunspell .dic), or NULL */
	char *abbrev;		/* clinical abbreviations, one a line, or NULL */
	struct strlist titles, relations, cues_before, cues_after, labels,
	    verbs_after, particles, not_names, eponym_next;
	char *places;		/* a gazetteer, one place name a line, or NULL */
	struct strlist facility;	/* words facilities are named with */
	struct strlist place_cues;	/* "in", "from": a gazetteer town after one is a place */
	struct strlist facility_heads;	/* "Hospital", "Memorial": the capitalized words before name one */
	struct strlist facility_names;	/* "sacred heart": two words that name a facility */
	char *model;		/* the token classifier (lib/ner), or NULL */
	int detect;		/* NAMES_DETECT_*: who finds what has no shape */
};

/* rules: the patterns and the name heuristics; model: the classifier
 * alone; both: the patterns, and the classifier for names and places */
enum { NAMES_DETECT_RULES, NAMES_DETECT_BOTH, NAMES_DETECT_MODEL };	/* rules unless said */

/* Guard severities, in rising order: a record's verdict is its worst. */
enum { SEV_ALLOW, SEV_WARN, SEV_ASK, SEV_DENY };
const char *sev_name(int sev);

/* prohibited_output: text a model must not say to the reader. */
struct guard_rule {
	char *id, *kind, *citation;
	int severity;		/* SEV_WARN, SEV_ASK or SEV_DENY */
	int detect_phi;		/* found by the scrub rules and names, not a pattern */
	unsigned long cats;	/* detect_phi: bit per enum phk_cat that counts */
	int quoted;		/* a hit inside quotation marks counts too */
	struct regex re;
	struct regex unless_before;	/* on the sentence up to the hit */
	struct regex unless_sentence;	/* on the hit's whole sentence */
	struct regex except;	/* detect_phi: a finding this matches whole is not counted */
	struct strlist triggers;	/* a cheap gate: one of these words must appear */
	int anchor_trigger;	/* tried only where a trigger word starts */
	int names_cued;		/* detect_phi: a name counts only with a cue (guard) */
	struct regex attribution;	/* a quote is reported speech only when this attributes it */
	char *classifier;	/* a model file (lib/clf) read sentence by sentence, or NULL */
	char *label;		/* the model's label this rule denies */
	double threshold;	/* the label's probability from which a sentence counts */
};

enum { DISC_DENY, DISC_APPEND };

/* required_disclosure: what a health-related output must carry. */
struct disclosure {
	char *id, *kind, *citation, *text;
	int action;		/* DISC_* */
	struct regex when, requires;
	char *when_src;		/* rules with the same when share one search */
	int when_medical;	/* or this many medical words that are no English ones (0: off) */
};

/* permissions: a tool call's behaviour, by tool, agent and arguments. */
struct perm_rule {
	char *id, *reason, *citation;
	int behavior;		/* SEV_ALLOW, SEV_ASK or SEV_DENY */
	struct regex tool, agent, args;	/* unset (code NULL): any */
};

enum { LONG_TRUNCATE, LONG_DENY };

struct limits {
	long max_output_chars;	/* 0: none */
	int long_output;	/* LONG_* */
	char *marker;		/* appended where --fix truncates */
	char *cost_field;	/* the number in "usage" a run's budget counts */
	double max_run_cost;	/* 0: none */
	long max_run_records;	/* 0: none */
	long max_runs;		/* runs remembered at once: the memory bound */
	char *citation;
};

/* What the access section can restrict (phikit-policy(5)). */
enum phk_action { ACT_APPROVE, ACT_REJECT, ACT_RELEASE, ACT_ANONYMIZE, ACT_EXPORT, ACT_POLICY,
    ACT_REIDENTIFY,
    ACT_BREAK_GLASS,	/* unlike the others, no role named: no one */
    ACT__N };
const char *action_name(int act);

struct access_role {
	char *name;
	struct strlist users, groups;
};

struct access_alias {
	char *user;			/* a Unix user name */
	struct strlist names;		/* the reviewer names it may sign as */
};

struct access_conf {
	int present;			/* the policy has an access section */
	struct access_alias *aliases;
	size_t naliases;
	struct access_role *roles;
	size_t nroles;
	struct strlist actions[ACT__N];	/* roles allowed; none named: anyone */
};

struct hitl_conf {
	long timeout_s;			/* pending longer escalates; 0 never */
	long expire_s;			/* escalated longer expires; 0 never */
	int approvals_required;		/* distinct reviewers (Unix users) */
	int separation_of_duties;	/* the queuer may not approve (default) */
	struct strlist irreversible_tools;	/* queued whatever the verdict */
	char *webhook;			/* URL or NULL */
	long break_glass_review_s;	/* a break-glass approval's review is due; 0 never */
};

/* llm: which model endpoints may receive a prompt (llm-call, lib/baa) */
struct llm_endpoint {
	char *url;		/* a base URL: the endpoint's own, or a prefix of its path */
	int baa;		/* the provider signed a business associate agreement */
	char *note;
	char *at;		/* "file:line" of the entry, for messages */
};

struct llm_conf {
	int require_baa;	/* only loopback or an endpoint listed with baa: true */
	char *require_at;	/* "file:line" of require_baa, for messages */
	struct llm_endpoint *endpoints;
	size_t nendpoints;
};

struct policy {
	char *name;
	char sha256[65];	/* over every file loaded, base first */
	char *path;		/* the file loaded, as an absolute path when it resolves */
	struct buf source;	/* every file as hashed, each after a "# phikit policy file" line */
	int replace;		/* REPLACE_* */
	int keep_year;
	int zip_mode;		/* ZIP_* */
	struct strlist zip_restricted;
	int age_over;		/* ages above this become "90+" */
	unsigned long match_limit;
	struct scrub_rule *rules;
	size_t nrules;
	struct names_conf names;
	/* guard-check */
	struct guard_rule *guard;
	size_t nguard;
	struct disclosure *disc;
	size_t ndisc;
	struct perm_rule *perms;
	size_t nperms;
	int perm_default;	/* SEV_ALLOW, SEV_ASK or SEV_DENY */
	struct limits limits;
	struct strlist term_names, term_pats;	/* terms: {{name}} in patterns */
	/* ledger: */
	int ledger_require_scrubbed;	/* ledger-append refuses unscrubbed records */
	long ledger_retention_days;	/* prune refuses anything younger */
	struct strlist ledger_content_fields;	/* what phi-scrub must have searched; none: "." */
	/* the review queue: who may do what, and when items escalate */
	struct access_conf access;
	struct hitl_conf hitl;
	struct llm_conf llm;
};

/*
 * Loads path and, first, whatever it extends. A bare name ("hipaa") is
 * looked up beside the extending file, then as the preset is: in
 * PHIKIT_DATADIR/policies, then in the policies/ beside the program's
 * bin/ (a build tree, not installed).
 */
int policy_load(struct policy *p, const char *path, struct phk_err *e);
void policy_release(struct policy *p);
/*
 * The default policy file: $PHIKIT_POLICY, else hipaa.yaml installed, else
 * beside the program's bin/ (the same search as a bare name in extends).
 */
const char *policy_default_path(void);

#endif
