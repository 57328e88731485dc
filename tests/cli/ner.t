#!/bin/bash
# The token classifier beside the rules: the model file the policy names
# (missing or corrupt: exit 2 at start-up, never the rules alone), the
# ablation switch, and the kinds of PHI it and the new rules find in text
# written for these tests (not taken from any corpus).
. "$(dirname "$0")/lib.sh"

GUARD_CHECK=$bin/guard-check
site() {	# site NAME MODEL DETECT: a policy on top of the preset
	printf 'extends: %s\nscrub:\n  names:\n    model: %s\n    detect: %s\n' "$POLICY" "$2" "$3" >"$tmp/$1"
}
t() {	# t INPUT-TEXT WANT-TEXT NAME: the preset's text out, annotation aside
	scrub <<<"{\"t\":$(jq -Rn --arg s "$1" '$s')}"
	is "$rc:$(jq -r .t "$tmp/out")" "0:$2" "$3"
}

# --- the model file -------------------------------------------------------
site missing.yaml "$tmp/none.model" both
run "$PHI_SCRUB" -p "$tmp/missing.yaml" <<<'{"t":"Seen by Dr. Okafor."}'
is "$rc:$out" "2:" "a missing model: exit 2 at start-up, nothing written"
is_err "phi-scrub: model $tmp/none.model: No such file or directory" "a missing model: the message names the file"

cp "$top/data/phi-ner.model" "$tmp/bad.model"
size=$(stat -c %s "$tmp/bad.model")
printf '\x5a' | dd of="$tmp/bad.model" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
cmp -s "$top/data/phi-ner.model" "$tmp/bad.model"
ok $((1 - $?)) "the copy differs from the model in one byte"
site bad.yaml "$tmp/bad.model" both
run "$PHI_SCRUB" -p "$tmp/bad.yaml" <<<'{"t":"Seen by Dr. Okafor."}'
is "$rc:$out" "2:" "a corrupt model (one byte changed): exit 2, nothing written"
is_err "phi-scrub: model $tmp/bad.model: corrupt (its checksum does not match)" \
	"a corrupt model: the message says so, and quotes none of it"

printf 'not a model\n' >"$tmp/text.model"
site text.yaml "$tmp/text.model" both
run "$PHI_SCRUB" -p "$tmp/text.yaml" </dev/null
is "$rc" 2 "a file that is no model: exit 2"
is_err "phi-scrub: model $tmp/text.model: not a phikit model file" "a file that is no model: the message"

site model-only.yaml "$tmp/none.model" model
run "$PHI_SCRUB" -p "$tmp/model-only.yaml" </dev/null
is "$rc" 2 "detect: model with the model missing: exit 2 too"

run "$GUARD_CHECK" -p "$tmp/missing.yaml" <<<'{"text":"hello"}'
is "$rc:$out" "2:" "guard-check, which uses the same detectors, refuses too"
is_err "guard-check: model $tmp/none.model: No such file or directory" "guard-check: the same message"

site rules.yaml "$tmp/none.model" rules
run "$PHI_SCRUB" -p "$tmp/rules.yaml" <<<'{"t":"Seen by Dr. Okafor."}'
is "$rc:$(jq -r .t "$tmp/out")" "0:Seen by Dr. [NAME]." "detect: rules needs no model: the patterns and name heuristics alone"

site odd.yaml "$top/data/phi-ner.model" sometimes
run "$PHI_SCRUB" -p "$tmp/odd.yaml" </dev/null
is "$rc" 2 "names.detect of another value: exit 2"
is_err "phi-scrub: $tmp/odd.yaml:5:13: names.detect is both, rules or model" "names.detect: file:line:column"

# --- the ablation switch ----------------------------------------------------
in='{"t":"PT IN USOH UNTIL THIS AM. SEEN BY DR KOWALCZYK. BP 130/80."}'
site both.yaml "$top/data/phi-ner.model" both
site model.yaml "$top/data/phi-ner.model" model
run "$PHI_SCRUB" -p "$tmp/rules.yaml" <<<"$in"
is "$(jq -r .t "$tmp/out")" "PT [NAME] UNTIL THIS AM. SEEN BY DR [NAME]. BP 130/80." \
	"rules alone: the heuristics take capitals in a note in capitals for names"
run "$PHI_SCRUB" -p "$tmp/both.yaml" <<<"$in"
is "$(jq -r .t "$tmp/out")" "PT IN USOH UNTIL THIS AM. SEEN BY DR [NAME]. BP 130/80." \
	"both: the model weighs them, and keeps the words"
run "$PHI_SCRUB" -p "$tmp/model.yaml" <<<'{"t":"SSN 219-09-9999, seen by Dr. Okafor"}'
is "$(jq -r .t "$tmp/out")" "SSN 219-09-9999, seen by Dr. [NAME]" "model alone: no patterns at all (for the ablation)"

