#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "validate.h"

static size_t
digits(const char *s, size_t n, char *out, size_t cap)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (isdigit((unsigned char)s[i])) {
			if (k + 1 >= cap)
				return 0;
			out[k++] = s[i];
		}
	out[k] = '\0';
	return k;
}

static int
luhn_digits(const char *d, size_t k, int extra)
{
	int sum = extra, dbl = 0;
	size_t i;

	for (i = k; i-- > 0;) {
		int x = d[i] - '0';
		if (dbl && (x *= 2) > 9)
			x -= 9;
		sum += x;
		dbl = !dbl;
	}
	return sum % 10 == 0;
}

int
luhn_ok(const char *s, size_t n)
{
	char d[64];
	size_t k = digits(s, n, d, sizeof(d));

	return k >= 2 && luhn_digits(d, k, 0);
}

int
card_ok(const char *s, size_t n)
{
	char d[64];
	size_t k = digits(s, n, d, sizeof(d)), i;

	if (k < 13 || k > 19)
		return 0;
	for (i = 1; i < k && d[i] == d[0]; i++)
		;
	if (i == k)
		return 0;	/* 0000 0000 0000 0000 and friends */
	return luhn_digits(d, k, 0);
}

int
npi_ok(const char *s, size_t n)
{
	char d[32];
	size_t k = digits(s, n, d, sizeof(d));

	/*
	 * The NPI check digit is Luhn over "80840" + the first nine digits;
	 * the prefix contributes a constant 24 to the doubled sum.
	 */
	if (k != 10 || (d[0] != '1' && d[0] != '2'))
		return 0;
	return luhn_digits(d, k, 24);
}

int
dea_ok(const char *s, size_t n)
{
	static const char reg[] = "ABCDEFGHJKLMPRSTUX";
	int d[7], i, sum;

	if (n != 9 || !strchr(reg, toupper((unsigned char)s[0])) || s[0] == '\0')
		return 0;
	if (!isalpha((unsigned char)s[1]) && s[1] != '9')
		return 0;
	for (i = 0; i < 7; i++) {
		if (!isdigit((unsigned char)s[2 + i]))
			return 0;
		d[i] = s[2 + i] - '0';
	}
	sum = d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5]);
	return sum % 10 == d[6];
}

int
ssn_ok(const char *s, size_t n)
{
	char d[16];
	int area, group, serial;

	if (digits(s, n, d, sizeof(d)) != 9)
		return 0;
	area = (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0');
	group = (d[3] - '0') * 10 + (d[4] - '0');
	serial = atoi(d + 5);
	return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0;
}

int
ipv4_ok(const char *s, size_t n)
{
	int oct = 0, parts = 0, nd = 0;
	size_t i;

	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (nd == 0 || oct > 255)
				return 0;
			parts++;
			oct = nd = 0;
			continue;
		}
		if (!isdigit((unsigned char)s[i]) || nd == 3)
			return 0;
		if (nd == 1 && oct == 0)
			return 0;	/* leading zero: 010 is not an octet */
		oct = oct * 10 + (s[i] - '0');
		nd++;
	}
	return parts == 4;
}

int
ipv6_ok(const char *s, size_t n)
{
	unsigned char a[16];
	char t[64];

	if (n >= sizeof(t))
		return 0;
	memcpy(t, s, n);
	t[n] = '\0';
	return inet_pton(AF_INET6, t, a) == 1;
}

int
vin_ok(const char *s, size_t n)
{
	static const int w[17] = { 8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2 };
	static const char letters[] = "ABCDEFGHJKLMNPRSTUVWXYZ";
	static const int lv[] = { 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9,
	    2, 3, 4, 5, 6, 7, 8, 9 };
	int sum = 0, i, v, check;
	const char *p;

	if (n != 17)
		return 0;
	for (i = 0; i < 17; i++) {
		char c = (char)toupper((unsigned char)s[i]);
		if (isdigit((unsigned char)c))
			v = c - '0';
		else if (c != '\0' && (p = strchr(letters, c)) != NULL)
			v = lv[p - letters];
		else
			return 0;	/* I, O and Q never appear in a VIN */
		sum += v * w[i];
	}
	check = sum % 11;
	return (check == 10 ? 'X' : '0' + check) == toupper((unsigned char)s[8]);
}

