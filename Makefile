# noticewatch — see README.md
CC      ?= cc
PKGS    := libcurl libxml-2.0 sqlite3 inih jansson libcrypto libgit2 libpcre2-8
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -pthread -Wall -Wextra -Werror -I.
CFLAGS  += $(shell pkg-config --cflags $(PKGS) 2>/dev/null || echo -I/usr/include/libxml2)
LDLIBS  += -pthread $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lcurl -lxml2 -lsqlite3 -linih -ljansson -lcrypto -lgit2 -lpcre2-8)

# SANITIZE=thread: ThreadSanitizer; any other SANITIZE (SANITIZE=1): ASan
# and UBSan.  A report fails the test that ran into it (exit 66 / abort).
ifeq ($(SANITIZE),thread)
CFLAGS  += -fsanitize=thread -fno-omit-frame-pointer
LDFLAGS += -fsanitize=thread
# no suppressions: libcurl, libgit2 and SQLite of Debian 12 raise no report
export TSAN_OPTIONS = halt_on_error=1:second_deadlock_stack=1
else ifdef SANITIZE
CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
export LSAN_OPTIONS = suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0
endif

# Objects are rebuilt when the flags change (SANITIZE=1 and back).
FLAGS := $(CC) $(CFLAGS) $(LDFLAGS) $(LDLIBS)
# install and uninstall alone leave the stamp as it is: they install what
# was built, with whatever flags it was built with.
ifneq ($(MAKECMDGOALS),)
ifeq ($(filter-out install uninstall,$(MAKECMDGOALS)),)
KEEP_FLAGS := 1
endif
endif
ifndef KEEP_FLAGS
$(shell printf '%s\n' '$(FLAGS)' | cmp -s - .flags || printf '%s\n' '$(FLAGS)' > .flags)
endif
.flags:
	@printf '%s\n' '$(FLAGS)' > $@

# Debian packages the build and the tests need (README explains each).
BUILD_DEBS := gcc make pkg-config gettext libcurl4-openssl-dev libxml2-dev libsqlite3-dev libinih-dev libjansson-dev libssl-dev libgit2-dev libpcre2-dev
TEST_DEBS  := sqlite3 python3 python3-aiosmtpd git openssl ca-certificates \
              python3-feedparser python3-pil chromium fonts-wqy-microhei

LIB_SRC := base/buf.c base/hash.c base/msg.c fetch/fetch.c fetch/decode.c \
           parse/parse.c parse/date.c parse/data.c parse/facts.c store/store.c \
           notify/email.c notify/webhook.c notify/git.c notify/notify.c config/config.c \
           run/read.c run/record.c run/details.c run/deliver.c run/check.c run/run.c \
           report/board.c report/feed.c report/views.c report/tree.c config/catalog.S
