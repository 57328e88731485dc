# phikit — plain make, dependencies through pkg-config.
# make [all|check|demo|install|uninstall|clean|lint] [SANITIZE=address,undefined]

VERSION  = 0.1.0
PREFIX  ?= /usr/local
BINDIR   = $(PREFIX)/bin
MANDIR   = $(PREFIX)/share/man
DATADIR  = $(PREFIX)/share/phikit
COMPDIR  = $(PREFIX)/share/bash-completion/completions
INCDIR   = $(PREFIX)/include
LIBDIR   = $(PREFIX)/lib
PYDIR    = $(PREFIX)/lib/python3/dist-packages

PKGS = libpcre2-8 libsodium libcrypto jansson yaml-0.1 sqlite3 libcurl libutf8proc
PKG_CONFIG ?= pkg-config

CC      ?= cc
OPT     ?= -O2
WARN     = -Wall -Wextra -Wshadow -Wformat=2 -Wformat-truncation \
	   -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith -Wvla \
	   -Wundef -Wcast-qual -Wimplicit-fallthrough -Wno-unused-parameter
HARDEN   = -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection \
	   -fPIC -fno-strict-overflow -fno-delete-null-pointer-checks
HARDEN_LD = -pie -Wl,-z,relro,-z,now,-z,noexecstack
ifneq ($(filter x86_64 amd64,$(shell uname -m)),)
HARDEN  += -fcf-protection
endif
ifdef CI
WERROR   = -Werror
endif
ifdef SANITIZE
SAN      = -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT      = -O1 -g
HARDEN  := $(filter-out -D_FORTIFY_SOURCE=2,$(HARDEN))
endif

# Recursive (=) so pkg-config runs after the deps step below has installed
# whatever a fresh machine lacks.
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs $(PKGS)) -lm

ALL_CFLAGS  = -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
	      -DPHIKIT_VERSION='"$(VERSION)"' -DPHIKIT_DATADIR='"$(DATADIR)"' \
	      $(OPT) -g -pthread $(WARN) $(WERROR) $(HARDEN) $(SAN) -Ilib $(PKG_CFLAGS) \
	      $(CPPFLAGS) $(CFLAGS)
ALL_LDFLAGS = -pthread $(HARDEN_LD) $(SAN) $(LDFLAGS)

