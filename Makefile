# graft - plain GNU Makefile.  `make`, `make demo`, `make check`.
.SUFFIXES:
.DELETE_ON_ERROR:
.SECONDARY:
SHELL := /bin/sh

CC       ?= cc
BUILD    ?= build/release
OPT      ?= -O2
WARN     := -Wall -Wextra -Wpedantic
ifeq ($(CI),true)
WARN     += -Werror
endif
CPPFLAGS := -Iinclude -Isrc -D_POSIX_C_SOURCE=200809L
CFLAGS   := -std=c11 $(OPT) -g -pthread $(WARN) $(SAN)
LDFLAGS  := -pthread $(SAN)
# The libraries graft links, each named once: by its pkg-config name when
# Debian ships a .pc file for it (DEPS_PC), else by its -l flag
# (DEPS_LIBS).  GSL is public in graft.pc (a program calls
# gsl_set_error_handler_off() itself, graft.h); the others are private.
DEPS_PC_PUBLIC := gsl
DEPS_PC   := jansson inih xlsxwriter minizip
DEPS_LIBS := -lreadstat -lcsv
LIBS     := $(DEPS_LIBS) $(shell pkg-config --libs $(DEPS_PC) $(DEPS_PC_PUBLIC) 2>/dev/null)
TESTLIBS := -lcmocka

# The version, read from include/graft/version.h (its one place): the
# shared library's file name and soname, and graft.pc's Version.
version_part = $(shell awk '$$2 == "GRAFT_VERSION_$(1)" { print $$3 }' include/graft/version.h)
VERSION_MAJOR := $(call version_part,MAJOR)
VERSION_MINOR := $(call version_part,MINOR)
VERSION_PATCH := $(call version_part,PATCH)
VERSION  := $(VERSION_MAJOR).$(VERSION_MINOR).$(VERSION_PATCH)
SONAME   := libgraft.so.$(VERSION_MAJOR)