static const char *const months[12] = {
	"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december",
};

int
iban_ok(const char *s, size_t n)
{
	char c[40];
	size_t i, k = 0;
	unsigned r = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == ' ')
			continue;
		if (k == sizeof(c) || !isalnum((unsigned char)s[i]))
			return 0;
		c[k++] = (char)toupper((unsigned char)s[i]);
	}
	if (k < 15 || k > 34 || !isalpha((unsigned char)c[0]) || !isalpha((unsigned char)c[1]) ||
	    !isdigit((unsigned char)c[2]) || !isdigit((unsigned char)c[3]))
		return 0;
	/* the first four characters move to the end; letters count 10..35 */
	for (i = 0; i < k; i++) {
		char ch = c[(i + 4) % k];
		if (isdigit((unsigned char)ch))
			r = (r * 10 + (unsigned)(ch - '0')) % 97;
		else
			r = (r * 100 + (unsigned)(ch - 'A' + 10)) % 97;
	}
	return r == 1;
}

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
mdays(int y, int m)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && leap(y) ? 29 : dm[m - 1];
}

static int
real_date(int y, int m, int d)
{
	if (m < 1 || m > 12)
		return 0;
	if (d == 0)
		return 1;
	return d >= 1 && d <= mdays(y ? y : 2000, m);
}

enum { ST_ISO, ST_NUM, ST_WORD };

/* Reads a number of 1..maxd digits at *i. */
static int
num(const char *s, size_t n, size_t *i, int maxd, int *v, int *nd)
{
	int k = 0, x = 0;

	while (*i < n && isdigit((unsigned char)s[*i]) && k < maxd) {
		x = x * 10 + (s[*i] - '0');
		(*i)++;
		k++;
	}
	if (k == 0 || (*i < n && isdigit((unsigned char)s[*i])))
		return -1;
	*v = x;
	*nd = k;
	return 0;
}

static int
month_word(const char *s, size_t n, size_t *i, int *m, struct pdate *d)
{
	size_t st = *i, len;
	int k;

	while (*i < n && isalpha((unsigned char)s[*i]))
		(*i)++;
	len = *i - st;
	if (len < 3)
		return -1;
	for (k = 0; k < 12; k++) {
		if (strncasecmp(s + st, months[k], len) == 0 &&
		    (len == strlen(months[k]) || len == 3 ||
		    (k == 8 && len == 4))) {
			*m = k + 1;
			d->mon_abbr = len != strlen(months[k]);
			d->mon_dot = *i < n && s[*i] == '.';
			d->mon_case = isupper((unsigned char)s[st + 1]) ? 2 :
			    isupper((unsigned char)s[st]) ? 1 : 0;
			if (*i < n && s[*i] == '.')
				(*i)++;
			return 0;
		}
	}
	return -1;
}

static void
skip_ordinal(const char *s, size_t n, size_t *i)
{
	if (*i + 1 < n && isalpha((unsigned char)s[*i]) &&
	    (!strncasecmp(s + *i, "st", 2) || !strncasecmp(s + *i, "nd", 2) ||
	    !strncasecmp(s + *i, "rd", 2) || !strncasecmp(s + *i, "th", 2)))
		*i += 2;
}

static int
year_ok(int y, int nd)
{
	return nd == 2 || (nd == 4 && y >= 1800 && y <= 2199);
}

