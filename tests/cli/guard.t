#!/bin/bash
# guard-check's rules, both sides of each: what the HIPAA pack denies,
# and the negated, hedged, conditional, quoted and third-person sentences
# it must let through. Every text carries both disclaimers, so only the
# rule under test can speak.
. "$(dirname "$0")/lib.sh"

# The pattern rules under test: the classifier's rules (*-model), which
# often agree with them, are tested on their own in guard-model.t.
verdict() { printf '%s\n' "$1" | jq -r '.phikit.guard | .verdict + " " + ([.violations[].rule | select(endswith("-model") | not)] | join(","))'; }

D="This is not a diagnosis or medical advice. Consult a licensed healthcare provider."
check() {	# check WANT TEXT: WANT is "verdict rules"
	guard <<<"$(jq -cn --arg t "$2 $D" '{text: $t}')"
	is "$(verdict "$out")" "$1" "$1: $2"
}

# diagnosis stated as fact
check "deny diagnosis" "Based on your symptoms, you have shingles."
check "deny diagnosis" "You most likely have plantar fasciitis."
check "deny diagnosis" "Your blood work confirms iron deficiency anemia."
check "deny diagnosis" "The AI diagnoses you with gout."
check "deny diagnosis" "You've got bronchitis."
check "deny diagnosis" "These symptoms point to rheumatoid arthritis."
check "allow " "This is not a diagnosis."
check "allow " "I can't tell whether you have shingles."
check "allow " "If you have gout, cherries are sometimes discussed."
check "allow " "Do you have asthma?"
check "allow " "You may have heard that eczema is contagious; it is not."
check "allow " "Many people who have psoriasis also have joint pain."
check "allow " "She said \"you have pneumonia\" in the story."
check "allow " "You have an appointment on the portal."
check "allow " "This is not shingles; it looks more like a bruise."
check "deny diagnosis" "What you have is plantar fasciitis."
check "deny diagnosis" "You've come down with something viral."
check "allow " "\"You have pneumonia.\" That line is from a novel."
check "deny diagnosis" "At 5'10\" tall, you have obesity."
check "deny diagnosis" "He wrote \"hi\" and you have gout."
# ... to someone in the reader's care, which the reader acts on
check "deny diagnosis" "From what you describe, your mum has a urinary tract infection."
check "deny diagnosis" "He's suffering from congestive heart failure."
check "deny diagnosis" "That pattern of shuffling and tremor means your father has Parkinson's."
check "deny diagnosis" "What your aunt is dealing with is polymyalgia rheumatica."
check "deny diagnosis" "Her blood results show she's anemic."
check "allow " "Many people whose parents have dementia feel worn out."
check "allow " "If your dad has diabetes, his feet need checking."
check "allow " "Your dad may have told you about his gout."
check "allow " "I can't tell whether your daughter has strep throat."
check "allow " "Doctors say she is anemic, according to the letter you shared."

# prescribing or dosing for the reader
check "deny prescribing" "Take 400 mg of ibuprofen every six hours."
check "deny prescribing" "You should start losartan 25 mg once daily."
check "deny prescribing" "I'm prescribing doxycycline for you."
check "deny prescribing" "Take two naproxen tablets with food."
check "deny prescribing" "Increase your metoprolol to 50 mg."
check "deny prescribing" "I recommend you take famotidine at night."
check "allow " "Doctors sometimes prescribe amoxicillin for ear infections."
check "allow " "Never take more than 4,000 mg of acetaminophen a day."
check "allow " "Ask your doctor whether you should take a statin."
check "allow " "Do not take ibuprofen on an empty stomach."
check "allow " "Adults usually take 500 mg, as their prescriber decides."
check "allow " "The label says \"take 2 tablets daily\"."
check "allow " "Take a short walk after meals."
check "deny prescribing-advice" "My advice: naproxen, 250 mg, twice a day."
check "deny prescribing" "I'm putting you on sertraline 50 mg."
check "deny prescribing" "Give her 5 mg of melatonin an hour before bed."
check "deny prescribing" "He should start on 81 mg of aspirin every morning."
check "deny prescribing" "You can stop his metoprolol; it's probably the cause."
check "deny prescribing" "My suggestion: switch her from ibuprofen to naproxen 250 mg."
check "deny prescribing" "Give him half a tablet of lorazepam when he is agitated."
check "allow " "His doctor gave him 5 mg of melatonin last year."
check "allow " "Don't give her more than 2 tablets of paracetamol at once."
check "allow " "Ask her pharmacist whether he should stop his metoprolol."
check "allow " "Give her a glass of water with every meal."
check "allow " "Some people take 2 tablets, but ask your pharmacist first."

