#!/bin/bash
# Identifiers written as JSON numbers ({"mrn":4418273}): an integer is read
# with the key it stands under, by the rules and their validators, and one
# that holds an identifier withholds the record (a number cannot be
# replaced in place). Times, counts, costs and measures pass as they are.
. "$(dirname "$0")/lib.sh"

withheld() {	# withheld CATEGORY RECORD
	scrub <<<"$2"
	is "$rc:$out" "3:" "$2: withheld"
	is_err "phi-scrub: error (at <stdin>:1): a JSON number looks like PHI ($1): a number cannot be replaced in place, so the record is withheld; send identifiers as strings" \
		"$2: the category, never the value"
}
passed() {	# passed RECORD: written with its bytes as they were
	scrub <<<"$1"
	is "$rc:${out%%,\"phikit\":*}}" "0:$1" "$1: passed byte for byte"
}

withheld SSN '{"ssn":123456789,"mrn":4418273}'
withheld MRN '{"patient":{"mrn":4418273}}'
withheld PHONE '{"contact":{"phone":5205550187}}'
withheld HEALTH_PLAN '{"memberId":99887766}'
withheld HEALTH_PLAN '{"member_id":99887766}'
withheld NPI '{"npi":1234567893}'
withheld AGE '{"patient":{"age":94}}'
withheld MRN '{"mrn":[4418273]}'
passed '{"age":54}'
passed '{"created":1733123456,"usage":{"prompt_tokens":1523,"completion_tokens":88,"total_tokens":1611}}'
passed '{"seed":123456789,"n":12345678}'
passed '{"cost":0.0042,"x":1.5e10,"mrn_count":3}'
# outside the fields asked for, a number is not read; phikit's own are not
scrub -f .text <<<'{"text":"ok","mrn":4418273}'
is "$rc" 0 "-f .text: a number elsewhere is not the scrub's business"
scrub <<<'{"text":"ok","phikit":{"ledger":{"seq":4418273}}}'
is "$rc" 0 "phikit's own numbers (a ledger seq) are not read"
done_testing
