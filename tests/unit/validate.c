/*
 * lib/validate.c: the checks that turn a shape into an identifier (check
 * digits, issuing rules, real calendar dates) and date shifting, which
 * must move a date by exactly so many days and write it as it was written.
 */
#include <string.h>

#include "policy.h"
#include "tap.h"
#include "validate.h"

#define S(x) (x), strlen(x)

static void
yes(int (*fn)(const char *, size_t), const char *what, const char *s)
{
	ok(fn(S(s)) != 0, "%s: '%s' passes", what, s);
}

static void
no(int (*fn)(const char *, size_t), const char *what, const char *s)
{
	ok(fn(S(s)) == 0, "%s: '%s' is refused", what, s);
}

/* date_parse accepts s and reads year, month, day (0: not written). */
static void
date_is(const char *s, int y, int m, int d)
{
	struct pdate p;
	int r = date_parse(S(s), &p);

	ok(r && p.y == y && p.m == m && p.d == d, "date: '%s' is %04d-%02d-%02d", s, y, m, d);
	if (!(r && p.y == y && p.m == m && p.d == d))
		diag("parsed %d: y=%d m=%d d=%d", r, p.y, p.m, p.d);
}

static void
not_date(const char *s)
{
	struct pdate p;

	ok(!date_parse(S(s), &p), "date: '%s' is no date", s);
}

static void
shifted(const char *in, long days, const char *want)
{
	struct pdate d;
	char out[64];
	size_t n;

	memset(out, 'Z', sizeof(out));
	if (!date_parse(S(in), &d)) {
		ok(0, "shift: '%s' %+ld days is '%s'", in, days, want);
		diag("'%s' does not parse", in);
		return;
	}
	n = date_shift_format(&d, days, out, sizeof(out));
	if (n >= sizeof(out)) {
		ok(0, "shift: '%s' %+ld days is '%s'", in, days, want);
		diag("returned length %zu past the buffer", n);
		return;
	}
	out[n] = '\0';
	is_str(out, want, "shift: '%s' %+ld days is '%s'", in, days, want);
}

static void
state(const char *text, const char *zip, int want)
{
	const char *at = strstr(text, zip);

	ok(at && !state_before(text, (size_t)(at - text)) == !want,
	    "state_before: '%s' %s a state before '%s'", text, want ? "has" : "has no", zip);
}