int
date_parse(const char *s, size_t n, struct pdate *d)
{
	size_t i = 0, ys;
	int a, b, c, na, nb, nc;

	memset(d, 0, sizeof(*d));
	if (n == 0)
		return 0;
	if (isdigit((unsigned char)s[0])) {
		if (num(s, n, &i, 4, &a, &na) < 0)
			return 0;
		if (i < n && (s[i] == '-' || s[i] == '/' || s[i] == '.') && na == 4) {
			/* 2023-03-27, 2023/03/27 */
			d->sep = s[i++];
			if (num(s, n, &i, 2, &b, &nb) < 0 || i >= n || s[i] != d->sep)
				return 0;
			i++;
			if (num(s, n, &i, 2, &c, &nc) < 0 || i != n)
				return 0;
			d->style = ST_ISO;
			d->y = a, d->m = b, d->d = c;
			d->ypos = 0, d->ylen = 4;
			return year_ok(a, 4) && real_date(a, b, c);
		}
		if (i < n && (s[i] == '-' || s[i] == '/' || s[i] == '.') && na <= 2) {
			/* 04/15/2022, 5/9/24, 04-15-2022 */
			d->sep = s[i++];
			if (num(s, n, &i, 2, &b, &nb) < 0)
				return 0;
			d->style = ST_NUM;
			d->m = a, d->d = b;
			d->pad = na == 2;
			if (i == n)
				return real_date(0, a, b) && d->sep == '/';
			if (s[i] != d->sep)
				return 0;
			i++;
			ys = i;
			if (num(s, n, &i, 4, &c, &nc) < 0 || i != n || (nc != 2 && nc != 4))
				return 0;
			d->ypos = (int)ys, d->ylen = nc;
			d->yy = nc == 2;
			d->y = nc == 2 ? (c < 50 ? 2000 + c : 1900 + c) : c;
			return year_ok(c, nc) && real_date(d->y, a, b);
		}
		/* 5 March 2020, 5th of March 2020 */
		if (na > 2)
			return 0;
		skip_ordinal(s, n, &i);
		while (i < n && s[i] == ' ')
			i++;
		if (i + 3 < n && !strncasecmp(s + i, "of ", 3))
			i += 3;
		if (month_word(s, n, &i, &b, d) < 0)
			return 0;
		d->style = ST_WORD;
		d->dfirst = 1;
		d->d = a, d->m = b;
		if (i < n && s[i] == ',')
			i++;
		while (i < n && s[i] == ' ')
			i++;
		if (i == n)
			return real_date(0, b, a);
		ys = i;
		if (num(s, n, &i, 4, &c, &nc) < 0 || i != n || nc != 4)
			return 0;
		d->y = c, d->ypos = (int)ys, d->ylen = 4;
		return year_ok(c, 4) && real_date(c, b, a);
	}
	/* March 5, 2020; Mar. 5th 2020; March 2020; March of 2020; March 5 */
	if (month_word(s, n, &i, &a, d) < 0)
		return 0;
	d->style = ST_WORD;
	d->m = a;
	if (i < n && s[i] == ',')
		i++;
	while (i < n && s[i] == ' ')
		i++;
	if (i + 3 < n && !strncasecmp(s + i, "of ", 3))
		for (i += 3; i < n && s[i] == ' '; i++)
			;
	if (num(s, n, &i, 4, &b, &nb) < 0)
		return 0;
	if (nb == 4) {
		d->y = b, d->ypos = (int)(i - 4), d->ylen = 4;
		return i == n && year_ok(b, 4);
	}
	d->d = b;
	skip_ordinal(s, n, &i);
	if (i < n && s[i] == ',')
		i++;
	while (i < n && s[i] == ' ')
		i++;
	if (i == n)
		return real_date(0, a, b);
	ys = i;
	if (num(s, n, &i, 4, &c, &nc) < 0 || i != n || nc != 4)
		return 0;
	d->y = c, d->ypos = (int)ys, d->ylen = 4;
	return year_ok(c, 4) && real_date(c, a, b);
}

