/*
 * Pure parsing of command lines: verb and arguments, the path and the
 * parameters of MAIL and RCPT. No I/O, no state.
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "smtpexec.h"

/*
 * Splits line in place into verb and arguments. Returns -1 when the line
 * holds a control byte (NUL, CR, TAB, DEL...), which no command allows.
 */
int
cmd_parse(char *line, size_t len, struct cmd *cmd)
{
	size_t i;
	char *sp;

	for (i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			return -1;
	cmd->verb = line;
	cmd->args = NULL;
	if ((sp = strchr(line, ' ')) != NULL) {
		*sp = '\0';
		if (sp[1] != '\0')
			cmd->args = sp + 1;
	}
	return 0;
}

/*
 * For "FROM:<path> params" (prefix "FROM:") finds the path, angle
 * brackets included, and the parameter text after it. One space after
 * the colon is tolerated. Returns CMD_NOPREFIX without the prefix,
 * CMD_BADPATH when the path is not framed by angle brackets.
 */
int
cmd_path(char *args, const char *prefix, char **path, size_t *pathlen,
    char **params)
{
	size_t plen = strlen(prefix);
	int quoted = 0;
	char *p;

	if (args == NULL || strncasecmp(args, prefix, plen) != 0)
		return CMD_NOPREFIX;
	p = args + plen;
	if (*p == ' ')
		p++;
	if (*p != '<')
		return CMD_BADPATH;
	*path = p;
	for (p++; *p != '\0'; p++) {
		if (quoted && *p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == '>')
			break;
	}
	if (*p != '>')
		return CMD_BADPATH;
	*pathlen = (size_t)(p - *path) + 1;
	p++;
	if (*p != '\0' && *p != ' ')
		return CMD_BADPATH;
	while (*p == ' ')
		p++;
	*params = p;
	return 0;
}

/*
 * Takes the next "KEYWORD[=value]" from *params. Returns 0 when there is
 * none left; *value is NULL for a parameter without "=".
 */
int
cmd_param_next(char **params, char **key, char **value)
{
	char *p = *params, *eq;

	while (*p == ' ')
		p++;
	if (*p == '\0')
		return 0;
	*key = p;
	while (*p != '\0' && *p != ' ')
		p++;
	if (*p == ' ')
		*p++ = '\0';
	*params = p;
	if ((eq = strchr(*key, '=')) != NULL) {
		*eq = '\0';
		*value = eq + 1;
	} else
		*value = NULL;
	return 1;
}