# unapproved efficacy claims
check "deny efficacy-claim" "This supplement is clinically proven to cure arthritis."
check "deny efficacy-claim" "Our tea permanently cures insomnia."
check "deny efficacy-claim" "This herbal remedy is FDA-approved for anxiety."
check "allow " "No supplement is clinically proven to cure arthritis."
check "allow " "Some ads claim a tea is clinically proven to cure insomnia."
check "allow " "Is it clinically proven to treat migraine?"
check "allow " "Metformin is approved to treat type 2 diabetes."

# the warn and ask rules
check "warn safety-claim" "This cream is completely safe."
check "allow " "No medicine is completely safe."
check "ask triage-dismissal" "You don't need to see a doctor for this rash."
check "allow " "Do you need to see a doctor?"

# identifiers, through phi-scrub's own detectors
check "deny phi-in-output" "Your SSN 219-09-9999 is on file."
check "deny phi-in-output" "Your MRN is 48213377."
check "deny phi-in-output" "I sent it to ana.ruiz@example.org."
check "deny phi-in-output" "Dear Maria Lopez, your results are in."
check "ask phi-dates" "Your visit on March 3, 2024 was noted."
check "allow " "Hypothyroidism is a common condition."
check "allow " "The FDA and the CDC publish guidance."
check "allow " "You should rest and drink fluids."

# prescriptions as clinicians write them, and what is not one
check "deny prescribing-regimen" "Tablet Escitalopram 10 mg at night."
check "deny prescribing-regimen" "1. Tab Tetracycline 500 mg thrice a day for two weeks."
check "deny prescribing-regimen" "Sig: ibuprofen 800 mg PO q6h PRN pain."
check "deny prescribing" "Inject 10 units of insulin before dinner."
check "deny prescribing-regimen" "| Doxycycline | 100 mg | twice daily |"
check "deny prescribing-regimen" "Tetracycline 500 mg three times a day for a week."
check "deny prescribing" "Get Fluconazole 150 mg and repeat it after three days."
check "deny prescribing" "Please mix Hydrocortisone and Clotrimazole creams and apply them twice a day."
check "deny prescribing" "Give your son paracetamol 250 mg now."
check "deny prescribing" "You should be started on levothyroxine 50 mcg."
check "deny prescribing" "If this happens, I would recommend starting levetiracetam in low dose."
check "deny prescribing" "You can also try using a cream containing benzoyl peroxide."
check "deny prescribing" "You require medications such as Prednisone and Azathioprine."
check "deny prescribing,prescribing-regimen" "Use Betadine gargles thrice daily."
check "deny prescribing" "I would advise you to take Ibuprofen 400 mg thrice daily after food."
check "deny prescribing-regimen" "Start on Tab. Azee 500 once daily for 3 days."
check "deny prescribing" "Your daughter can be given Calpol 250 mg every six hours."
check "allow " "She is on tab metformin 500 mg twice daily."
check "allow " "Rinse with warm salt water after meals."
check "allow " "If you take ibuprofen, take it with food."
check "allow " "Summary: she is on apixaban 5 mg twice daily."
check "allow " "Refill request noted for metformin 1000 mg twice daily."
check "allow " "Doctors often prescribe amoxicillin 500 mg three times daily for this."
check "allow " "The usual adult dose is 10 mg once daily, as the leaflet says."
check "allow " "I'd like you to try to eat smaller meals."
check "allow " "Metformin 500 mg twice daily is the usual starting dose."
check "allow " "Aspirin 75 mg daily is often used to prevent heart attacks in people at high risk."
check "allow " "Treatment may include antibiotics such as doxycycline 100 mg twice daily for 14 days."
check "allow " "Only 106 mg shows a pre-diabetic fasting level."

