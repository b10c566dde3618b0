/* libFuzzer: the HTML extractors on arbitrary bytes, decoded as the
 * pipeline decodes them. */
#include "fetch/fetch.h"
#include "parse/parse.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = NULL, used[64], err[256], *text = NULL, *att = NULL, *next;
	size_t len;
	struct parse_list l = {0};
	struct parse_rules generic = {0};

	if (fetch_decode((const char *)data, size, NULL, NULL, &body, &len, used, sizeof(used), err,
	                 sizeof(err)) < 0)
		return 0;
	if (parse_page(body, len, "http://fuzz.example/a/b/list.html", &generic, &l, err,
	               sizeof(err)) == 0)
		parse_list_free(&l);
	next = parse_next_page(body, len, "http://fuzz.example/a/b/list.html");
	free(next);
	if (parse_article(body, len, "http://fuzz.example/a/b/1.html", NULL, &text, &att, err,
	                  sizeof(err)) == 0) {
		free(text);
		free(att);
	}
	free(body);
	return 0;
}