PROGS    = phi-scrub phi-restore guard-check ledger-append ledger-verify ledger-admin trace-export hitl llm-call
LIB_SRC  = $(wildcard lib/*.c)
LIB_OBJ  = $(LIB_SRC:.c=.o)
UNIT_SRC = $(wildcard tests/unit/*.c)
UNIT_BIN = $(UNIT_SRC:.c=.t)
# libFuzzer harnesses (tests/fuzz/fuzz_*.c); make check replays their
# seeds and past crashes through tests/fuzz/replay.c with the normal build
FUZZ     = scrub guard policy bundle note vault
FUZZ_BIN = $(addprefix tests/fuzz/,$(addsuffix .t,$(FUZZ)))
MANPAGES = $(wildcard man/*.[0-9])
BIN      = $(addprefix bin/,$(PROGS))

SONAME   = libphikit.so.1
all: $(BIN) lib/$(SONAME) lib/libphikit.so

# A fresh Debian/Ubuntu machine has none of the -dev packages: install them
# (scripts/install-deps explains itself when it cannot).
.deps-ok:
	@command -v $(PKG_CONFIG) >/dev/null 2>&1 && $(PKG_CONFIG) --exists $(PKGS) \
	  || scripts/install-deps build
	@$(PKG_CONFIG) --exists $(PKGS) || { echo "missing: $(PKGS)" >&2; exit 1; }
	@touch $@

# Objects depend on the flags they were built with, so SANITIZE=... rebuilds.
.flags: FORCE
	@echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)' | cmp -s - $@ || \
	  echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)' >$@
FORCE:

lib/%.o: lib/%.c lib/*.h include/phikit.h .flags | .deps-ok
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

lib/libphikit.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $(LIB_OBJ)

# The library for embedding (include/phikit.h): the same objects, shared,
# exporting phikit_* alone. The programs link them statically, so a copy
# of one runs on its own.
lib/$(SONAME): $(LIB_OBJ) lib/phikit.map
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=lib/phikit.map \
	  -Wl,-z,relro,-z,now,-z,noexecstack $(SAN) $(LDFLAGS) -o $@ $(LIB_OBJ) $(PKG_LIBS) -pthread
lib/libphikit.so: lib/$(SONAME)
	ln -sf $(SONAME) $@

bin/%: cmd/%.c lib/libphikit.a .flags | .deps-ok
	@mkdir -p bin
	$(CC) $(ALL_CFLAGS) -o $@ $< lib/libphikit.a $(ALL_LDFLAGS) $(PKG_LIBS)

tests/unit/%.t: tests/unit/%.c tests/unit/*.h lib/libphikit.a .flags | .deps-ok
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< lib/libphikit.a $(ALL_LDFLAGS) $(PKG_LIBS)

tests/fuzz/%.t: tests/fuzz/fuzz_%.c tests/fuzz/replay.c tests/fuzz/fuzz.c tests/fuzz/fuzz.h \
    lib/libphikit.a .flags | .deps-ok
	$(CC) $(ALL_CFLAGS) -Itests/fuzz -o $@ $< tests/fuzz/replay.c tests/fuzz/fuzz.c \
	  lib/libphikit.a $(ALL_LDFLAGS) $(PKG_LIBS)

# Development tools (not installed): tools/guard-features writes guard's
# sentence features (scripts/train-guard), tools/ner-features the token
# classifier's (scripts/train-ner); tools/clf-train trains the models in
# data/ with liblinear, which only it links (scripts/install-deps train).
tools/guard-features tools/ner-features: %: %.c lib/libphikit.a .flags | .deps-ok
	$(CC) $(ALL_CFLAGS) -o $@ $< lib/libphikit.a $(ALL_LDFLAGS) $(PKG_LIBS)

tools/%: tools/%.c lib/libphikit.a .flags | .deps-ok
	@test -f /usr/include/linear.h || scripts/install-deps train
	$(CC) $(ALL_CFLAGS) -o $@ $< lib/libphikit.a $(ALL_LDFLAGS) $(PKG_LIBS) -llinear

check: all $(UNIT_BIN) $(FUZZ_BIN) lint-man
	PHIKIT_BIN=$(CURDIR)/bin PHIKIT_TOP=$(CURDIR) PHIKIT_SANITIZE=$(SANITIZE) \
	  prove -f --exec '' $(UNIT_BIN) tests/cli/*.t \
	  $(FUZZ_BIN)

# cppcheck when the machine has it (make check does not need it).
lint: lint-man
	@if command -v cppcheck >/dev/null; then \
	  cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	    --inline-suppr -Ilib lib cmd; \
	else echo "lint: cppcheck not installed, C lint skipped"; fi

lint-man:
	@command -v mandoc >/dev/null || scripts/install-deps test
	mandoc -Tlint -Wwarning $(MANPAGES)

demo: all
	@scripts/demo

# libFuzzer: every harness built with clang over the library built the same
# way (coverage, ASan, UBSan), each run SECONDS on a scratch copy of its
# seeds. A crash leaves its input in fuzz-out/<harness>/; copy it into
# tests/fuzz/corpus/<harness>/ once fixed, so make check replays it. Every
# harness runs its time even when one before it crashed; make fuzz fails
# at the end, naming those that did.
SECONDS    ?= 60
FUZZ_CC    ?= clang
FUZZ_FLAGS  = -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
	      -DPHIKIT_VERSION='"$(VERSION)"' -DPHIKIT_DATADIR='"$(DATADIR)"' \
	      -g -O1 -pthread -fno-omit-frame-pointer -Ilib -Itests/fuzz $(PKG_CFLAGS)
fuzz: .deps-ok
	@command -v $(FUZZ_CC) >/dev/null || scripts/install-deps fuzz
	@mkdir -p fuzz-out/lib
	@for f in $(LIB_SRC); do o=fuzz-out/lib/$$(basename $$f .c).o; \
	  { [ $$o -nt $$f ] && [ -z "$$(find lib -name '*.h' -newer $$o)" ]; } || \
	  $(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,address,undefined \
	    -c -o $$o $$f || exit 1; done
	@failed=; for h in $(FUZZ); do \
	  $(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined -o fuzz-out/fuzz_$$h \
	    tests/fuzz/fuzz_$$h.c tests/fuzz/fuzz.c fuzz-out/lib/*.o $(PKG_LIBS) || exit 1; \
	  rm -rf fuzz-out/$$h && mkdir -p fuzz-out/$$h/corpus && \
	    cp tests/fuzz/corpus/$$h/* fuzz-out/$$h/corpus/ || exit 1; \
	  echo "fuzz: $$h for $(SECONDS) s"; \
	  if ! PHIKIT_POLICY=$(CURDIR)/policies/hipaa.yaml UBSAN_OPTIONS=halt_on_error=1 \
	    fuzz-out/fuzz_$$h -max_total_time=$(SECONDS) -max_len=65536 -timeout=10 \
	    -rss_limit_mb=2048 -artifact_prefix=fuzz-out/$$h/ -print_final_stats=1 \
	    fuzz-out/$$h/corpus 2>fuzz-out/$$h/log; then \
	    tail -n 40 fuzz-out/$$h/log; failed="$$failed $$h"; fi; \
	  grep -E '^stat::number_of_executed_units|^stat::average_exec_per_sec|^stat::peak_rss_mb' \
	    fuzz-out/$$h/log | sed "s/^/  $$h /"; \
	  grep -E '^#[0-9]+[[:space:]]+DONE' fuzz-out/$$h/log | sed "s/^/  $$h /"; \
	done; \
	if [ -n "$$failed" ]; then \
	  echo "fuzz: failed:$$failed (inputs in fuzz-out/<harness>/crash-*, logs beside them)" >&2; \
	  exit 1; fi

# The CLI suite under valgrind memcheck (slow; not part of check).
valgrind: all
	scripts/valgrind-check

# install copies what `make` built, and compiles nothing: run make as
# yourself, then make install as whoever may write PREFIX. The programs
# have DATADIR compiled in, so they must have been built for this PREFIX.
# The man pages name the installed paths: /usr/local becomes PREFIX.
INSTALLED_DATA = $(wildcard policies/*.yaml) $(wildcard data/*.txt data/*.clf data/*.model \
	data/LICENSE.* data/PROVENANCE.md)
install:
	@for b in $(BIN) lib/$(SONAME); do [ -x $$b ] || { echo "make install: $$b is not built: run \
	make first" >&2; exit 1; }; done
	@echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)' | cmp -s - .flags || { echo "make install: \
	the programs were built with other flags or for another PREFIX: run make PREFIX=$(PREFIX) \
	first" >&2; exit 1; }
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
	  $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(DATADIR)/policies $(DESTDIR)$(DATADIR)/data \
	  $(DESTDIR)$(PREFIX)/share/doc/phikit $(DESTDIR)$(COMPDIR) $(DESTDIR)$(INCDIR) \
	  $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(PYDIR)
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)
	install -m 0644 include/phikit.h $(DESTDIR)$(INCDIR)
	install -m 0755 lib/$(SONAME) $(DESTDIR)$(LIBDIR)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libphikit.so
	sed 's,@PREFIX@,$(PREFIX),; s,@VERSION@,$(VERSION),' lib/phikit.pc.in \
	  >$(DESTDIR)$(LIBDIR)/pkgconfig/phikit.pc
	sed 's,^_LIBDIR = None,_LIBDIR = "$(LIBDIR)",' python/phikit.py >$(DESTDIR)$(PYDIR)/phikit.py
	chmod 0644 $(DESTDIR)$(LIBDIR)/pkgconfig/phikit.pc $(DESTDIR)$(PYDIR)/phikit.py
	for p in $(PROGS); do install -m 0644 completions/phikit.bash $(DESTDIR)$(COMPDIR)/$$p \
	  || exit 1; done
	for m in $(MANPAGES); do s=$${m##*.}; sed 's,/usr/local,$(PREFIX),g' $$m \
	  >$(DESTDIR)$(MANDIR)/man$$s/$${m##*/} && chmod 0644 $(DESTDIR)$(MANDIR)/man$$s/$${m##*/} \
	  || exit 1; done
	install -m 0644 policies/*.yaml $(DESTDIR)$(DATADIR)/policies
	install -m 0644 data/*.txt data/*.clf data/*.model data/LICENSE.* data/PROVENANCE.md \
	  $(DESTDIR)$(DATADIR)/data
	install -m 0644 LICENSE NOTICE $(DESTDIR)$(PREFIX)/share/doc/phikit
	@[ -n "$(DESTDIR)" ] || ldconfig 2>/dev/null || true

# uninstall removes what install put there, file by file, and the
# directories it made only if they are empty (a site's own policy beside
# the preset stays).
uninstall:
	for p in $(PROGS); do rm -f $(DESTDIR)$(BINDIR)/$$p $(DESTDIR)$(COMPDIR)/$$p; done
	for m in $(MANPAGES); do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done
	for f in $(INSTALLED_DATA); do rm -f $(DESTDIR)$(DATADIR)/$$f; done
	rm -f $(DESTDIR)$(PREFIX)/share/doc/phikit/LICENSE $(DESTDIR)$(PREFIX)/share/doc/phikit/NOTICE
	rm -f $(DESTDIR)$(INCDIR)/phikit.h $(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libphikit.so \
	  $(DESTDIR)$(LIBDIR)/pkgconfig/phikit.pc $(DESTDIR)$(PYDIR)/phikit.py
	-rmdir $(DESTDIR)$(DATADIR)/policies $(DESTDIR)$(DATADIR)/data $(DESTDIR)$(DATADIR) \
	  $(DESTDIR)$(PREFIX)/share/doc/phikit 2>/dev/null

clean:
	rm -rf bin lib/*.o lib/*.a lib/libphikit.so* tests/unit/*.t tests/fuzz/*.t fuzz-out .flags .deps-ok \
	  tools/clf-train tools/guard-features tools/ner-features

.PHONY: all check lint lint-man demo fuzz valgrind install uninstall clean FORCE
.SECONDARY: $(LIB_OBJ)