# --- dates as clinicians write them -----------------------------------------
t "Intubated 6/30-7/2, extubated since." "Intubated [DATE], extubated since." "a range of days"
t "Returned to OR on 7-8 for coiling; on 2-3 L NC." "Returned to OR on [DATE] for coiling; on 2-3 L NC." \
	"month-day with a dash after a date cue, not a dose range"
t "FEVER-9/2/92 workup" "FEVER-[DATE] workup" "a date glued to a word"
t "DOB 14.03.1931" "DOB [DATE]" "day.month.year"
t "date of birth: 03141931" "date of birth: [DATE]" "eight digits after a birth cue"
t "Seen on the fourteenth of March, 2024." "Seen on the [DATE]." "an ordinal in words"
t "Cultures drawn on the 11th. It's the 3rd, she said." "Cultures drawn on the [DATE]. It's the [DATE], she said." \
	"a day by its ordinal where a date is said"
t "Febrile on the 3rd day; given on the 2nd and 3rd doses." "Febrile on the 3rd day; given on the 2nd and 3rd doses." \
	"not an ordinal that counts days or doses"
t "In march of 2022 she was admitted; March of Dimes." "In [DATE] she was admitted; March of Dimes." \
	"a month of a year"

# --- phones, pagers, extensions, numbers of other plans ----------------------
t "Pager 83554. Page again at noon." "Pager [PHONE]. Page again at noon." "a pager"
t "CELLULAR-410 202-6694" "CELLULAR-[PHONE]" "a cue glued to the number"
t "Mobile: 0490 75 40 81" "Mobile: [PHONE]" "a number of another plan after a cue"
t "Call 617-555-0142 x45 today." "Call [PHONE] today." "an extension"
t "Desk 202-6694" "Desk [PHONE]" "seven digits after a cue"

# --- identifiers: IBAN, licences, ZIP, cues with markup ----------------------
t "IBAN GB82 WEST 1234 5698 7654 32" "IBAN [ACCOUNT]" "an IBAN after its cue"
t "wire to GB82WEST12345698765432 today" "wire to [ACCOUNT] today" "an IBAN with no cue: its check (mod 97)"
t "wire to GB82WEST12345698765433 today" "wire to GB82WEST12345698765433 today" "not one whose check fails"
t "driver's license number is 6940579" "driver's license number is [LICENSE]" "a licence number after 'is'"
t "zip code is 21201" "zip code is 212XX" "a ZIP after 'zip code is'"
t '| MRN | 4418273 |' '| MRN | [MRN] |' "a cue in a table"
t 'MRN: "4418273", MRN (4418274), MRN = 4418275' 'MRN: "[MRN]", MRN ([MRN]), MRN = [MRN]' "quotes, brackets, an equals sign"
t 'SSN: **219099999**, ssn is 219099998' 'SSN: **[SSN]**, ssn is [SSN]' "markdown and a verb after the cue"

# --- ages and places ---------------------------------------------------------
t "Social: she is 104 and lives alone." "Social: she is 90+ and lives alone." "an age with no unit"
t "a ninety-four year old man" "a 90+ year old man" "an age in words"
t "she is 94% on room air" "she is 94% on room air" "a saturation is no age"
t "Moved from Tucson, AZ last year." "Moved from [CITY], AZ last year." "a town before a state code"
t "Mail to Halifax NS B0J 2H0 today." "Mail to [CITY] NS [ZIP] today." "a Canadian postal code goes whole"
t "Kattie Considine, MD saw her." "[NAME], MD saw her." "MD is a credential, not Maryland"
t "Discharged to Sacred Heart Memorial; she lives in Towson." "Discharged to [CITY]; she lives in [CITY]." \
	"a facility's name, a town from the gazetteer"

# --- names as notes write them ----------------------------------------------
t "PT SEEN W/DR. VASQUEZ/RN AT BEDSIDE." "PT SEEN W/DR. [NAME]/RN AT BEDSIDE." "capitals joined by slashes"
t $'PLAN: WEAN AS TOL.\n\nKAREL B. MORAVEC, RRT' $'PLAN: WEAN AS TOL.\n\n[NAME], RRT' "a signature with an initial and a credential"
t "pt resting, vss. husband tomasz updated by phone. k. moravec rrt" \
	"pt resting, vss. husband [NAME] updated by phone. [NAME] rrt" "lowercase after a cue; a lowercase signature"
t "Okonkwo phoned this morning." "[NAME] phoned this morning." "a name with no cue before it"
t "My name is Zdenka." "My name is [NAME]." "a name the lists do not know"
t "Seen with Lena M Okafor today." "Seen with [NAME] today." "a middle initial without a full stop"
t "Dr. Okafor saw her at noon; the family thanked okafor." \
	"Dr. [NAME] saw her at noon; the family thanked [NAME]." "a sure name goes wherever it stands"

