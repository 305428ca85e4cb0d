/*
 * Address syntax: paths and mailboxes (RFC 5321 4.1.2, 4.1.3), UTF-8
 * addresses (RFC 6531 3.3), HELO names, and the --domain check.
 */
#include <arpa/inet.h>

#include <string.h>
#include <strings.h>

#include "smtpexec.h"

#define LABEL_MAX	63	/* RFC 1035 2.3.4 */

static size_t	utf8_char(const unsigned char *, size_t);
static int	is_atext(unsigned char, int);
static int	is_letdig(unsigned char, int);
static size_t	parse_dotstring(const unsigned char *, size_t, int);
static size_t	parse_quoted(const unsigned char *, size_t, int);
static size_t	parse_domain(const unsigned char *, size_t, int);
static size_t	parse_literal(const unsigned char *, size_t);

/* Length of the valid UTF-8 sequence at p (RFC 3629 4), 0 if invalid. */
static size_t
utf8_char(const unsigned char *p, size_t len)
{
	size_t n, i;
	unsigned int cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

static int
is_atext(unsigned char c, int utf8)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	if (c >= 0x80)
		return utf8;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static int
is_letdig(unsigned char c, int utf8)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c >= 0x80 && utf8);
}

/* Each returns the length of the longest valid prefix, 0 for none. */
static size_t
parse_dotstring(const unsigned char *p, size_t len, int utf8)
{
	size_t i = 0, atom = 0;

	while (i < len) {
		if (p[i] == '.') {
			if (atom == 0)
				return 0;
			atom = 0;
			i++;
			continue;
		}
		if (!is_atext(p[i], utf8))
			break;
		atom++;
		i++;
	}
	if (atom == 0)
		return 0;
	return i;
}

static size_t
parse_quoted(const unsigned char *p, size_t len, int utf8)
{
	size_t i;

	if (len < 2 || p[0] != '"')
		return 0;
	for (i = 1; i < len; i++) {
		if (p[i] == '"')
			return i + 1;
		if (p[i] == '\\') {
			if (i + 1 >= len || p[i + 1] < 32 || p[i + 1] > 126)
				return 0;
			i++;
		} else if (p[i] < 32 || p[i] == 127 || (p[i] >= 0x80 && !utf8))
			return 0;
	}
	return 0;
}

static size_t
parse_domain(const unsigned char *p, size_t len, int utf8)
{
	size_t i = 0, label = 0;

	while (i < len) {
		if (p[i] == '.') {
			if (label == 0 || p[i - 1] == '-')
				return 0;
			label = 0;
			i++;
			continue;
		}
		if (p[i] == '-' ? label == 0 : !is_letdig(p[i], utf8))
			break;
		if (++label > LABEL_MAX)
			return 0;
		i++;
	}
	if (label == 0 || p[i - 1] == '-' || i > SMTP_DOMAIN_MAX)
		return 0;
	return i;
}

/* "[" (IPv4 / "IPv6:" IPv6 / tag ":" dcontent) "]", RFC 5321 4.1.3. */
static size_t
parse_literal(const unsigned char *p, size_t len)
{
	char text[SMTP_DOMAIN_MAX + 1];
	unsigned char addr[16];
	const unsigned char *close;
	size_t n, i, tag;

	if (len < 3 || p[0] != '[' ||
	    (close = memchr(p, ']', len)) == NULL)
		return 0;
	n = (size_t)(close - p) - 1;
	if (n == 0 || n >= sizeof(text))
		return 0;
	memcpy(text, p + 1, n);
	text[n] = '\0';
	if (inet_pton(AF_INET, text, addr) == 1)
		return n + 2;
	if (strncasecmp(text, "IPv6:", 5) == 0)
		return inet_pton(AF_INET6, text + 5, addr) == 1 ? n + 2 : 0;
	tag = parse_domain((const unsigned char *)text, n, 0);
	if (tag == 0 || tag >= n || text[tag] != ':' || tag + 1 == n)
		return 0;
	for (i = tag + 1; i < n; i++)
		if (p[1 + i] < 33 || p[1 + i] > 126 || p[1 + i] == '[' ||
		    p[1 + i] == '\\')
			return 0;
	return n + 2;
}

