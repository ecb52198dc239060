# bench — build, test and run.  `make bench` and `make check` are the two commands
# the README promises; both install missing Debian packages first (`make deps`).
#
# Knobs: BUILD (output directory), OPT, SANITIZE (e.g. address,undefined), CC.
# Sources are found by directory, tests by name (tests/test_*.c), so adding a file
# never needs an edit here.

BUILD    ?= build
CC       ?= cc
OPT      ?= -O2 -g
SANITIZE ?=
PREFIX   ?= /usr/local
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)

# Debian packages, one list per purpose; `make deps` installs the first, each other
# entry point the list it needs (tools/deps.sh: only what is missing, idempotent).
# Build and run bench (`make`, `make bench`, `make install`):
BENCH_PACKAGES := pkg-config libxgboost-dev libopenblas-dev liblapacke-dev libcsv-dev zlib1g-dev \
                  libcurl4-openssl-dev ca-certificates libinih-dev libjansson-dev libgsl-dev libexpat1-dev \
                  libpng-dev libjpeg62-turbo-dev libssl-dev gnuplot-nox dataset-fashion-mnist
# `make check` adds the test framework and every tool a test drives, so no test
# skips for a missing package: the local HTTP server of the fetch tests (python3),
# the Slurm cluster (slurm-wlm, munge), the page screenshot (chromium, with a font)
# and the LaTeX tables (booktabs in texlive-latex-recommended, multirow in -extra).
CHECK_PACKAGES := $(BENCH_PACKAGES) libcmocka-dev python3 slurm-wlm munge chromium fonts-dejavu-core groff-base \
                  texlive-latex-base texlive-latex-recommended texlive-latex-extra
PERF_PACKAGES  := $(BENCH_PACKAGES) python3 python3-torch
FUZZ_PACKAGES  := $(BENCH_PACKAGES) clang libclang-rt-14-dev
VALGRIND_PACKAGES := $(BENCH_PACKAGES) valgrind

# These are read when make parses this file, so every entry point that may install
# packages first runs its deps target and then a sub-make, which parses afresh
# with pkg-config and the libraries present (a bare machine has neither before).
PKG_MODULES := openblas lapacke jansson inih libcurl zlib expat libpng16 libcrypto libjpeg
PKG_CFLAGS  := $(shell pkg-config --cflags $(PKG_MODULES) gsl 2>/dev/null)
# gsl's .pc adds -lgslcblas; OpenBLAS supplies CBLAS, so only -lgsl is linked.
PKG_LIBS    := $(shell pkg-config --libs $(PKG_MODULES) 2>/dev/null) -lgsl -lxgboost -lcsv
PKG_MISSING := $(shell pkg-config --exists $(PKG_MODULES) gsl 2>/dev/null || echo yes)
TEST_LIBS   := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

GIT_COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

SANITIZE_FLAGS := $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all,)

CFLAGS   ?=
CFLAGS   += -std=c11 -D_GNU_SOURCE -DBENCH_HAVE_JPEG -Wall -Wextra -Werror $(OPT) $(SANITIZE_FLAGS) \
            -Iinclude -I. $(PKG_CFLAGS) -MMD -MP -fPIC
LDFLAGS  += $(SANITIZE_FLAGS) -rdynamic
LDLIBS   += $(PKG_LIBS) -lm -lpthread -ldl