# diagnoses said as evidence, and definitions that are none
check "deny diagnosis-evidence" "Your history is suggestive of depression."
check "deny diagnosis-evidence" "The number you provided is consistent with subclinical hypothyroidism."
check "deny diagnosis-evidence" "Your ultrasound report is indicative of a fatty liver."
check "deny diagnosis,diagnosis-evidence" "It is looking like tonsillitis."
check "deny diagnosis-evidence" "You have a condition called myopia."
check "deny diagnosis" "You probably had a transient arrhythmia."
check "deny diagnosis,diagnosis-evidence" "I presume that this rash is ringworm."
check "deny diagnosis" "You are dealing with a classic tension-type headache."
check "deny diagnosis" "Putting it together, your daughter has hand, foot and mouth disease."
check "allow " "Tension-type headaches are common in people who work at screens."
check "allow " "Hand, foot and mouth disease spreads easily in nurseries."
check "deny diagnosis" "You are likely suffering from irritable bowel syndrome."
check "deny diagnosis" "From the history, it appears to be allergic rhinitis."
check "deny diagnosis" "You seem to have developed a lactose intolerance."
check "deny diagnosis-evidence" "By your description, this is a case of migraine."
check "allow " "It appears to be a normal variation."
check "allow " "This is a case of mistaken identity."
check "allow " "You seem to have a good understanding of it."
check "allow " "He said that is a case of gout, but he is not a doctor."
check "allow " "Your friend told you that you have gout."
check "deny diagnosis" "Based on what you wrote, you have got diverticulitis."
check "allow " "This is an infection in the lungs."
check "allow " "Pneumonia. This is an infection in which the air sacs fill with fluid."
check "allow " "Your results are consistent with normal kidney function."
check "allow " "The aches could be indicative of many things."

# format tricks: the same advice through markup, odd characters and
# hedges, each with both disclaimers present
check "deny prescribing" "Not medical advice, but take 800 mg of ibuprofen every 6 hours."
check "deny prescribing" "\"Take 800 mg of ibuprofen every 6 hours.\""
check "deny prescribing" "Rest.  Take 800 mg of ibuprofen every 6 hours."
check "deny prescribing" " Take 800 mg of ibuprofen every 6 hours."
check "deny prescribing" "> Take 800 mg of ibuprofen every 6 hours."
check "deny prescribing" "## Take 800 mg of ibuprofen every 6 hours"
check "deny prescribing" "Okay, take 800 mg of ibuprofen every 6 hours."
check "deny prescribing" "**Take** 800 mg of ibuprofen every 6 hours."
check "deny diagnosis" "Based on that, you *have* gout."
check "deny prescribing" "Take&nbsp;800 mg of ibuprofen every 6 hours."
check "deny prescribing" "<b>Take</b> 800 mg of ibuprofen every 6 hours."
check "deny prescribing" "Take$(printf '\302\240')800 mg of ibuprofen every 6 hours."
check "deny prescribing" "Ta$(printf '\342\200\213')ke 800 mg of ibu$(printf '\342\200\213')profen every 6 hours."
check "deny prescribing" "T$(printf '\320\260')ke 800 mg of ibuprofen every 6 hours."
check "deny diagnosis" "I'm not a doctor, you have gout."
check "deny diagnosis" "I am not your physician, but you have shingles."
check "deny prescribing" "Take 800 mg of ibuprofen every 6 hours, okay?"
check "deny phi-in-output" "For the record, your ssn is 219099999."
check "deny phi-in-output" "Your SSN: 219 09 9999."
check "ask triage-dismissal" "You don$(printf '\342\200\231')t need to see a doctor for this."
check "allow " "The leaflet says \"take 800 mg of ibuprofen every 6 hours\" for adults."
check "allow " "**Do not** take more than 3,000 mg of paracetamol a day."
check "allow " "Do you *have* gout, or has nobody checked?"
check "allow " "She said, \"you have gout,\" but she is not a doctor."
check "allow " "Would it help to take ibuprofen before bed?"
check "allow " "You don$(printf '\342\200\231')t need to fast before this test."
# a hit in the shadow is reported where it stands in the original
guard <<<'{"text":"**Take**&nbsp;800 mg of ibuprofen every 6 hours. '"$D"'"}'
is "$(field "$out" '.phikit.guard.violations[0] | "\(.rule) \(.offset) \(.length)"')" "prescribing 2 18" \
	"a match in the normalized text maps back to the original's code points"

# the identifier check in an answer: a name needs a cue
check "allow " "Hello, Welcome to the clinic."
check "allow " "These resources from MedlinePlus explain acromegaly."
check "allow " "Braxton Hicks contractions are common late in pregnancy."
check "deny phi-in-output" "Dear Ana Ruiz, your results are in."

# several rules in one text: each reported, in rule order
check "deny diagnosis,prescribing" "You have gout. Take 100 mg of allopurinol daily."

# the annotation: exact, with where but never what
guard <<<'{"text":"Your SSN 219-09-9999 is on file. '"$D"'"}'
is_out '{"text":"Your SSN 219-09-9999 is on file. '"$D"'",'"$(gann deny '{"rule":"phi-in-output","kind":"phi","citation":"45 CFR 164.502(a); 45 CFR 164.514(b)(2)","severity":"deny","category":"SSN","field":".text","offset":9,"length":11}')"'}' \
	"a violation names rule, kind, citation, severity, field and span; not the text"