LIB_SRC  := $(sort $(filter-out src/cli/%,$(wildcard src/*.c src/*/*.c)))
HEADERS  := $(sort $(wildcard include/graft/*.h))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
PIC_OBJ  := $(LIB_SRC:%.c=$(BUILD)/pic/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TESTS    := $(TEST_SRC:%.c=$(BUILD)/%)
FUZZ_REPLAY := $(FUZZ_SRC:%.c=$(BUILD)/%_replay)

.PHONY: all deps build check test demo asan ubsan memcheck lint fuzz clean check-report
.PHONY: install uninstall

# A plain `make` only builds; `make deps`, `make demo` and `make check`
# install what is missing first (.ci/deps).
all: build

deps:
	@sh .ci/deps

build: graft libgraft.a $(BUILD)/libgraft.so.$(VERSION)

# ./graft is the release build; sanitizer builds keep theirs under build/.
graft: $(BUILD)/graft
	rm -f $@ && cp $< $@

# Made anew each time: `ar r` into an old archive would keep the members of
# sources that were renamed or removed.
$(BUILD)/libgraft.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/graft: $(CLI_OBJ) $(BUILD)/libgraft.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libgraft.a $(LIBS)

libgraft.a: $(BUILD)/libgraft.a
	rm -f $@ && cp $< $@

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# The shared library: the library's sources compiled a second time, as
# position-independent code under $(BUILD)/pic (./graft and libgraft.a keep
# the faster position-dependent objects).  It exports only the graft_
# names the public headers declare: its version script is made from them,
# and every other symbol (the library's internal graft_ functions too)
# stays local.  It links its dependencies: a program needs only -lgraft
# (-z defs fails the link on a symbol none of them defines).
PIC_CFLAGS := -fPIC -fno-semantic-interposition

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(PIC_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libgraft.map: include/graft.h $(HEADERS)
	@mkdir -p $(@D)
	{ echo '{ global:'; \
	  grep -ohE '\<graft_[a-z0-9_]+\>' $^ | LC_ALL=C sort -u | sed 's/.*/    &;/'; \
	  echo '  local: *; };'; } > $@

$(BUILD)/libgraft.so.$(VERSION): $(PIC_OBJ) $(BUILD)/libgraft.map
	$(CC) $(LDFLAGS) -shared -Wl,-soname,$(SONAME) -Wl,-z,defs \
	    -Wl,--version-script=$(BUILD)/libgraft.map -o $@ $(PIC_OBJ) $(LIBS)

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(BUILD)/libgraft.a
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/libgraft.a $(LIBS) $(TESTLIBS)

$(BUILD)/tests/fuzz/%_replay: $(BUILD)/tests/fuzz/%.o $(BUILD)/tests/fuzz/replay.o $(BUILD)/libgraft.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
-include $(FUZZ_SRC:%.c=$(BUILD)/%.d)

# Every test binary runs from the repository root; the suite fails if any
# binary fails, after all have run.
check: deps
	@$(MAKE) --no-print-directory build
	@$(MAKE) --no-print-directory run-tests

# The shared library, and `make install` into a temporary folder, only
# without sanitizers (a sanitized shared library needs its runtime).
SO_CHECK := $(if $(SAN),,$(BUILD)/libgraft.so.$(VERSION))

run-tests: $(BUILD)/graft $(TESTS) $(FUZZ_REPLAY) $(SO_CHECK)
	@failed=0; \
	for lib in $(BUILD)/libgraft.a $(SO_CHECK); do \
	    echo "== tests/symbols.sh $$lib"; \
	    sh tests/symbols.sh $$lib || failed=$$((failed + 1)); \
	done; \
	echo "== tests/install/completion.sh $(BUILD)/graft"; \
	bash tests/install/completion.sh $(BUILD)/graft || failed=$$((failed + 1)); \
	if [ -n "$(SO_CHECK)" ]; then \
	    echo "== tests/install/run.sh $(BUILD)"; \
	    MAKE="$(MAKE)" sh tests/install/run.sh $(BUILD) || failed=$$((failed + 1)); \
	fi; \
	for t in $(TESTS); do \
	    echo "== $$t"; \
	    GRAFT_BIN=$(BUILD)/graft ./$$t || failed=$$((failed + 1)); \
	done; \
	for r in $(FUZZ_REPLAY); do \
	    name=$$(basename $$r _replay); corpus=tests/fuzz/corpus_$${name#fuzz_}; \
	    echo "== $$r $$corpus"; \
	    ./$$r $$corpus/* || failed=$$((failed + 1)); \
	done; \
	if [ $$failed -ne 0 ]; then echo "make check: $$failed test binaries failed"; exit 1; fi; \
	echo "make check: all test binaries passed"
.PHONY: run-tests

test: check

# The interval coverage study (docs/coverage.md): every --ci method on
# simulated stratified two-stage samples, seeded; about half a minute.
# Writes out/coverage.csv, out/coverage.dat and the chart out/coverage.png.
coverage: deps
	@$(MAKE) --no-print-directory build
	@$(MAKE) --no-print-directory $(BUILD)/tests/coverage/coverage
	@mkdir -p out
	./$(BUILD)/tests/coverage/coverage out/coverage.csv 2000
	gnuplot tests/coverage/coverage.gp
	@echo "graft: coverage study in out/coverage.csv, chart out/coverage.png"
.PHONY: coverage

$(BUILD)/tests/coverage/coverage: $(BUILD)/tests/coverage/coverage.o $(BUILD)/libgraft.a
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/libgraft.a $(LIBS)

# Benchmark (tests/bench/README.md): minutes, gigabytes of cached data under
# bench/; not part of `make check`.
bench: deps
	@$(MAKE) --no-print-directory build
	@bash tests/bench/run.sh
.PHONY: bench

demo: deps
	@$(MAKE) --no-print-directory build
	./graft run analysis/demo.ini -o out/demo
	@echo
	@echo "Bribery prevalence by zone and type of official, demo round 2 (raked):"
	@./graft estimate --survey out/demo/round2_weighted.ini --analysis analysis/demo.ini --format text
	@echo
	@echo "graft: the demo report is out/demo/report.html (and out/demo/report.md);"
	@echo "       tables: out/demo/estimates.csv, comparisons.csv, trend.csv, sae_zones.csv and all in tables.xlsx;"
	@echo "       charts: out/demo/charts/"
	@echo "       raked rounds: out/demo/round{1,2}_weighted.csv and .ini, reports round{1,2}_weighting.txt"

# Render the demo report in headless Chromium and keep the screenshot
# (out/demo/report.png) to look at; slow, so not part of `make check`.
check-report: deps
	@GRAFT_CHROMIUM=1 sh .ci/deps
	@$(MAKE) --no-print-directory build
	./graft run analysis/demo.ini -o out/demo
	chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	    --disable-background-networking --disable-component-update --disable-sync \
	    --user-data-dir=out/demo/.chromium --hide-scrollbars --window-size=1200,6000 \
	    --screenshot=out/demo/report.png file://$(CURDIR)/out/demo/report.html 2>/dev/null
	@test $$(stat -c %s out/demo/report.png) -gt 100000 || \
	    { echo "check-report: the screenshot is suspiciously small"; exit 1; }
	@echo "check-report: look at out/demo/report.png"

asan: deps
	@GRAFT_SANITIZE=1 sh .ci/deps
	@ASAN_OPTIONS=detect_leaks=1 $(MAKE) --no-print-directory run-tests CC=clang BUILD=build/asan \
	    OPT=-O1 SAN="-fsanitize=address -fno-omit-frame-pointer"

ubsan: deps
	@GRAFT_SANITIZE=1 sh .ci/deps
	@UBSAN_OPTIONS=print_stacktrace=1 $(MAKE) --no-print-directory run-tests CC=clang BUILD=build/ubsan \
	    OPT=-O1 SAN="-fsanitize=undefined -fno-sanitize-recover=all"

# Every test binary under valgrind; the catalogue (tests/catalogue/*.tsv)
# runs each graft command under valgrind instead (GRAFT_WRAP: a valgrind
# report makes the case exit 99, and fail); tests/errors/catalogue.sh runs
# graft under valgrind on every fixture file.
VALGRIND := valgrind -q --error-exitcode=99 --leak-check=full
memcheck: deps
	@$(MAKE) --no-print-directory $(TESTS) build/release/graft BUILD=build/release
	@for t in $(filter-out %/test_catalogue,$(TESTS)); do \
	    echo "== valgrind $$t"; \
	    GRAFT_BIN=build/release/graft $(VALGRIND) ./$$t || exit 1; \
	done
	@echo "== build/release/tests/test_catalogue, graft under valgrind"
	@GRAFT_BIN=build/release/graft GRAFT_WRAP="$(VALGRIND)" \
	    ./build/release/tests/test_catalogue
	@sh tests/errors/catalogue.sh build/release/graft

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	    --suppress=missingIncludeSystem -Iinclude -Isrc src

# libFuzzer with ASan+UBSan (clang): the library is built once under
# build/fuzz, each target links it; every target runs FUZZ_TIME seconds
# (default 60) from its committed corpus (read only: new inputs go to
# build/fuzz/corpus_NAME), with tests/fuzz/NAME.dict when there is one.
FUZZ_TIME ?= 60
FUZZ_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_BIN  := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)

$(BUILD)/tests/fuzz/%_fuzzer: $(BUILD)/tests/fuzz/%.o $(BUILD)/libgraft.a
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

build/fuzz/fuzz_%: FORCE
	@$(MAKE) --no-print-directory CC=clang BUILD=build/fuzz OPT=-O1 \
	    SAN="-fsanitize=fuzzer-no-link $(FUZZ_SAN)" build/fuzz/tests/fuzz/fuzz_$*_fuzzer
	@rm -f $@ && cp build/fuzz/tests/fuzz/fuzz_$*_fuzzer $@

fuzz: deps
	@GRAFT_SANITIZE=1 sh .ci/deps
	@$(MAKE) --no-print-directory $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do \
	    name=$$(basename $$f); short=$${name#fuzz_}; \
	    dict=; [ -f tests/fuzz/$$short.dict ] && dict=-dict=tests/fuzz/$$short.dict; \
	    mkdir -p build/fuzz/corpus_$$short; \
	    ./$$f -max_total_time=$(FUZZ_TIME) -artifact_prefix=build/fuzz/$$name- $$dict \
	        build/fuzz/corpus_$$short tests/fuzz/corpus_$$short || exit 1; \
	done

FORCE:
.PHONY: FORCE

clean:
	rm -rf build graft libgraft.a

# ---- make install, make uninstall ------------------------------------
# `make install PREFIX=DIR` (default /usr/local; DESTDIR for staging) puts
# the command, both libraries, the headers, graft.pc, the man pages of
# man/ and the bash completion under PREFIX; `make uninstall` (with the
# same PREFIX and DESTDIR) removes those files and nothing else.  Both
# only copy what `make` built (docs/install.md).
PREFIX       ?= /usr/local
BINDIR       ?= $(PREFIX)/bin
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
MANDIR       ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
BASHCOMPDIR  ?= $(PREFIX)/share/bash-completion/completions
INSTALL      ?= install

MAN1       := $(sort $(wildcard man/*.1))
MAN5       := $(sort $(wildcard man/*.5))
COMPLETION := src/cli/graft.bash-completion

# graft.pc names directories below PREFIX as ${prefix}/...
pc_dir = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))
PC_SED := -e 's|@PREFIX@|$(PREFIX)|' \
	  -e 's|@LIBDIR@|$(call pc_dir,$(LIBDIR))|' \
	  -e 's|@INCLUDEDIR@|$(call pc_dir,$(INCLUDEDIR))|' \
	  -e 's|@VERSION@|$(VERSION)|' \
	  -e 's|@REQUIRES@|$(DEPS_PC_PUBLIC)|' \
	  -e 's|@REQUIRES_PRIVATE@|$(DEPS_PC)|' \
	  -e 's|@LIBS_PRIVATE@|$(DEPS_LIBS) -pthread|'

install: $(BUILD)/graft $(BUILD)/libgraft.a $(BUILD)/libgraft.so.$(VERSION)
	$(INSTALL) -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(LIBDIR)" \
	    "$(DESTDIR)$(PKGCONFIGDIR)" "$(DESTDIR)$(INCLUDEDIR)/graft" \
	    "$(DESTDIR)$(BASHCOMPDIR)"
	$(INSTALL) -m 755 $(BUILD)/graft "$(DESTDIR)$(BINDIR)/graft"
	$(INSTALL) -m 644 $(BUILD)/libgraft.a "$(DESTDIR)$(LIBDIR)/libgraft.a"
	$(INSTALL) -m 755 $(BUILD)/libgraft.so.$(VERSION) \
	    "$(DESTDIR)$(LIBDIR)/libgraft.so.$(VERSION)"
	ln -sf libgraft.so.$(VERSION) "$(DESTDIR)$(LIBDIR)/$(SONAME)"
	ln -sf $(SONAME) "$(DESTDIR)$(LIBDIR)/libgraft.so"
	$(INSTALL) -m 644 include/graft.h "$(DESTDIR)$(INCLUDEDIR)/graft.h"
	$(INSTALL) -m 644 $(HEADERS) "$(DESTDIR)$(INCLUDEDIR)/graft"
	sed $(PC_SED) src/graft.pc.in > "$(DESTDIR)$(PKGCONFIGDIR)/graft.pc"
	chmod 644 "$(DESTDIR)$(PKGCONFIGDIR)/graft.pc"
ifneq ($(MAN1),)
	$(INSTALL) -d "$(DESTDIR)$(MANDIR)/man1"
	$(INSTALL) -m 644 $(MAN1) "$(DESTDIR)$(MANDIR)/man1"
endif
ifneq ($(MAN5),)
	$(INSTALL) -d "$(DESTDIR)$(MANDIR)/man5"
	$(INSTALL) -m 644 $(MAN5) "$(DESTDIR)$(MANDIR)/man5"
endif
	$(INSTALL) -m 644 $(COMPLETION) "$(DESTDIR)$(BASHCOMPDIR)/graft"

uninstall:
	rm -f "$(DESTDIR)$(BINDIR)/graft" "$(DESTDIR)$(LIBDIR)/libgraft.a" \
	    "$(DESTDIR)$(LIBDIR)/libgraft.so.$(VERSION)" \
	    "$(DESTDIR)$(LIBDIR)/$(SONAME)" "$(DESTDIR)$(LIBDIR)/libgraft.so" \
	    "$(DESTDIR)$(PKGCONFIGDIR)/graft.pc" \
	    "$(DESTDIR)$(INCLUDEDIR)/graft.h" \
	    "$(DESTDIR)$(BASHCOMPDIR)/graft" \
	    $(addprefix "$(DESTDIR)$(INCLUDEDIR)"/,$(HEADERS:include/%=%)) \
	    $(addprefix "$(DESTDIR)$(MANDIR)"/man1/,$(notdir $(MAN1))) \
	    $(addprefix "$(DESTDIR)$(MANDIR)"/man5/,$(notdir $(MAN5)))
	rmdir "$(DESTDIR)$(INCLUDEDIR)/graft" 2>/dev/null || true

-include $(LIB_OBJ:.o=.d) $(PIC_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TESTS:=.d)
