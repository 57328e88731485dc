#!/bin/bash
# phi-scrub on clinical text: every Safe Harbor category replaced by its
# tag, the clinical facts around them kept exactly.
. "$(dirname "$0")/lib.sh"

# One note with one identifier of each kind. DEA BJ7043211: (7+4+2) +
# 2*(0+3+1) = 21, check digit 1.
note='Pt Georgianna Waters, MRN: 00303027, DOB: 1994-03-05, SSN 869-36-0459, seen from 4.179.227.175 via https://portal.example.org/p/1 and georgianna.w@example.org, phone (857) 261-9798. Card 4111 1111 1111 1111, NPI 1234567893, DEA BJ7043211, VIN 1HGCM82633A004352. Lives in Jackson, MS 30636-9320. A 96-year-old on metformin 500 mg, HbA1c 7.6%, BP 117/62, ICD-10 N18.30, CPT 99213, LOINC 2160-0, NDC 0002-8215-01, diagnosed in 2019, age 45.'
want='Pt [NAME], MRN: [MRN], DOB: [DATE], SSN [SSN], seen from [IP] via [URL] and [EMAIL], phone [PHONE]. Card [CARD], NPI [NPI], DEA [DEA], VIN [VEHICLE]. Lives in [CITY], MS 306XX. A 90+-year-old on metformin 500 mg, HbA1c 7.6%, BP 117/62, ICD-10 N18.30, CPT 99213, LOINC 2160-0, NDC 0002-8215-01, diagnosed in 2019, age 45.'
scrub <<<"{\"id\":\"n1\",\"text\":\"$note\"}"
is "$rc" 0 "a clinical note: exit 0"
is_out "{\"id\":\"n1\",\"text\":\"$want\",$(ann '"NAME":1,"CITY":1,"ZIP":1,"DATE":1,"AGE":1,"PHONE":1,"EMAIL":1,"SSN":1,"MRN":1,"CARD":1,"DEA":1,"NPI":1,"VEHICLE":1,"URL":1,"IP":1' 15)}" \
	"a clinical note: every identifier tagged, every clinical fact kept, counts in category order"
is_err "" "a clinical note: nothing on stderr"
for v in 00303027 1994-03-05 869-36-0459 4.179.227.175 portal.example.org georgianna '261-9798' '4111 1111' 1234567893 BJ7043211 1HGCM82633A004352 30636 Waters Jackson; do
	unlike "$out" "*$v*" "a clinical note: '$v' is gone"
done

