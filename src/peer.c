/*
 * The client's address as text: the UCSPI and inetd-style environment
 * first, the socket second. Never resolved through DNS.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "smtpexec.h"

static int	peer_text(int, const void *, char *, size_t);
static int	peer_from_string(const char *, char *, size_t);

/* An IPv4-mapped IPv6 address is written as the IPv4 address it is. */
static int
peer_text(int af, const void *addr, char *buf, size_t len)
{
	const unsigned char *a = addr;
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	if (af == AF_INET6 && memcmp(a, mapped, sizeof(mapped)) == 0)
		return inet_ntop(AF_INET, a + 12, buf, (socklen_t)len) != NULL;
	return inet_ntop(af, addr, buf, (socklen_t)len) != NULL;
}

static int
peer_from_string(const char *s, char *buf, size_t len)
{
	unsigned char addr[16];

	if (s == NULL)
		return 0;
	if (inet_pton(AF_INET, s, addr) == 1)
		return peer_text(AF_INET, addr, buf, len);
	if (inet_pton(AF_INET6, s, addr) == 1)
		return peer_text(AF_INET6, addr, buf, len);
	return 0;
}

/* Fills buf with the peer's IP, or "" when none can be known. */
void
peer_init(char *buf, size_t len)
{
	static const char *const vars[] = {
		"TCPREMOTEIP", "REMOTE_ADDR", "REMOTE_HOST"
	};
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (peer_from_string(getenv(vars[i]), buf, len))
			return;
	if (getpeername(0, (struct sockaddr *)&ss, &sslen) == -1)
		return;
	if (ss.ss_family == AF_INET &&
	    peer_text(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, buf, len))
		return;
	if (ss.ss_family == AF_INET6 &&
	    peer_text(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, buf,
	    len))
		return;
	buf[0] = '\0';
}