# --- the cue beats the model -------------------------------------------------
# A shy model, labelling next to nothing (threshold 0.999, trained on the
# project's held-out corpus alone): what is found is the cue rule's.
NER_AUGMENT=0 NER_THRESHOLD=0.999 "$top/scripts/train-ner" -o "$tmp/shy.model" \
	"$top/tests/corpus/heldout.jsonl" 2>/dev/null
site shy.yaml "$tmp/shy.model" both
note='he has been comfortable the rest of the night, except during am care.'
run "$PHI_SCRUB" -p "$tmp/shy.yaml" <<<"{\"t\":\"social: son bill called; son will call back. $note\"}"
is "$rc:$(jq -r .t "$tmp/out")" "0:social: son [NAME] called; son will call back. $note" \
	"after a relation, a first name that is also a word is a name; a verb is not"
run "$PHI_SCRUB" -p "$tmp/shy.yaml" <<<"{\"t\":\"social: wife in to visit, son in and out. $note\"}"
is "$rc:$(jq -r .t "$tmp/out")" "0:social: wife in to visit, son in and out. $note" \
	"nor a word of two letters that a name list also has"

# --- facilities where case tells nothing ------------------------------------
# (the shy model's: what is found is the place rule's, not the model's)
ts() {	# ts INPUT-TEXT WANT-TEXT NAME: t, with the shy model
	run "$PHI_SCRUB" -p "$tmp/shy.yaml" <<<"{\"t\":$(jq -Rn --arg s "$1" '$s')}"
	is "$rc:$(jq -r .t "$tmp/out")" "0:$2" "$3"
}
ts "plan: to sacred heart hospital tomorrow; arrived from franklin square hosp." \
	"plan: to [CITY] tomorrow; arrived from [CITY]." "lowercase facility names before a head"
ts "she was sent to the county hospital, then to an outside hosp, then home." \
	"she was sent to the county hospital, then to an outside hosp, then home." \
	"common words before a head are no facility"
ts "ADMITTED FROM HARFORD MEMORIAL HOSPITAL FOR CP." "ADMITTED FROM [CITY] FOR CP." "one in capitals"

# --- a name's edges and parts (the shy model's too) --------------------------
ts "Seen by Dr. Zqbalova. Then E. Zqbalova called." "Seen by Dr. [NAME]. Then [NAME] called." \
	"an initial goes with the name after it"
ts "My name is Ruth R Montez." "My name is [NAME]." "a middle initial announces the surname"
ts "Vitals stable, grade A. Will follow." "Vitals stable, grade A. Will follow." "a letter alone, no name by it, stays"
ts "Seen by Dr. Okafor-Lyons; lyons called." "Seen by Dr. [NAME]; [NAME] called." \
	"the parts of a hyphenated name go wherever they stand"
ts "Reported to Dr. O'Rourke; later dr. o rourke aware." "Reported to Dr. [NAME]; later dr. o [NAME] aware." \
	"so do those of a name with an apostrophe"


# --- clinical words are no names --------------------------------------------
t "PT TRANSFERRED TO CCU FROM CATH LAB. ABG SENT, BUN 37. HX MVR, NIDDM, CABG. SEE FLOWSHEET." \
	"PT TRANSFERRED TO CCU FROM CATH LAB. ABG SENT, BUN 37. HX MVR, NIDDM, CABG. SEE FLOWSHEET." \
	"capitals in a note in capitals, abbreviations, drugs: all kept"
t "Hx Parkinson disease, on Coumadin and Lasix." "Hx Parkinson disease, on Coumadin and Lasix." "eponyms and drugs"
t "Many people who have psoriasis also have joint pain." "Many people who have psoriasis also have joint pain." \
	"a sentence's first word is no name for being capitalized"

# --- the normalized shadow ----------------------------------------------------
nbh=$'\xe2\x80\x91' nbsp=$'\xc2\xa0' zw=$'\xe2\x80\x8b'
fw=$'\xef\xbc\xad\xef\xbc\xb2\xef\xbc\xae'	# MRN in full-width letters
fd=$'\xef\xbc\x94\xef\xbc\x94\xef\xbc\x91\xef\xbc\x98\xef\xbc\x92\xef\xbc\x97\xef\xbc\x93'
t "SSN 219${nbh}09${nbh}9999 on file" "SSN [SSN] on file" "non-breaking hyphens: matched in the shadow, replaced in the source"
t "MRN${nbsp}4418273" "MRN${nbsp}[MRN]" "a no-break space after the cue stays, the value goes"
t "seen 03${zw}/14/2024" "seen [DATE]" "a zero-width space inside a date"
t "$fw $fd" "$fw [MRN]" "full-width letters and digits"
done_testing
