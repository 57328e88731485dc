/* Unit tests of lib/validate.c: check digits, issuing rules, dates. */
#include <string.h>

#include "policy.h"
#include "tap.h"
#include "validate.h"

#define S(x) x, strlen(x)

static void
shifted(const char *in, long days, const char *want)
{
	struct pdate d;
	char out[64];
	size_t n;

	if (!ok(date_parse(S(in), &d), "date '%s' parses", in))
		return;
	n = date_shift_format(&d, days, out, sizeof(out));
	out[n] = '\0';
	is_str(out, want, "'%s' %+ld days", in, days);
}

int
main(void)
{
	struct pdate d;

	ok(luhn_ok(S("79927398713")), "luhn: the textbook number");
	ok(!luhn_ok(S("79927398710")), "luhn: one digit off fails");
	ok(card_ok(S("4111 1111 1111 1111")), "card: Visa test number with spaces");
	ok(card_ok(S("378282246310005")), "card: Amex test number");
	ok(!card_ok(S("4111 1111 1111 1112")), "card: bad check digit");
	ok(!card_ok(S("0000 0000 0000 0000")), "card: all alike refused");
	ok(!card_ok(S("411111111111")), "card: 12 digits too short");

	ok(npi_ok(S("1234567893")), "npi: CMS example 1234567893");
	ok(!npi_ok(S("1234567890")), "npi: wrong check digit");
	ok(!npi_ok(S("3234567893")), "npi: must start 1 or 2");

	ok(dea_ok(S("AB1234563")), "dea: AB1234563 (1+3+5 + 2*(2+4+6) = 33)");
	ok(!dea_ok(S("AB1234567")), "dea: wrong check digit");
	ok(!dea_ok(S("ZB1234563")), "dea: Z is no registrant type");
	ok(dea_ok(S("M91234563")), "dea: 9 as the second character");

	ok(ssn_ok(S("869-36-0459")), "ssn: ordinary");
	ok(!ssn_ok(S("000-12-3456")), "ssn: area 000");
	ok(!ssn_ok(S("666-12-3456")), "ssn: area 666");
	ok(!ssn_ok(S("912-12-3456")), "ssn: area 9xx");
	ok(!ssn_ok(S("123-00-4567")), "ssn: group 00");
	ok(!ssn_ok(S("123-45-0000")), "ssn: serial 0000");

	ok(ipv4_ok(S("4.179.227.175")), "ipv4: ordinary");
	ok(!ipv4_ok(S("256.1.1.1")), "ipv4: 256 is no octet");
	ok(!ipv4_ok(S("10.010.1.1")), "ipv4: leading zero refused");
	ok(!ipv4_ok(S("1.2.3")), "ipv4: three parts");
	ok(ipv6_ok(S("fe80::1")), "ipv6: compressed");
	ok(ipv6_ok(S("6068:5ae4:8c27:cac5:e923:9b14:bc41:eb1b")), "ipv6: full");
	ok(!ipv6_ok(S("10:30:00")), "ipv6: a time is not an address");

	ok(vin_ok(S("1HGCM82633A004352")), "vin: valid check digit");
	ok(!vin_ok(S("1HGCM82643A004352")), "vin: one character changed");
	ok(!vin_ok(S("1HGCM8263OA004352")), "vin: O never appears");

	ok(date_parse(S("2024-02-29"), &d), "date: 2024-02-29 leap day");
	ok(!date_parse(S("2023-02-29"), &d), "date: 2023-02-29 does not exist");
	ok(!date_parse(S("04/31/2022"), &d), "date: April has 30 days");
	ok(date_parse(S("March 5, 2020"), &d) && d.y == 2020 && d.m == 3 && d.d == 5,
	    "date: March 5, 2020");
	ok(date_parse(S("5 March 2020"), &d) && d.d == 5 && d.m == 3, "date: 5 March 2020");
	ok(date_parse(S("March 2020"), &d) && d.d == 0 && d.y == 2020, "date: March 2020");
	ok(date_parse(S("Sept. 3rd, 1999"), &d) && d.m == 9 && d.d == 3, "date: Sept. 3rd, 1999");
	ok(date_parse(S("5/9/24"), &d) && d.y == 2024, "date: two-digit year");
	ok(!date_parse(S("117/62"), &d), "date: a blood pressure is no date");

	shifted("2020-02-28", 2, "2020-03-01");
	shifted("12/31/1999", 1, "01/01/2000");
	shifted("5/9/24", -10, "4/29/24");
	shifted("March 5, 2020", 30, "April 4, 2020");
	shifted("5 Mar 2020", 1, "6 Mar 2020");

	ok(state_before("Jackson, MS 30636", 12), "state: 'MS' before the ZIP");
	ok(state_before("Austin, Texas 78701", 14), "state: 'Texas' before the ZIP");
	ok(!state_before("lab value 12345", 10), "state: 'value' is none");

	ok(validate(V_AGE, "96", 0, 2, 89), "age: 96 is over 89");
	ok(!validate(V_AGE, "89", 0, 2, 89), "age: 89 is not");
	ok(validate(V_PHONE, "(857) 261-9798", 0, 14, 89), "phone: NANP");
	ok(!validate(V_PHONE, "123-456-7890", 0, 12, 89), "phone: area code 1xx refused");
	return done_testing();
}
