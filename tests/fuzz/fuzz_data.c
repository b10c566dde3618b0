/* libFuzzer: JSON APIs, script literals and XML records.  The first byte
 * picks the format. */
#include "parse/parse.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct parse_rules rules[] = {
		{.format = PARSE_JSON, .items = "data.rows", .title = "title",
		 .link = "/article?id={id}", .date = "publishedDate"},
		{.format = PARSE_SCRIPT, .script = "listData", .items = "articleList",
		 .title = "title", .link = "url", .date = "publishTime"},
		{.format = PARSE_JSON, .html = "data.html"},
		{.format = PARSE_XML, .items = "//kwap", .title = "kaosxmmc", .date = "kaosrq"},
	};
	struct parse_list l = {0};
	char err[256];

	if (size == 0)
		return 0;
	if (parse_page((const char *)data + 1, size - 1, "http://fuzz.example/x/", &rules[data[0] % 4],
	               &l, err, sizeof(err)) == 0)
		parse_list_free(&l);
	return 0;
}