# One identifier at a time: the text it becomes and the count it adds.
t() {	# t INPUT WANT COUNTS TOTAL
	scrub <<<"{\"t\":\"$1\"}"
	is_out "{\"t\":\"$2\",$(ann "$3" "$4")}" "'$1' -> '$2'"
}
t 'SSN 869-36-0459' 'SSN [SSN]' '"SSN":1' 1
t 'per oncology note.\nanita morris rn' 'per oncology note.\n[NAME] rn' '"NAME":1' 1
t 'will f/u with pt rn' 'will f/u with pt rn' '' 0
t 'my name is vitoria' 'my name is [NAME]' '"NAME":1' 1
t 'my name is not important' 'my name is not important' '' 0
t 'some stridor noted, dr green aware. pt stable' 'some stridor noted, dr [NAME] aware. pt stable' '"NAME":1' 1
t 'LAB: INR 6.0. E. WELSH AWARE. PT RECEIVED FFP' 'LAB: INR 6.0. [NAME] AWARE. PT RECEIVED FFP' '"NAME":1' 1
t 'CONTINUES PER DR B. GILL TODAY' 'CONTINUES PER DR [NAME] TODAY' '"NAME":1' 1
t 'dr will see pt today' 'dr will see pt today' '' 0
t 'E. COLI IN URINE, TEAM AWARE' 'E. COLI IN URINE, TEAM AWARE' '' 0
t 'lives in catonsville with her husband' 'lives in [CITY] with her husband' '"CITY":1' 1
t 'transferred from Harbor Hosp yesterday' 'transferred from [CITY] yesterday' '"CITY":1' 1
t 'PT SENT TO HARFORD MEMORIAL FOR CABG' 'PT SENT TO [CITY] FOR CABG' '"CITY":1' 1
t 'went to St. Mary Hospital by ambulance' 'went to [CITY] by ambulance' '"CITY":1' 1
t 'seen at Sacred Heart last year' 'seen at [CITY] last year' '"CITY":1' 1
t 'OUTSIDE HOSPITAL RECORDS REVIEWED' 'OUTSIDE HOSPITAL RECORDS REVIEWED' '' 0
t 'History of heart failure, seen in Cardiology' 'History of heart failure, seen in Cardiology' '' 0
t 'CABG 6/16, d/c 7/26' 'CABG [DATE], d/c [DATE]' '"DATE":2' 2
t 'extubated at 2pm 8/28 on PSV 10/5, 40%' 'extubated at 2pm [DATE] on PSV 10/5, 40%' '"DATE":1' 1
t 'gave 1/2 amp D50; 2/4 blood cultures' 'gave 1/2 amp D50; 2/4 blood cultures' '' 0
# clinical abbreviations (data/clinical-abbreviations.txt) are no names,
# and a state is no Safe Harbor identifier, whatever the model guesses
t 'Rx: sertraline 50 mg daily. CCU team aware, ABG and BUN sent.' 'Rx: sertraline 50 mg daily. CCU team aware, ABG and BUN sent.' '' 0
t 'widow living alone in [CITY], MT 597XX' 'widow living alone in [CITY], MT 597XX' '' 0
t 'ssn: 869360459' 'ssn: [SSN]' '"SSN":1' 1
t 'call (857) 261-9798' 'call [PHONE]' '"PHONE":1' 1
t 'phone 857.261.9798' 'phone [PHONE]' '"PHONE":1' 1
t 'reached at +44 20 7946 0958' 'reached at [PHONE]' '"PHONE":1' 1
t 'Fax: 617-555-0143' 'Fax: [FAX]' '"FAX":1' 1
t 'Fax: (617) 555-0143' 'Fax: [FAX]' '"FAX":1' 1
t 'mail georgianna.w@example.org today' 'mail [EMAIL] today' '"EMAIL":1' 1
t 'see https://portal.example.org/p/1.' 'see [URL].' '"URL":1' 1
t 'see www.example.org/records' 'see [URL]' '"URL":1' 1
t 'from 4.179.227.175' 'from [IP]' '"IP":1' 1
t 'from fe80::1ff:fe23:4567:890a' 'from [IP]' '"IP":1' 1
t 'MAC 00:1A:2B:3C:4D:5E' 'MAC [DEVICE]' '"DEVICE":1' 1
t 'MRN: 00303027' 'MRN: [MRN]' '"MRN":1' 1
t 'medical record number 4471' 'medical record number [MRN]' '"MRN":1' 1
t 'Member ID: XJH448812903' 'Member ID: [HEALTH_PLAN]' '"HEALTH_PLAN":1' 1
t 'Account #: 00418827361' 'Account #: [ACCOUNT]' '"ACCOUNT":1' 1
t 'Card 4111 1111 1111 1111' 'Card [CARD]' '"CARD":1' 1
t 'paid with 4111111111111111' 'paid with [CARD]' '"CARD":1' 1
t 'Driver license: S530-4471-2291' 'Driver license: [LICENSE]' '"LICENSE":1' 1
t 'DEA AB1234563' 'DEA [DEA]' '"DEA":1' 1
t 'NPI 1234567893' 'NPI [NPI]' '"NPI":1' 1
t 'VIN 1HGCM82633A004352' 'VIN [VEHICLE]' '"VEHICLE":1' 1
t 'car 1HGCM82633A004352 towed' 'car [VEHICLE] towed' '"VEHICLE":1' 1
t 'plate 7ABC123' 'plate [VEHICLE]' '"VEHICLE":1' 1
t 'Device serial SN: 4X7Q-22819' 'Device serial SN: [DEVICE]' '"DEVICE":1' 1
t 'fingerprint template FP-000123' 'fingerprint template [BIOMETRIC]' '"BIOMETRIC":1' 1
t 'photo ID: IMG-20240611' 'photo ID: [PHOTO]' '"PHOTO":1' 1
t 'Claim # 99887766' 'Claim # [ID]' '"ID":1' 1
t 'DOB: 1994-03-05' 'DOB: [DATE]' '"DATE":1' 1
t 'seen 04/15/2022' 'seen [DATE]' '"DATE":1' 1
t 'Exam date: June 11, 2024' 'Exam date: [DATE]' '"DATE":1' 1
t 'on 5 March 2020' 'on [DATE]' '"DATE":1' 1
t 'since March 2020' 'since [DATE]' '"DATE":1' 1
t 'a 96-year-old man' 'a 90+-year-old man' '"AGE":1' 1
t '92 yo female' '90+ yo female' '"AGE":1' 1
t 'aged 91' 'aged 90+' '"AGE":1' 1
t 'Jackson, MS 30636-9320' '[CITY], MS 306XX' '"CITY":1,"ZIP":1' 2
t 'Alstead, NH 03602' '[CITY], NH 000XX' '"CITY":1,"ZIP":1' 2
t 'zip code 02139' 'zip code 021XX' '"ZIP":1' 1
t '1270 Woodlands Avenue' '[ADDRESS]' '"ADDRESS":1' 1
t 'PO Box 1234' '[ADDRESS]' '"ADDRESS":1' 1

# What is not an identifier stays, byte for byte.
for fact in 'metformin 500 mg' 'HbA1c 7.6%' 'BP 117/62' 'ICD-10 N18.30' 'CPT 99213' \
	'LOINC 2160-0' 'NDC 0002-8215-01' 'diagnosed in 2019' 'age 45' 'aged 89' '89-year-old' \
	'Temp 98.6 F, HR 72, RR 16, SpO2 98% on RA' 'eGFR 38 mL/min/1.73m2' \
	'lisinopril 10 mg daily' 'LDL 130 mg/dL' 'follow up in 3 months' 'ICD-10 E11.9, I10' \
	'weight 82.5 kg' 'troponin 0.04 ng/mL' 'Parkinson disease' 'Foley catheter' \
	'the patient will follow up' 'May improve with rest'; do
	t "$fact" "$fact" '' 0
done

# a clinical abbreviation list that cannot be read stops phi-scrub at start-up
printf 'extends: %s\nscrub:\n  names:\n    abbreviations: %s\n' "$POLICY" "$tmp/none.txt" >"$tmp/abbr.yaml"
run "$PHI_SCRUB" -p "$tmp/abbr.yaml" <<<'{"text":"x"}'
is "$rc:$out:$err" "2::phi-scrub: $tmp/none.txt: No such file or directory" "names.abbreviations unreadable: exit 2, said so"
done_testing