# ---- source sets (link order: harness → hcsc/shift → core → nn → common) ----
# The folders are the floors (README.md): cli/ → bench/ → tasks → nn/ datasets/
# reports/ → core/ → include/bench/.  The libraries cut across them only so that
# nn/ and its tests link without the rest: libbench_common holds the part of
# core/ that nn/ and plugins need (errors, rng, params and their suggestions).
COMMON_SRC := core/error.c core/rng.c core/params.c core/suggest.c
BIN_SRC    := $(wildcard cli/*.c)
NN_SRC     := $(wildcard nn/*.c)
HARNESS_SRC := $(wildcard bench/*.c)
CORE_SRC   := $(filter-out $(COMMON_SRC),$(wildcard core/*.c datasets/*.c forecasters/*.c reports/*.c))
HCSC_SRC   := $(wildcard hcsc/*.c)
SHIFT_SRC  := $(wildcard domain_shift/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

HARNESS_LIB := $(BUILD)/lib/libbench_harness.a
COMMON_LIB := $(BUILD)/lib/libbench_common.a
NN_LIB     := $(BUILD)/lib/libbench_nn.a
CORE_LIB   := $(BUILD)/lib/libbench_core.a
HCSC_LIB   := $(BUILD)/lib/libbench_hcsc.a
SHIFT_LIB  := $(BUILD)/lib/libbench_shift.a
ALL_LIBS   := $(HARNESS_LIB) $(HCSC_LIB) $(SHIFT_LIB) $(CORE_LIB) $(NN_LIB) $(COMMON_LIB)

TEST_SRC   := $(wildcard tests/test_*.c)
TEST_BINS  := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
TEST_SUPPORT_SRC := $(filter-out $(TEST_SRC),$(wildcard tests/*.c))

.PHONY: all deps deps-check deps-perf deps-fuzz deps-valgrind bench check check-fresh check-slow test perf \
        perf-run fuzz fuzz-run valgrind install clean pkg-config-present
.DEFAULT_GOAL := all

all: $(BUILD)/bench

deps:
	@sh tools/deps.sh $(BENCH_PACKAGES)
deps-check:
	@sh tools/deps.sh $(CHECK_PACKAGES)
deps-perf:
	@sh tools/deps.sh $(PERF_PACKAGES)
deps-fuzz:
	@sh tools/deps.sh $(FUZZ_PACKAGES)
deps-valgrind:
	@sh tools/deps.sh $(VALGRIND_PACKAGES)

# A plain `make` on a machine without the libraries says what to run instead of
# failing at the first #include or, worse, at the link.
pkg-config-present:
	@if [ -n "$(PKG_MISSING)" ]; then \
	    echo "bench: pkg-config or a library's development files are missing; run 'make deps' (or 'make bench')" >&2; \
	    exit 1; fi

$(BUILD)/obj/%.o: %.c | pkg-config-present
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# The nn kernels are plain loops written so the compiler can vectorise them,
# which GCC does at -O3 (no -ffast-math: results stay IEEE-exact).
$(BUILD)/obj/nn/%.o: CFLAGS += $(if $(findstring -O2,$(OPT)),-O3,)

# run.json records the commit the binary was built from.
$(BUILD)/obj/bench/run.o: CFLAGS += -DBENCH_GIT_COMMIT='"$(GIT_COMMIT)"'


define static_lib
$(1): $(call obj,$(2))
	@mkdir -p $$(dir $$@)
	@rm -f $$@
	ar rcs $$@ $$^
endef
$(eval $(call static_lib,$(COMMON_LIB),$(COMMON_SRC)))
$(eval $(call static_lib,$(NN_LIB),$(NN_SRC)))
$(eval $(call static_lib,$(HARNESS_LIB),$(HARNESS_SRC)))
$(eval $(call static_lib,$(CORE_LIB),$(CORE_SRC)))
$(eval $(call static_lib,$(HCSC_LIB),$(HCSC_SRC)))
$(eval $(call static_lib,$(SHIFT_LIB),$(SHIFT_SRC)))

$(BUILD)/bench: $(call obj,$(BIN_SRC)) $(ALL_LIBS)
	$(CC) $(LDFLAGS) -o $@ $(call obj,$(BIN_SRC)) $(ALL_LIBS) $(LDLIBS)

# Tests named test_nn_* need only nn + common, so nn work is not blocked by the rest.
$(BUILD)/tests/test_nn_%: tests/test_nn_%.c $(call obj,$(TEST_SUPPORT_SRC)) $(NN_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(call obj,$(TEST_SUPPORT_SRC)) $(NN_LIB) $(COMMON_LIB) $(LDLIBS) $(TEST_LIBS)
$(BUILD)/tests/test_%: tests/test_%.c $(call obj,$(TEST_SUPPORT_SRC)) $(ALL_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(call obj,$(TEST_SUPPORT_SRC)) $(ALL_LIBS) $(LDLIBS) $(TEST_LIBS)

# Benchmarks (`make perf`): every perf/*.c is a program linked like a test;
# perf/run.sh runs them and the perf/*.sh scripts and prints medians.
PERF_SRC  := $(wildcard perf/*.c)
PERF_BINS := $(patsubst perf/%.c,$(BUILD)/perf/%,$(PERF_SRC))
$(BUILD)/perf/%: perf/%.c $(ALL_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(ALL_LIBS) $(LDLIBS)

# hcsc_epoch times the GEMMs inside an epoch through the linker (perf/hcsc_epoch.c).
$(BUILD)/perf/hcsc_epoch: LDFLAGS += -Wl,--wrap=cblas_sgemm

perf: deps-perf
	@$(MAKE) --no-print-directory -j$(JOBS) perf-run
perf-run: $(PERF_BINS) $(BUILD)/bench
	@BUILD=$(BUILD) sh perf/run.sh $(PERF_BINS)

tests: $(TEST_BINS) $(BUILD)/bench

# The fast suite: every test binary, plus the command-line tests, in this build.
test: tests
	@BUILD=$(BUILD) sh tests/run.sh $(TEST_BINS)

# `make check`: the normal build, then the same suite under ASan+UBSan.  The
# sanitized pass sets BENCH_SANITIZED=1: the few tests that reproduce published
# numbers by minutes of training run their memory-checking part on a smaller
# problem there (and say so), so the whole check stays within 15 minutes.
check: deps-check
	@python3 tools/check-floors.py
	@$(MAKE) --no-print-directory -j$(JOBS) tests examples
	@# The Debian-packaged series some tests read (a no-op when they are cached).
	@$(BUILD)/bench data fetch --deb >/dev/null || \
	    echo "bench: could not fetch the Debian-packaged series; the tests that read them will say SKIPPED" >&2
	@$(MAKE) --no-print-directory test
	@$(MAKE) --no-print-directory -j$(JOBS) BUILD=build/sanitize OPT="-O1 -g" SANITIZE=address,undefined tests examples
	@BENCH_SANITIZED=1 $(MAKE) --no-print-directory BUILD=build/sanitize OPT="-O1 -g" SANITIZE=address,undefined test

check-slow: deps-check
	@$(MAKE) --no-print-directory -j$(JOBS) tests examples
	@BUILD=$(BUILD) BENCH_SLOW=1 sh tests/run.sh $(TEST_BINS)

bench: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@sh tools/run-default.sh $(BUILD)

# `make check-fresh`: each README command on the first try in its own bare Debian 12
# chroot (debootstrap minbase + build-essential + git), as a newcomer runs it.  Needs
# root and ~25 minutes; run it whenever the Makefile or a package list changes.
FRESH_DIR ?= ../fresh
check-fresh:
	@sh tools/check-fresh.sh . $(FRESH_DIR) $(wildcard ../shared)

clean:
	rm -rf build

# ---- Plugins (issue 5): helper library, install, out-of-tree example plugins ----
# libbench.{a,so} hold what plugin authors may call (examples/README.md): error,
# rng, params, metrics, window features, nn/.  The bench executable exports the
# same functions (-rdynamic), so a plugin loaded by bench needs no library.
HELPER_SRC     := $(COMMON_SRC) $(NN_SRC) core/metrics.c core/scaling.c forecasters/window_features.c
HELPER_HEADERS := include/bench/error.h include/bench/rng.h include/bench/forecaster.h include/bench/metrics.h \
                  include/bench/scaling.h
# Installed under PREFIX/include/bench/ with these relative paths (bench.pc adds -I.../include/bench).
HELPER_TREE_HEADERS := forecasters/window_features.h nn/gemm.h nn/params.h nn/layers.h nn/rnn.h \
                       nn/attention.h nn/loss.h nn/optim.h
ABI_VERSION := $(shell sed -n 's/^\#define BENCH_FORECASTER_ABI_MAJOR //p' include/bench/forecaster.h).$(shell \
                 sed -n 's/^\#define BENCH_FORECASTER_ABI_MINOR //p' include/bench/forecaster.h)

$(BUILD)/lib/libbench.a: $(call obj,$(HELPER_SRC))
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^
$(BUILD)/lib/libbench.so: $(call obj,$(HELPER_SRC))
	@mkdir -p $(dir $@)
	$(CC) -shared $(SANITIZE_FLAGS) $(if $(SANITIZE),,-Wl,--no-undefined) -o $@ $^ \
	    $(shell pkg-config --libs openblas 2>/dev/null) -lm

install: $(BUILD)/bench $(BUILD)/lib/libbench.a $(BUILD)/lib/libbench.so
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	    $(DESTDIR)$(PREFIX)/include/bench/nn $(DESTDIR)$(PREFIX)/include/bench/forecasters
	install -m 755 $(BUILD)/bench $(DESTDIR)$(PREFIX)/bin/bench
	install -D -m 644 man/bench.1 $(DESTDIR)$(PREFIX)/share/man/man1/bench.1
	install -m 644 $(HELPER_HEADERS) $(DESTDIR)$(PREFIX)/include/bench/
	for header in $(HELPER_TREE_HEADERS); do install -m 644 $$header $(DESTDIR)$(PREFIX)/include/bench/$$header || exit 1; done
	install -m 644 $(BUILD)/lib/libbench.a $(BUILD)/lib/libbench.so $(DESTDIR)$(PREFIX)/lib/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(ABI_VERSION)|g' tools/bench.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/bench.pc

# examples/plugins/*.c → $(BUILD)/examples/*.so, built out of tree like a user's plugin.
examples:
	@$(MAKE) --no-print-directory -C examples/plugins OUT=$(abspath $(BUILD))/examples \
	    BENCH_INCLUDE=$(CURDIR)/include CC="$(CC)" CFLAGS="$(OPT) $(SANITIZE_FLAGS)"
test: examples
.PHONY: examples

# bench new-forecaster embeds tools/plugin-template/ (.incbin in cli/cli_plugin.c).
$(BUILD)/obj/cli/cli_plugin.o: $(wildcard tools/plugin-template/*)

-include $(shell find $(BUILD)/obj $(BUILD)/tests $(BUILD)/perf -name '*.d' 2>/dev/null)

# ---- fuzzing and memcheck (issue 9) ---------------------------------------------
# `make fuzz FUZZ_SECONDS=60`: every libFuzzer harness in fuzz/ (clang), one after
# another, after replaying past crashes; prints executions per harness.
FUZZ_SECONDS ?= 60
fuzz: deps-fuzz
	@$(MAKE) --no-print-directory fuzz-run
fuzz-run:
	@FUZZ_BUILD=$(BUILD)/fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_CFLAGS="$(PKG_CFLAGS)" FUZZ_LIBS="$(LDLIBS)" sh fuzz/run.sh

# `make valgrind`: a tiny configuration of every task under memcheck, zero errors and
# zero definite leaks in every process (tools/valgrind.sh, tools/valgrind.supp).
valgrind: deps-valgrind
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/valgrind OPT="-O1 -g" SANITIZE= $(BUILD)/valgrind/bench
	@sh tools/valgrind.sh $(BUILD)/valgrind