LIB_OBJ := $(patsubst %.S,%.o,$(LIB_SRC:.c=.o))
UNIT    := $(patsubst %.c,%,$(wildcard tests/unit/test_*.c))
FUZZ_TARGETS := extract date decode config data
REPLAY  := $(patsubst %,tests/fuzz/replay_%,$(FUZZ_TARGETS))

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/noticewatch
UNITDIR ?= $(PREFIX)/lib/systemd/system
LOCALEDIR ?= $(PREFIX)/share/locale
PO    := $(wildcard po/*.po)
LANGS := $(patsubst po/%.po,%,$(PO))
MO    := $(patsubst po/%.po,po/locale/%/LC_MESSAGES/noticewatch.mo,$(PO))

# (after MO: a rule's prerequisites are read as the rule is)
all: noticewatch $(MO)
CFLAGS  += -DLOCALEDIR='"$(LOCALEDIR)"'
INSTALLED := $(BINDIR)/noticewatch $(MANDIR)/man1/noticewatch.1 $(DATADIR)/provinces.ini \
             $(DATADIR)/noticewatch.ini.example $(UNITDIR)/noticewatch.service \
             $(UNITDIR)/noticewatch.timer \
             $(patsubst po/%.po,$(LOCALEDIR)/%/LC_MESSAGES/noticewatch.mo,$(PO))

# make install [PREFIX=/usr/local] [DESTDIR=]: the binary, the man page, the
# catalog, an example config and the systemd units (with this BINDIR).
install: noticewatch $(MO)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DATADIR) \
	  $(DESTDIR)$(UNITDIR)
	install -m 755 noticewatch $(DESTDIR)$(BINDIR)/noticewatch
	install -m 644 doc/noticewatch.1 $(DESTDIR)$(MANDIR)/man1/noticewatch.1
	install -m 644 sources/provinces.ini $(DESTDIR)$(DATADIR)/provinces.ini
	install -m 644 doc/noticewatch.ini.example $(DESTDIR)$(DATADIR)/noticewatch.ini.example
	sed 's|@BINDIR@|$(BINDIR)|g' dist/noticewatch.service > $(DESTDIR)$(UNITDIR)/noticewatch.service
	install -m 644 dist/noticewatch.timer $(DESTDIR)$(UNITDIR)/noticewatch.timer
	for m in $(MO); do l=$${m#po/locale/}; l=$${l%%/*}; \
	  install -d $(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES && \
	  install -m 644 $$m $(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES/noticewatch.mo || exit 1; done

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(DATADIR) 2>/dev/null
	-for l in $(LANGS); do rmdir $(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES \
	  $(DESTDIR)$(LOCALEDIR)/$$l 2>/dev/null; done; true

# The translations (gettext): po/LANG.po compiled into the build tree's
# po/locale (the tests read it there through NOTICEWATCH_LOCALEDIR), and
# installed into LOCALEDIR.  make pot: the template, from the sources' _().

po/locale/%/LC_MESSAGES/noticewatch.mo: po/%.po
	@mkdir -p $(dir $@)
	msgfmt --check -o $@ $<

pot:
	xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ --keyword=ngettext:1,2 --keyword=C_:1c,2 \
	  --add-comments=TRANSLATORS --package-name=noticewatch --no-location --sort-output \
	  -o po/noticewatch.pot $(filter %.c,$(LIB_SRC)) cli/main.c

noticewatch: cli/main.o libnoticewatch.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

libnoticewatch.a: $(LIB_OBJ)
	rm -f $@ && $(AR) rcs $@ $^

config/catalog.o: config/catalog.S sources/provinces.ini doc/noticewatch.ini.example .flags
	$(CC) -c -o $@ config/catalog.S

%.o: %.c $(wildcard */*.h) .flags
	$(CC) $(CFLAGS) -c -o $@ $<

tests/unit/%: tests/unit/%.c tests/unit/t.h libnoticewatch.a .flags
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< libnoticewatch.a $(LDLIBS)

# Each fuzz target's corpus replayed as an ordinary test (gcc, no fuzzer).
tests/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c libnoticewatch.a .flags
	$(CC) $(CFLAGS) $(LDFLAGS) -DCORPUS='"tests/fuzz/corpus/$*"' \
	  -DSEEDS='"$(if $(filter extract decode,$*),tests/fixtures)"' -o $@ $< tests/fuzz/replay.c \
	  libnoticewatch.a $(LDLIBS)

# Installs missing Debian packages when root with apt-get, else names them.
deps:
	@missing=; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing:$$missing"; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	else echo "missing Debian packages; run: sudo apt-get install$$missing" >&2; exit 1; fi

build-deps:
	@$(MAKE) --no-print-directory deps DEBS="$(BUILD_DEBS)"

test-deps:
	@$(MAKE) --no-print-directory deps DEBS="$(BUILD_DEBS) $(TEST_DEBS)"