/* Days from civil (Howard Hinnant's algorithm), for exact shifting. */
static long
days_from_civil(int y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(long z, int *y, int *m, int *d)
{
	long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

size_t
date_shift_format(const struct pdate *dt, long days, char *out, size_t cap)
{
	char mon[16];
	int y = dt->y ? dt->y : 2001, m = dt->m, d = dt->d ? dt->d : 15, k;
	size_t len;
	int r;

	civil_from_days(days_from_civil(y, m, d) + days, &y, &m, &d);
	snprintf(mon, sizeof(mon), "%s", months[m - 1]);
	if (dt->mon_abbr)
		snprintf(mon + 3, sizeof(mon) - 3, "%s", dt->mon_dot ? "." : "");
	for (k = 0; mon[k]; k++)
		if (dt->mon_case == 2 || (dt->mon_case == 1 && k == 0))
			mon[k] = (char)toupper((unsigned char)mon[k]);
	switch (dt->style) {
	case ST_ISO:
		r = snprintf(out, cap, "%04d%c%02d%c%02d", y, dt->sep, m, dt->sep, d);
		break;
	case ST_NUM:
		/* the layout it came in: 3/5/2024, 03/05/24, 03/14 */
		if (!dt->y)
			r = snprintf(out, cap, dt->pad ? "%02d/%02d" : "%d/%d", m, d);
		else if (dt->yy)
			r = snprintf(out, cap, dt->pad ? "%02d%c%02d%c%02d" : "%d%c%d%c%02d",
			    m, dt->sep, d, dt->sep, y % 100);
		else
			r = snprintf(out, cap, dt->pad ? "%02d%c%02d%c%04d" : "%d%c%d%c%04d",
			    m, dt->sep, d, dt->sep, y);
		break;
	default:
		if (!dt->d)
			r = snprintf(out, cap, "%s %04d", mon, y);
		else if (dt->dfirst)
			r = dt->y ? snprintf(out, cap, "%d %s %04d", d, mon, y) :
			    snprintf(out, cap, "%d %s", d, mon);
		else
			r = dt->y ? snprintf(out, cap, "%s %d, %04d", mon, d, y) :
			    snprintf(out, cap, "%s %d", mon, d);
	}
	len = r < 0 ? 0 : (size_t)r;
	return len < cap ? len : cap - 1;
}

static const char *const states[] = {
	"AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI",
	"ID", "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN",
	"MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH",
	"OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
	"WV", "WI", "WY", "PR", "VI", "GU", "AS", "MP",
	"Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado",
	"Connecticut", "Delaware", "Florida", "Georgia", "Hawaii", "Idaho",
	"Illinois", "Indiana", "Iowa", "Kansas", "Kentucky", "Louisiana", "Maine",
	"Maryland", "Massachusetts", "Michigan", "Minnesota", "Mississippi",
	"Missouri", "Montana", "Nebraska", "Nevada", "Hampshire", "Jersey",
	"Mexico", "York", "Carolina", "Dakota", "Ohio", "Oklahoma", "Oregon",
	"Pennsylvania", "Island", "Tennessee", "Texas", "Utah", "Vermont",
	"Virginia", "Washington", "Wisconsin", "Wyoming", "Rico", "Columbia",
};

int
state_before(const char *text, size_t end)
{
	size_t e = end, b, i;

	while (e > 0 && text[e - 1] == ' ')
		e--;
	if (e > 0 && (text[e - 1] == ',' || text[e - 1] == '.'))
		e--;
	for (b = e; b > 0 && isalpha((unsigned char)text[b - 1]); b--)
		;
	if (b == e || (b > 0 && isalnum((unsigned char)text[b - 1])))
		return 0;
	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strlen(states[i]) == e - b && memcmp(states[i], text + b, e - b) == 0)
			return 1;
	return 0;
}

/*
 * Words near a bare month/day ("8/25") that say it is a setting, a
 * fraction, a score or a count instead: ventilator settings ("PSV 10/5",
 * "on 5/5"), strengths ("1/4 strength"), pain scores ("4/10 CP"), culture
 * bottles ("2/4 blood cultures").
 */
static const char *const md_before[] = {
	"psv", "ps", "cpap", "peep", "vent", "imv", "simv", "ac", "flowby", "support", "mask",
	"bipap", "ventilation", "trial", "trialed", "tried", "remained", "placed", "weaned",
	"wean", "setting", "settings", "pressure", "mode", "angina", "pain", "cp", "strength",
	"crackles", "rales", "rated", "score", "scored", "scale", "grade", "murmur", "sem",
};
static const char *const md_after[] = {
	"psv", "ps", "peep", "cpap", "str", "strength", "ns", "amp", "amps", "dose", "doses",
	"hr", "hrs", "hour", "hours", "way", "tab", "tabs", "tablet", "bl", "blood", "bottle",
	"bottles", "up", "pain", "cp", "discomfort", "scale", "sem", "murmur", "of",
};

static int
in_words(const char *w, size_t n, const char *const *set, size_t nset)
{
	size_t i, k;
	char low[16];

	if (n == 0 || n >= sizeof(low))
		return 0;
	for (k = 0; k < n; k++)
		low[k] = (char)tolower((unsigned char)w[k]);
	for (i = 0; i < nset; i++)
		if (strlen(set[i]) == n && memcmp(set[i], low, n) == 0)
			return 1;
	return 0;
}

/*
 * A month/day with no year, text[vs..ve) of text[0..n): a real day of the
 * year, not a fraction (1/2, 3/4), not one number twice (5/5, 10/10), and
 * no setting, score or strength word among the four words before it or
 * the three after.
 */
static int
month_day_ok(const char *text, size_t n, size_t vs, size_t ve)
{
	const char *s = text + vs, *sl = memchr(s, '/', ve - vs);
	size_t i, b, e, w;
	int m, d;

	if (sl == NULL)
		return 0;
	m = atoi(s);
	d = atoi(sl + 1);
	if (m < 1 || m > 12 || d < 1 || d > 31 || m == d || (m < d && d <= 4))
		return 0;
	for (e = vs, w = 0; w < 4 && e > 0; w++) {
		while (e > 0 && !isalnum((unsigned char)text[e - 1]))
			e--;
		for (b = e; b > 0 && isalnum((unsigned char)text[b - 1]); b--)
			;
		if (in_words(text + b, e - b, md_before, sizeof(md_before) / sizeof(md_before[0])))
			return 0;
		e = b;
	}
	for (b = ve, w = 0; w < 3 && b < n; w++) {
		while (b < n && !isalnum((unsigned char)text[b]) && text[b] != '%')
			b++;
		if (b < n && text[b] == '%')
			return 0;
		for (i = b; i < n && isalnum((unsigned char)text[i]); i++)
			;
		if (in_words(text + b, i - b, md_after, sizeof(md_after) / sizeof(md_after[0])))
			return 0;
		b = i;
	}
	return 1;
}

int
validate(int v, const char *text, size_t tn, size_t vs, size_t ve, int age_over)
{
	const char *s = text + vs;
	size_t n = ve - vs;
	struct pdate d;
	char t[8];

	switch (v) {
	case V_NONE:
		return 1;
	case V_LUHN:
		return luhn_ok(s, n);
	case V_CARD:
		return card_ok(s, n);
	case V_NPI:
		return npi_ok(s, n);
	case V_DEA:
		return dea_ok(s, n);
	case V_SSN:
		return ssn_ok(s, n);
	case V_DATE:
		return date_parse(s, n, &d);
	case V_IPV4:
		return ipv4_ok(s, n);
	case V_IPV6:
		return ipv6_ok(s, n);
	case V_VIN:
		return vin_ok(s, n);
	case V_AGE:
		if (n == 0 || n > 3)
			return 0;
		memcpy(t, s, n);
		t[n] = '\0';
		return atoi(t) > age_over;
	case V_ZIP:
		return n >= 5 && isdigit((unsigned char)s[0]);
	case V_AFTER_STATE:
		return state_before(text, vs);
	case V_IBAN:
		return iban_ok(s, n);
	case V_MONTH_DAY:
		return month_day_ok(text, tn, vs, ve);
	case V_PHONE_ANY: {
		char dg[24];
		size_t k = digits(s, n, dg, sizeof(dg));
		/* seven digits (a local number) to fifteen (E.164), not all one digit */
		return k >= 7 && k <= 15 && strspn(dg, "0") < k;
	}
	case V_PHONE: {
		char dg[24];
		size_t k = digits(s, n, dg, sizeof(dg));
		const char *p = dg;
		if (k == 11 && dg[0] == '1')
			p++, k--;
		/* NANP: area and exchange codes start 2-9 */
		return k == 10 && p[0] >= '2' && p[3] >= '2';
	}
	}
	return 0;
}
