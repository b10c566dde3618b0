"""The shape issue 14 asks of the code: no function over 100 lines, a
Makefile that silences no warning, and the config keys in one table that
holds every key noticewatch has always read."""
import os
import re

from harness import ROOT, eq, main, ok, test

# every key config/config.c read before the table (issue 14)
KEYS = """author authority body branch broken_after catalog certificate chat_id concurrency
content database date detail_days enabled encoding exclude first_days format from header kinds
html include insecure interval items lang link max_bytes max_size method mode name
outbox_max_age outbox_retry pages password password_env password_file path per_host remote
script secret secret_env seen sources stale_days subject timeout title tls to url user_agent
username""".split()


def c_files():
    for d, dirs, files in os.walk(ROOT):
        dirs[:] = [x for x in dirs if not x.startswith(".") and x != "build"]
        for f in files:
            if f.endswith(".c"):
                yield os.path.join(d, f)


def function_lengths(path):
    """(name, first line, lines): from the name's line at column 0 to the
    closing brace at column 0."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read().split("\n")
    i = 0
    while i < len(text):
        m = re.match(r"^([A-Za-z_]\w*)\s*\(", text[i])
        if m and not text[i].rstrip().endswith(";"):
            j = i
            while j < len(text) and not text[j].startswith("{") and \
                    not text[j].rstrip().endswith(";"):
                j += 1
            if j < len(text) and text[j].startswith("{"):
                k = j + 1
                while k < len(text) and not text[k].startswith("}"):
                    k += 1
                yield m.group(1), i + 1, k - i + 1
                i = k
        i += 1


def config_keys():
    """The keys of the table in config/config.c (test_report reads them the
    same way)."""
    with open(os.path.join(ROOT, "config", "config.c"), encoding="utf-8") as f:
        return re.findall(r'^\t\{"([a-z_]+)",\s*\w+,\s*(?:MAIN|SOURCE|EMAIL|WEBHOOK|GIT)\(',
                          f.read(), re.M)


@test
def no_function_over_100_lines():
    long = []
    n = 0
    for path in c_files():
        for name, line, count in function_lengths(path):
            n += 1
            if count > 100:
                long.append("%s:%d %s (%d lines)" % (os.path.relpath(path, ROOT), line, name,
                                                      count))
    ok(n > 400, "functions measured: %d" % n)
    eq(long, [], "functions over 100 lines")


@test
def makefile_silences_no_warning():
    with open(os.path.join(ROOT, "Makefile"), encoding="utf-8") as f:
        eq(re.findall(r"-Wno-[\w=-]+", f.read()), [], "warnings silenced")


@test
def config_keys_in_one_table():
    with open(os.path.join(ROOT, "config", "config.c"), encoding="utf-8") as f:
        text = f.read()
    eq(re.findall(r'strcmp\(key, "([a-z_]+)"\)', text), [], "keys matched outside the table")
    eq(sorted(set(config_keys())), sorted(KEYS), "the table's keys")


if __name__ == "__main__":
    main()