# The main job: build, write a starter config on first use, check every due
# source; then the next step as it is typed.  Sources that failed (exit 1,
# each named on stderr) are what a first run over the catalog meets; the
# config, the database or the lock failing the run (2, 3, 75) fails make.
run: build-deps
	@$(MAKE) --no-print-directory noticewatch
	@[ -f noticewatch.ini ] || ./noticewatch init .
	@./noticewatch run; rc=$$?; [ $$rc -le 1 ] || exit $$rc; \
	  echo "next: ./noticewatch run (again, or from cron: see README); ./noticewatch report"

check: test-deps
	@$(MAKE) --no-print-directory noticewatch $(MO) $(UNIT) $(REPLAY)
	@sh tests/run.sh $(UNIT) $(REPLAY)

# libFuzzer (clang) on the extractors, the date parser, the decoder, the
# config reader and the data formats, FUZZ_SECONDS each.  New inputs stay
# in tests/fuzz/build; a crash lands in tests/fuzz/corpus/TARGET/ and is
# replayed by make check from then on.
FUZZ_SECONDS ?= 60
FUZZ_DIR := tests/fuzz/build
FUZZ_CFLAGS = -g -O1 -std=c11 -D_GNU_SOURCE -I. $(shell pkg-config --cflags $(PKGS) 2>/dev/null) \
              -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
fuzz: build-deps
	@$(MAKE) --no-print-directory deps DEBS="clang libclang-rt-14-dev"
	@rm -rf $(FUZZ_DIR) && mkdir -p $(FUZZ_DIR)
	@for f in $(filter %.c,$(LIB_SRC)); do \
	  clang $(FUZZ_CFLAGS) -c $$f -o $(FUZZ_DIR)/$$(echo $$f | tr / _).o || exit 1; done
	@clang -c config/catalog.S -o $(FUZZ_DIR)/catalog.o
	@for t in $(FUZZ_TARGETS); do \
	  clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $(FUZZ_DIR)/fuzz_$$t tests/fuzz/fuzz_$$t.c \
	    $(FUZZ_DIR)/*.o $(LDLIBS) || exit 1; \
	  mkdir -p $(FUZZ_DIR)/corpus_$$t; \
	  echo "fuzz_$$t: $(FUZZ_SECONDS)s"; \
	  ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  $(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
	    -rss_limit_mb=4096 -artifact_prefix=tests/fuzz/corpus/$$t/crash- -print_final_stats=1 \
	    $(FUZZ_DIR)/corpus_$$t tests/fuzz/corpus/$$t \
	    $$(case $$t in extract|decode) echo tests/fixtures;; esac) 2>&1 | \
	    grep -E "stat::number_of_executed_units|ERROR|Done|crash-" || true; \
	  ls tests/fuzz/corpus/$$t | grep -q '^crash-' && { echo "fuzz_$$t: crash found"; exit 1; }; \
	done; echo "fuzz: no crash"

# The unit tests and the integration tests under valgrind.
valgrind: test-deps
	@$(MAKE) --no-print-directory deps DEBS=valgrind
	@$(MAKE) --no-print-directory noticewatch $(UNIT) $(REPLAY)
	@NOTICEWATCH_WRAP="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --suppressions=$(CURDIR)/tests/valgrind.supp" \
	  sh tests/run.sh $(UNIT) $(REPLAY)

# Benchmark: noticewatch beside the floor (curl --parallel fetching plus
# xmllint parsing the same pages) and urlwatch, at 1,000 and 10,000 pages
# (or N=...), each the median of RUNS=3 runs.
bench: build-deps
	@$(MAKE) --no-print-directory deps DEBS="nginx-light urlwatch curl python3 time libxml2-utils"
	@$(MAKE) --no-print-directory noticewatch
	@/usr/bin/python3 bench/run.py $(N)

clean:
	rm -f noticewatch libnoticewatch.a */*.o $(UNIT) $(REPLAY) .flags
	rm -rf po/locale
	rm -rf $(FUZZ_DIR)

.PHONY: all deps build-deps test-deps run check valgrind fuzz bench clean install uninstall pot
