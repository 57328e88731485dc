#!/bin/bash
# Names: by title, header label, LAST, FIRST, relation, credential, verb;
# a name found anywhere in a record is removed everywhere in it.
. "$(dirname "$0")/lib.sh"

n() {	# n INPUT-RECORD WANT-RECORD-WITHOUT-ANNOTATION COUNT NAME
	scrub <<<"$1"
	is_out "${2%\}},$(ann "\"NAME\":$3" "$3")}" "$4"
}

n '{"t":"Seen by Dr. Lind today."}' '{"t":"Seen by Dr. [NAME] today."}' 1 "a title: Dr. Lind"
n '{"t":"Patient: WILKINSON, TRACEY"}' '{"t":"Patient: [NAME], [NAME]"}' 2 "a header label and LAST, FIRST"
n '{"t":"Name: Tracey Wilkinson"}' '{"t":"Name: [NAME]"}' 1 "a header label and First Last"
n '{"t":"Kattie Considine, MD reviewed."}' '{"t":"[NAME], MD reviewed."}' 1 "a credential after the name"
n '{"t":"Axel reports pain"}' '{"t":"[NAME] reports pain"}' 1 "a verb after the name"
n '{"t":"Wife Joy at bedside."}' '{"t":"Wife [NAME] at bedside."}' 1 "a relation before an English word that is a name"
n '{"t":"Mr. O'"'"'Brien'"'"'s chart"}' '{"t":"Mr. [NAME]'"'"'s chart"}' 1 "a possessive 's stays outside the name"
n '{"t":"pt john doe seen today, sister jane at bedside"}' '{"t":"pt [NAME] seen today, sister [NAME] at bedside"}' 2 \
	"a lowercase note"
n '{"t":"Seen with Smith-Jones, Mr. Lee on call"}' '{"t":"Seen with [NAME], Mr. [NAME] on call"}' 2 \
	"a title after 'LAST,' is no first name"
n '{"t":"Patient José Álvarez-Ruiz reports pain"}' '{"t":"Patient [NAME] reports pain"}' 1 "diacritics and a hyphen"

# the same name elsewhere in the record, with no cue of its own
n '{"text":"Seen by Dr. Lind.","note":"Lind agreed; LIND signed; lind called."}' \
	'{"text":"Seen by Dr. [NAME].","note":"[NAME] agreed; [NAME] signed; [NAME] called."}' 4 \
	"a name found in one field is removed from a later one, in any case"
n '{"note":"Plan discussed; Lind agreed.","text":"Seen by Dr. Lind."}' \
	'{"note":"Plan discussed; [NAME] agreed.","text":"Seen by Dr. [NAME]."}' 2 \
	"and from an earlier one"
n '{"a":"Patient: WILKINSON, TRACEY","b":{"c":["Tracey called back; the Wilkinson family informed."]}}' \
	'{"a":"Patient: [NAME], [NAME]","b":{"c":["[NAME] called back; the [NAME] family informed."]}}' 4 \
	"and from a string nested deeper"
n '{"messages":[{"role":"user","content":"Summarize: Mr. Okonkwo has CKD."},{"role":"assistant","content":"Okonkwo has CKD stage 3b."}]}' \
	'{"messages":[{"role":"user","content":"Summarize: Mr. [NAME] has CKD."},{"role":"assistant","content":"[NAME] has CKD stage 3b."}]}' 2 \
	"a chat: the name in the request is removed from the reply"
n '{"a":"Wife Joy at bedside.","b":"Patient expressed joy. Joy called."}' \
	'{"a":"Wife [NAME] at bedside.","b":"Patient expressed joy. [NAME] called."}' 2 \
	"a name that is also an English word goes only where capitalized"

# a name is not kept from one record to the next
scrub <<<'{"t":"Seen by Dr. Lind."}
{"t":"the lind tree"}'
is_out '{"t":"Seen by Dr. [NAME].",'"$(ann '"NAME":1' 1)"'}
{"t":"the lind tree",'"$(ann '' 0)"'}' "names do not carry over to the next record"

# eponyms and English words stay
scrub <<<'{"t":"Parkinson disease and Crohn'"'"'s disease; Foley catheter; Apgar score 9; patient will follow up"}'
is_out '{"t":"Parkinson disease and Crohn'"'"'s disease; Foley catheter; Apgar score 9; patient will follow up",'"$(ann '' 0)"'}' \
	"eponyms and English words stay"

# many people in one record: every one of them is removed everywhere
a='' b=''
for c1 in b d f g k; do
	for c2 in a e i o u; do
		for c3 in l m n; do
			w="Zq${c1}${c2}${c3}ovik"
			a="$a Dr. $w saw the patient."
			b="$b ${w,,}"
		done
	done
done
scrub <<<"{\"a\":\"${a# }\",\"b\":\"${b# }\"}"
is "$rc" 0 "75 names in a record: exit 0"
left=$(grep -o -i 'zq[a-z]*' "$tmp/out" | sort -u | tr '\n' ' ')
is "$left" "" "75 names in a record: none left in either field"

done_testing