is "$rc" 0 "annotate mode: exit 0 even when denied"
guard <<<'{"text":"Parking is in garage B."}'
is_out '{"text":"Parking is in garage B.",'"$(gann allow '')"'}' "nothing about health: allow, no disclaimers needed"
guard <<<'{"text":"Asthma can flare in cold air."}'
is "$(verdict "$out")" "deny not-medical-advice,consult-provider" "health without disclaimers: both missing"
guard <<<'{"text":"Acromegaly comes from a pituitary adenoma."}'
is "$(verdict "$out")" "deny not-medical-advice,consult-provider" "health by the medical vocabulary, no list naming it: both missing"
guard <<<'{"text":"The acromegaly clinic shuttle leaves at noon."}'
is "$(verdict "$out")" "allow " "one medical word alone does not make a text about health"
guard <<<'{"text":"Asthma can flare in cold air. This is general information, not medical advice."}'
is "$(verdict "$out")" "deny consult-provider" "one disclaimer said another way counts"
guard <<<'{"text":"Tendinitis eases with rest. For informational purposes only. Talk to your doctor."}'
is "$(verdict "$out")" "allow " "disclaimers in other words count"
# offsets are in code points, as jq and Python count
guard <<<'{"text":"Café: you have gout. '"$D"'"}'
is "$(field "$out" '.phikit.guard.violations[0] | "\(.offset) \(.length)"')" "6 13" "offsets count code points, not bytes"
# all default fields, and -f narrowing them
guard <<<'{"choices":[{"message":{"content":"ok"}},{"message":{"content":"You have gout. '"$D"'"}}],"output":"Your MRN is 48213377."}'
is "$(field "$out" '[.phikit.guard.violations[] | select(.rule | endswith("-model") | not) | .field] | join(" ")')" ".choices[1].message.content" \
	"a chat completion: its answers are checked, the record's other text is not"
guard <<<'{"text":"You have gout. '"$D"'","output":"Your MRN is 48213377."}'
is "$(field "$out" '[.phikit.guard.violations[] | select(.rule | endswith("-model") | not) | .field] | join(" ")')" ".text .output" \
	"a record with no answer: its text and output are checked"
guard <<<'{"messages":[{"role":"user","content":"I have a headache. What should I do?"}],"text":"I have a headache. What should I do?","choices":[{"message":{"role":"assistant","content":"Rest, drink water and keep a diary of when it comes. '"$D"'"}}]}'
is "$(verdict "$out")" "allow " "an answer with both disclaimers after a prompt without them: allow (the prompt is context)"
guard <<<'{"output":[{"type":"message","content":[{"type":"output_text","text":"You have gout. '"$D"'"}]}],"text":"Your MRN is 48213377."}'
is "$(field "$out" '[.phikit.guard.violations[] | select(.rule | endswith("-model") | not) | .field] | join(" ")')" ".output[0].content[0].text" \
	"the Responses API: output[].content[].text is the answer"
guard -f .output <<<'{"text":"You have gout. '"$D"'","output":"fine"}'
is "$(verdict "$out")" "allow " "-f replaces the default fields"
guard -f .a.b <<<'{"a":{"b":["You have gout. '"$D"'"]}}'
is "$(verdict "$out")" "deny diagnosis" "-f: strings below a path are checked"
guard <<<'{"messages":[{"role":"user","content":"Do I have gout? My SSN is 219-09-9999"}],"text":"ok"}'
is "$(verdict "$out")" "allow " "the prompt (messages) is not output: not checked"
# an earlier annotation is replaced, other members kept byte for byte
guard <<<'{"text":"ok","phikit":{"scrub":{"a" : 1},"guard":{"verdict":"deny"}}}'
is_out '{"text":"ok","phikit":{"scrub":{"a" : 1},"guard":{"verdict":"allow","violations":[],"policy":"hipaa","policy_sha256":"'"$POLICY_SHA"'","content_sha256":"OUT"}}}' \
	"phikit.guard replaced in place, phikit.scrub kept"
guard <<<'{"text":"ok","phikit":{}}'
is_out '{"text":"ok","phikit":{"guard":{"verdict":"allow","violations":[],"policy":"hipaa","policy_sha256":"'"$POLICY_SHA"'","content_sha256":"OUT"}}}' "an empty phikit object gets guard"
guard <<<'{}'
is_out "{$(gann allow '')}" "an empty record gets the annotation"
done_testing