int
main(void)
{
	/* Luhn, over the digits, separators skipped */
	yes(luhn_ok, "luhn", "79927398713");
	no(luhn_ok, "luhn", "79927398710");
	yes(luhn_ok, "luhn", "7992 7398 713");
	no(luhn_ok, "luhn", "0");

	/* payment cards: the issuers' published test numbers */
	yes(card_ok, "card", "4111111111111111");
	yes(card_ok, "card", "4111 1111 1111 1111");
	yes(card_ok, "card", "4111-1111-1111-1111");
	yes(card_ok, "card", "5500000000000004");
	yes(card_ok, "card", "5555 5555 5555 4444");
	yes(card_ok, "card", "378282246310005");
	yes(card_ok, "card", "6011111111111117");
	no(card_ok, "card", "4111111111111112");
	no(card_ok, "card", "4111 1111 1111 1121");
	no(card_ok, "card", "0000 0000 0000 0000");	/* passes Luhn, all alike */
	no(card_ok, "card", "411111111111");		/* 12 digits */
	no(card_ok, "card", "41111111111111111113");	/* 20 digits */

	/* NPI: Luhn over 80840 and the ten digits */
	yes(npi_ok, "npi", "1234567893");
	yes(npi_ok, "npi", "1245319599");
	no(npi_ok, "npi", "1234567890");
	no(npi_ok, "npi", "3234567893");	/* starts with 1 or 2 */
	no(npi_ok, "npi", "123456789");
	no(npi_ok, "npi", "12345678930");

	/* DEA: (d1+d3+d5) + 2*(d2+d4+d6) ends in d7 */
	yes(dea_ok, "dea", "AB1234563");	/* 9 + 2*12 = 33 */
	yes(dea_ok, "dea", "BJ7043211");	/* 13 + 2*4 = 21 */
	yes(dea_ok, "dea", "M91234563");	/* 9 as the second character */
	no(dea_ok, "dea", "AB1234567");
	no(dea_ok, "dea", "BJ7043212");
	no(dea_ok, "dea", "ZB1234563");		/* Z is no registrant type */
	no(dea_ok, "dea", "A11234563");		/* second: a letter or 9 */
	no(dea_ok, "dea", "AB123456");
	no(dea_ok, "dea", "AB12345630");

	/* SSN: the issuing rules */
	yes(ssn_ok, "ssn", "869-36-0459");
	yes(ssn_ok, "ssn", "869360459");
	yes(ssn_ok, "ssn", "899-99-9999");
	no(ssn_ok, "ssn", "000-12-3456");
	no(ssn_ok, "ssn", "666-12-3456");
	no(ssn_ok, "ssn", "900-12-3456");
	no(ssn_ok, "ssn", "999-12-3456");
	no(ssn_ok, "ssn", "123-00-4567");
	no(ssn_ok, "ssn", "123-45-0000");
	no(ssn_ok, "ssn", "123-45-678");

	/* IPv4: four decimal octets, no leading zeros */
	yes(ipv4_ok, "ipv4", "4.179.227.175");
	yes(ipv4_ok, "ipv4", "192.168.1.1");
	yes(ipv4_ok, "ipv4", "0.0.0.0");
	yes(ipv4_ok, "ipv4", "255.255.255.255");
	no(ipv4_ok, "ipv4", "256.1.1.1");
	no(ipv4_ok, "ipv4", "1.2.3.256");
	no(ipv4_ok, "ipv4", "10.010.1.1");
	no(ipv4_ok, "ipv4", "01.2.3.4");
	no(ipv4_ok, "ipv4", "1.2.3");
	no(ipv4_ok, "ipv4", "1.2.3.4.5");
	no(ipv4_ok, "ipv4", "1..2.3");
	no(ipv4_ok, "ipv4", "1234.1.1.1");

	/* IPv6 */
	yes(ipv6_ok, "ipv6", "fe80::1");
	yes(ipv6_ok, "ipv6", "::1");
	yes(ipv6_ok, "ipv6", "2001:db8::8a2e:370:7334");
	yes(ipv6_ok, "ipv6", "6068:5ae4:8c27:cac5:e923:9b14:bc41:eb1b");
	no(ipv6_ok, "ipv6", "10:30:00");		/* a time */
	no(ipv6_ok, "ipv6", "2001:db8::g1");
	no(ipv6_ok, "ipv6", "1:2:3:4:5:6:7:8:9");

	/* VIN: the check digit in position 9 */
	yes(vin_ok, "vin", "1HGCM82633A004352");
	yes(vin_ok, "vin", "1M8GDM9AXKP042788");	/* check digit X */
	yes(vin_ok, "vin", "JH4KA7561PC008269");
	no(vin_ok, "vin", "1HGCM82633A004353");	/* last character changed */
	no(vin_ok, "vin", "1HGCM82643A004352");	/* one digit changed */
	no(vin_ok, "vin", "1HGCM8263OA004352");	/* O never appears */
	no(vin_ok, "vin", "1HGCM82633A00435");	/* 16 characters */

	/* dates: real calendar dates in the layouts clinicians write */
	date_is("2024-02-29", 2024, 2, 29);
	not_date("2023-02-29");
	not_date("2100-02-29");			/* 2100 is no leap year */
	date_is("2000-02-29", 2000, 2, 29);
	date_is("2023/03/27", 2023, 3, 27);
	date_is("04/15/2022", 2022, 4, 15);
	not_date("04/31/2022");
	not_date("13/01/2022");
	not_date("00/10/2022");
	not_date("2022-13-01");
	not_date("2022-00-10");
	date_is("04-15-2022", 2022, 4, 15);
	date_is("04.15.2022", 2022, 4, 15);
	date_is("5/9/24", 2024, 5, 9);
	date_is("5/9/49", 2049, 5, 9);
	date_is("5/9/50", 1950, 5, 9);
	date_is("3/14", 0, 3, 14);
	date_is("March 5, 2020", 2020, 3, 5);
	date_is("5 March 2020", 2020, 3, 5);
	date_is("March 2020", 2020, 3, 0);
	date_is("march of 2022", 2022, 3, 0);
	date_is("March, 2021", 2021, 3, 0);
	not_date("March of Dimes");
	date_is("Sept. 3rd, 1999", 1999, 9, 3);
	date_is("5th of March 2020", 2020, 3, 5);
	date_is("Feb 29, 2024", 2024, 2, 29);
	not_date("Feb 29, 2023");
	not_date("March 32, 2020");
	not_date("Smarch 5, 2020");
	not_date("1799-01-01");
	not_date("117/62");			/* a blood pressure */
	not_date("2160-0");			/* a LOINC code */
	not_date("");

	/* shifting: exact day arithmetic, the layout kept */
	shifted("2020-02-28", 2, "2020-03-01");
	shifted("2024-02-28", 1, "2024-02-29");
	shifted("2023-02-28", 1, "2023-03-01");
	shifted("2020-01-01", 366, "2021-01-01");
	shifted("2021-03-01", -365, "2020-03-01");
	shifted("2020/02/28", 2, "2020/03/01");
	shifted("12/31/1999", 1, "01/01/2000");
	shifted("01/01/2000", -1, "12/31/1999");
	shifted("04-15-2022", 1, "04-16-2022");
	shifted("04.15.2022", 1, "04.16.2022");
	shifted("5/9/24", -10, "4/29/24");
	shifted("3/14", 1, "3/15");
	shifted("March 5, 2020", 30, "April 4, 2020");
	shifted("5 March 2020", 30, "4 April 2020");
	shifted("5 Mar 2020", 1, "6 Mar 2020");
	shifted("Sep 30, 2020", 1, "Oct 1, 2020");
	shifted("MARCH 5, 2020", 1, "MARCH 6, 2020");
	shifted("march 5, 2020", 1, "march 6, 2020");
	shifted("March 2020", 31, "April 2020");
	/* zero padding and abbreviation dots are part of the layout too */
	shifted("3/5/2024", 1, "3/6/2024");
	shifted("03/05/24", 1, "03/06/24");
	shifted("03/14", 1, "03/15");
	shifted("Mar. 5, 2020", 1, "Mar. 6, 2020");

	/* the word before a ZIP code */
	state("Jackson, MS 30636", "30636", 1);
	state("Jackson, MS, 39201", "39201", 1);
	state("Austin, Texas 78701", "78701", 1);
	state("New York 10001", "10001", 1);
	state("lab value 12345", "12345", 0);
	state("MSX 12345", "12345", 0);
	state("12345", "12345", 0);

	/* the validators by name, as rules use them */
	ok(validate(V_AGE, "96", 2, 0, 2, 89), "validate age: 96 is over 89");
	ok(validate(V_AGE, "90", 2, 0, 2, 89), "validate age: 90 is over 89");
	ok(!validate(V_AGE, "89", 2, 0, 2, 89), "validate age: 89 is not");
	ok(!validate(V_AGE, "1000", 4, 0, 4, 89), "validate age: four digits are no age");
	ok(validate(V_PHONE, "(857) 261-9798", 14, 0, 14, 89), "validate phone: NANP number");
	ok(validate(V_PHONE, "+1 857 261 9798", 15, 0, 15, 89), "validate phone: with +1");
	ok(!validate(V_PHONE, "123-456-7890", 12, 0, 12, 89), "validate phone: area code 1xx refused");
	ok(!validate(V_PHONE, "857-161-9798", 12, 0, 12, 89), "validate phone: exchange 1xx refused");
	ok(validate(V_AFTER_STATE, "Jackson, MS 30636", 17, 12, 17, 89), "validate after_state");
	ok(validate(V_NONE, "anything", 8, 0, 8, 89), "validate none: always");

	/* a month/day with no year: a day of the year, not a setting, fraction or score */
#define MD(text, at, len, want, name) \
	ok(!validate(V_MONTH_DAY, text, strlen(text), at, (at) + (len), 89) == !(want), name)
	MD("CABG 6/16 post op", 5, 4, 1, "month/day: after a procedure");
	MD("9/7-ADMITTED TO CCU", 0, 3, 1, "month/day: opening a line");
	MD("extubated 12/31", 10, 5, 1, "month/day: the last day of the year");
	MD("on 13/5", 3, 4, 0, "month/day: no month 13");
	MD("on 2/32", 3, 4, 0, "month/day: no day 32");
	MD("give 1/2 tab", 5, 3, 0, "month/day: 1/2 is a fraction");
	MD("3/4 assist", 0, 3, 0, "month/day: 3/4 is a fraction");
	MD("trialed on 5/5 today", 11, 3, 0, "month/day: one number twice");
	MD("PSV 10/5 overnight", 4, 4, 0, "month/day: a ventilator setting before");
	MD("cpap/ps mode decreased to 8/5 c good", 26, 3, 0, "month/day: a setting four words before");
	MD("10/5 peep", 0, 4, 0, "month/day: a setting after");
	MD("packed with 1/4 strength", 12, 3, 0, "month/day: a strength");
	MD("developed 4/10 CP", 10, 4, 0, "month/day: a pain score");
	MD("on 2/4 blood cultures", 3, 3, 0, "month/day: culture bottles");
	MD("FIO2 40% 6/3%", 9, 3, 0, "month/day: a percentage after");
	MD("dialysis 8/18", 9, 4, 1, "month/day: at the end of the text");
	return done_testing();
}