/*
 * Checks path (with its angle brackets, len octets) and copies the
 * mailbox, without brackets or source route, into out (SMTP_PATH_MAX+1).
 * flags: null sender allowed (MAIL), <postmaster> allowed (RCPT), UTF-8.
 */
int
addr_parse_path(const char *path, size_t len, char *out, int flags)
{
	const unsigned char *p = (const unsigned char *)path, *end;
	size_t i, n, mlen;

	if (len > SMTP_PATH_MAX || len < 2 || p[0] != '<' || p[len - 1] != '>')
		return ADDR_SYNTAX;
	for (i = 0; i < len; i += n) {
		if (p[i] >= 0x80 && !(flags & ADDR_F_UTF8))
			return ADDR_UTF8;
		if ((n = utf8_char(p + i, len - i)) == 0)
			return ADDR_SYNTAX;
	}
	p++;
	len -= 2;
	if (len == 0) {
		if (!(flags & ADDR_F_NULL))
			return ADDR_SYNTAX;
		out[0] = '\0';
		return ADDR_OK;
	}
	end = p + len;
	/* A-d-l ":" is accepted and dropped (RFC 5321 4.1.2, C.). */
	if (p[0] == '@') {
		for (;;) {
			if (p >= end || *p++ != '@' ||
			    (n = parse_domain(p, (size_t)(end - p),
			    flags & ADDR_F_UTF8)) == 0)
				return ADDR_SYNTAX;
			p += n;
			if (p < end && *p == ',') {
				p++;
				continue;
			}
			if (p < end && *p == ':') {
				p++;
				break;
			}
			return ADDR_SYNTAX;
		}
	}
	mlen = (size_t)(end - p);
	if ((flags & ADDR_F_POSTMASTER) && mlen == 10 &&
	    strncasecmp((const char *)p, "postmaster", 10) == 0)
		goto ok;
	if (p < end && *p == '"')
		n = parse_quoted(p, mlen, flags & ADDR_F_UTF8);
	else
		n = parse_dotstring(p, mlen, flags & ADDR_F_UTF8);
	if (n == 0 || n >= mlen || p[n] != '@')
		return ADDR_SYNTAX;
	n++;
	if (p[n] == '[')
		i = parse_literal(p + n, mlen - n);
	else
		i = parse_domain(p + n, mlen - n, flags & ADDR_F_UTF8);
	if (i == 0 || n + i != mlen)
		return ADDR_SYNTAX;
ok:
	if (p[0] == '-')
		return ADDR_DASH;
	memcpy(out, p, mlen);
	out[mlen] = '\0';
	return ADDR_OK;
}

/* RFC 5321 4.1.1.1, loosely: a name of [A-Za-z0-9._-] or an address literal. */
int
addr_valid_helo(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > SMTP_DOMAIN_MAX)
		return 0;
	if (s[0] == '[')
		return parse_literal((const unsigned char *)s, len) == len;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-_") == len;
}

/* A domain for --domain: RFC 5321 Domain, U-labels allowed, final dot ok. */
int
addr_valid_domain(const char *s, size_t len, int utf8)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, n;

	if (len > 1 && s[len - 1] == '.')
		len--;
	for (i = 0; i < len; i += n)
		if ((n = utf8_char(p + i, len - i)) == 0)
			return 0;
	return len > 0 && parse_domain(p, len, utf8) == len;
}

int
addr_is_postmaster(const char *mailbox)
{
	return strcasecmp(mailbox, "postmaster") == 0;
}

/*
 * Whether mailbox (as addr_parse_path left it) is in one of --domain:
 * exact, ASCII case-insensitive, a final dot ignored, no literals.
 */
int
addr_domain_allowed(const struct conf *conf, const char *mailbox)
{
	const char *at = strrchr(mailbox, '@'), *d;
	size_t len, dlen, i;

	if (at == NULL || at[1] == '[')
		return 0;
	at++;
	len = strlen(at);	/* addr_parse_path allows no final dot */
	for (i = 0; i < conf->ndomains; i++) {
		d = conf->domains[i];
		dlen = strlen(d);
		if (dlen > 0 && d[dlen - 1] == '.')
			dlen--;
		if (dlen == len && strncasecmp(d, at, len) == 0)
			return 1;
	}
	return 0;
}
