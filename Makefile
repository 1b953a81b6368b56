# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# exittrace: how any process ended, from eBPF.
#
#   make            build build/exittrace (installs missing build deps first)
#   make run        whole-host exit tracing; ARGS="-p 1234" passes arguments
#   make check      unit and integration tests (root, real BPF)
#   make install    PREFIX=/usr/local DESTDIR=
#   V=1             show the commands

VERSION     := 0.5.0
CC          ?= gcc
CLANG       ?= clang
BPFTOOL     ?= bpftool
PKG_CONFIG  ?= pkg-config
PREFIX      ?= /usr/local
DESTDIR     ?=
EXTRA_CFLAGS ?=
EXTRA_LDFLAGS ?=

.DEFAULT_GOAL := all
# SANITIZE=1 builds apart, so that both builds can stand side by side
ifeq ($(SANITIZE),1)
OUT ?= build-san
endif
OUT ?= build
# the tests find what they run here
export ET_BUILD := $(OUT)
.DELETE_ON_ERROR:
.SUFFIXES:

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

UNAME_M := $(shell uname -m)
ARCH := $(patsubst x86_64,x86,$(patsubst aarch64,arm64,$(patsubst ppc64le,powerpc,$(patsubst s390x,s390,$(patsubst riscv64,riscv,$(UNAME_M))))))
KNOWN_ARCHES := x86 arm64 powerpc s390 riscv
ifeq ($(filter $(ARCH),$(KNOWN_ARCHES)),)
$(error unknown architecture '$(UNAME_M)': exittrace knows $(KNOWN_ARCHES))
endif
VMLINUX_H := vmlinux/$(ARCH)/vmlinux.h

# Install missing Debian packages once, before anything needs them.
DEPS_STAMP := $(OUT)/.deps
$(DEPS_STAMP): scripts/deps.sh
	$(call msg,DEPS,scripts/deps.sh)
	$(Q)sh scripts/deps.sh
	$(Q)mkdir -p $(OUT) && touch $@

LIBBPF_CFLAGS = $(shell $(PKG_CONFIG) --cflags libbpf 2>/dev/null)
LIBBPF_LIBS   = $(shell $(PKG_CONFIG) --libs libbpf 2>/dev/null || echo -lbpf) -lelf -lz

WARN   := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter
CFLAGS ?= -O2 -g
ALL_CFLAGS = $(CFLAGS) $(WARN) -fPIC -fvisibility=hidden -std=gnu11 -D_GNU_SOURCE -DEXITTRACE_VERSION='"$(VERSION)"' \
	     -I$(OUT) -Iinclude -Iuser $(LIBBPF_CFLAGS) -MMD -MP $(SAN_CFLAGS) $(EXTRA_CFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(SAN_CFLAGS) $(EXTRA_LDFLAGS)

ifeq ($(SANITIZE),1)
SAN_CFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
# tests/install.sh builds a user of the library with the same flags
export ET_SAN_CFLAGS := $(SAN_CFLAGS)

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(dir $(VMLINUX_H)) -Ibpf \
	      -Wall -Werror -mcpu=v3

# Pure modules: no syscalls, linked by the unit tests.
PURE_SRCS := user/status.c user/opts.c user/format.c user/procstat.c user/btfmin.c user/cgpath.c
# libexittrace: the tracer core and the pure modules it needs.
LIB_SRCS  := user/et.c user/status.c user/procstat.c user/btfmin.c user/cgpath.c user/cgroup.c user/cgcache.c
CLI_SRCS  := user/opts.c user/format.c user/status.c user/procstat.c user/output.c user/cgpath.c user/cgroup.c user/filters.c user/main.c

PURE_OBJS := $(PURE_SRCS:user/%.c=$(OUT)/%.o)
LIB_OBJS  := $(LIB_SRCS:user/%.c=$(OUT)/%.o)
CLI_OBJS  := $(CLI_SRCS:user/%.c=$(OUT)/%.o)

SOVERSION := 0
LIB_A     := $(OUT)/libexittrace.a
LIB_SO    := $(OUT)/libexittrace.so.$(VERSION)
LIB_LIBS   = $(LIBBPF_LIBS)
LIBDIR    ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include

UNIT_TESTS := $(patsubst tests/unit/%.c,$(OUT)/tests/unit/%,$(wildcard tests/unit/test_*.c))
INTEG_TESTS := $(patsubst tests/integration/%.c,$(OUT)/tests/integration/%,\
		 $(wildcard tests/integration/test_*.c))

CMOCKA_LIBS = $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)
JSONC_CFLAGS = $(shell $(PKG_CONFIG) --cflags json-c 2>/dev/null)
JSONC_LIBS = $(shell $(PKG_CONFIG) --libs json-c 2>/dev/null || echo -ljson-c)

.PHONY: all lib run check unit integration install clean deps bench fuzz stress
all: $(OUT)/exittrace lib

deps: $(DEPS_STAMP)

$(VMLINUX_H): | $(DEPS_STAMP)
	$(call msg,GEN,$@)
	$(Q)BPFTOOL=$(BPFTOOL) sh scripts/gen-vmlinux.sh $@

$(OUT)/exittrace.bpf.o: bpf/exittrace.bpf.c bpf/exittrace.h $(VMLINUX_H) Makefile | $(DEPS_STAMP)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp
	$(Q)rm -f $@.tmp

$(OUT)/exittrace.skel.h: $(OUT)/exittrace.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name exittrace_bpf > $@

# et.c embeds the skeleton; everything else only needs the shared header.
$(OUT)/et.o: $(OUT)/exittrace.skel.h

$(OUT)/%.o: user/%.c Makefile | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

# One relocatable object with every non-API symbol made local, so that the
# static library cannot clash with its users' names either.
$(OUT)/libexittrace.o: $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)$(LD) -r -o $@ $^
	$(Q)objcopy --localize-hidden $@

$(LIB_A): $(OUT)/libexittrace.o
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIB_SO): $(LIB_OBJS) user/libexittrace.map
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -shared -Wl,-soname,libexittrace.so.$(SOVERSION) \
		-Wl,--version-script=user/libexittrace.map -Wl,-z,defs \
		$(LIB_OBJS) $(LIB_LIBS) -o $@
	$(Q)ln -sf $(notdir $@) $(OUT)/libexittrace.so.$(SOVERSION)
	$(Q)ln -sf $(notdir $@) $(OUT)/libexittrace.so

PC_SED = sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|'

$(OUT)/libexittrace.pc: user/libexittrace.pc.in Makefile | $(DEPS_STAMP)
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(PC_SED) $< > $@

lib: $(LIB_A) $(LIB_SO) $(OUT)/libexittrace.pc

# The CLI is the library's first user: linked against the static library.
$(OUT)/exittrace: $(CLI_OBJS) $(LIB_A)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) $^ $(LIBBPF_LIBS) -o $@

$(OUT)/tests/unit/%.o: tests/unit/%.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(OUT)/tests/integration/%.o: tests/integration/%.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests $(JSONC_CFLAGS) -c $< -o $@

$(OUT)/tests/%.o: tests/%.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(JSONC_CFLAGS) -c $< -o $@

# (libbpf only for its BTF writer, in test_btfmin)
# (the cgroup cache has a unit test of its own logic, without a mount)
$(UNIT_TESTS): $(OUT)/tests/unit/%: $(OUT)/tests/unit/%.o $(PURE_OBJS) $(OUT)/cgcache.o $(OUT)/cgroup.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) $^ $(CMOCKA_LIBS) $(LIBBPF_LIBS) -o $@

$(INTEG_TESTS): $(OUT)/tests/integration/%: $(OUT)/tests/integration/%.o $(OUT)/tests/harness.o \
		$(LIB_A)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) $^ $(CMOCKA_LIBS) $(JSONC_LIBS) $(LIB_LIBS) -lpthread -o $@

# A static program without libc that segfaults, for busybox containers.
SEGV_HELPER := $(OUT)/tests/integration/ctr-segv
$(SEGV_HELPER): tests/integration/ctr-segv.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O1 -static -nostdlib -fno-stack-protector -fno-pie -no-pie $< -o $@

$(OUT)/bench/%: bench/%.c Makefile | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(WARN) -std=gnu11 -Iinclude $< \
		$(if $(filter %/latency,$@),$(LIB_A)) \
		$(if $(filter %/fill %/latency,$@),$(LIBBPF_LIBS)) -o $@

# the latency bench also measures the library, in-process
$(OUT)/bench/latency: $(LIB_A)

BENCH_TOOLS := $(OUT)/bench/loadgen $(OUT)/bench/latency $(OUT)/bench/fill

# The benchmark: exittrace against its peers, side by side, as ratios.
bench: $(OUT)/exittrace $(BENCH_TOOLS)
	$(Q)sh scripts/deps.sh bench
	$(Q)python3 bench/run.py

# Fuzzing (libFuzzer, clang): the pure parsers and formatters. make fuzz
# runs each target FUZZ_SECONDS; make check runs each a few seconds. Inputs
# found go to $(OUT)/fuzz/corpus-*, crashes to $(OUT)/fuzz/; the seeds in
# tests/fuzz/corpus/ are only read.
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(OUT)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SRCS := user/opts.c user/format.c user/status.c user/cgpath.c
FUZZ_SECONDS ?= 60
FUZZ_CHECK_SECONDS ?= 4
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $(WARN) \
	       -std=gnu11 -D_GNU_SOURCE -DEXITTRACE_VERSION='"$(VERSION)"' -Iinclude -Iuser

$(OUT)/fuzz/%: tests/fuzz/%.c $(FUZZ_SRCS) user/*.h include/exittrace.h | $(DEPS_STAMP)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(JSONC_CFLAGS) $< $(FUZZ_SRCS) $(JSONC_LIBS) -o $@

# run-fuzz SECONDS: each target from its seeds, for that long
define run-fuzz
	$(Q)for t in $(FUZZ_TARGETS); do \
		n=$$(basename $$t); mkdir -p $(OUT)/fuzz/corpus-$$n; \
		seeds=tests/fuzz/corpus/$$n; [ -d $$seeds ] || seeds=; \
		echo "== $$n ($(1) s)"; \
		$$t -max_total_time=$(1) -timeout=10 -print_final_stats=1 \
		    -artifact_prefix=$(OUT)/fuzz/$$n- $(OUT)/fuzz/corpus-$$n $$seeds \
		    >$(OUT)/fuzz/$$n.log 2>&1 \
		    || { tail -40 $(OUT)/fuzz/$$n.log; echo "fuzz: $$n FAILED"; exit 1; }; \
		echo "fuzz: $$n $$(grep -o 'stat::number_of_executed_units: [0-9]*' $(OUT)/fuzz/$$n.log \
		    | awk '{print $$2}') runs"; \
	done
endef

# The stress test for longer than make check's 10 s: STRESS_SECONDS.
STRESS_SECONDS ?= 600
stress: all $(OUT)/tests/integration/test_stress
	$(Q)ET_STRESS_SECONDS=$(STRESS_SECONDS) timeout -k 5 $$(( $(STRESS_SECONDS) + 300 )) \
		$(OUT)/tests/integration/test_stress

fuzz: $(FUZZ_TARGETS)
	$(call run-fuzz,$(FUZZ_SECONDS))

run: $(OUT)/exittrace
	$(OUT)/exittrace $(ARGS)

unit: $(UNIT_TESTS)
	$(Q)sh scripts/run-tests.sh unit $(UNIT_TESTS)

SHELL_TESTS := $(wildcard tests/*.sh)

integration: all $(INTEG_TESTS) $(SEGV_HELPER)
	$(Q)sh scripts/run-tests.sh integration $(INTEG_TESTS) $(SHELL_TESTS)

# valgrind cannot run what AddressSanitizer built: under SANITIZE=1, ASan checks
check: all $(UNIT_TESTS) $(INTEG_TESTS) $(SEGV_HELPER) $(FUZZ_TARGETS)
	$(Q)sh scripts/run-tests.sh all $(UNIT_TESTS) $(INTEG_TESTS) $(SHELL_TESTS)
ifneq ($(SANITIZE),1)
	$(Q)sh scripts/valgrind-unit.sh $(UNIT_TESTS)
	$(call run-fuzz,$(FUZZ_CHECK_SECONDS))
endif

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0755 $(OUT)/exittrace $(DESTDIR)$(PREFIX)/sbin/exittrace
	install -m 0644 $(LIB_A) $(DESTDIR)$(LIBDIR)/
	install -m 0755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(LIB_SO)) $(DESTDIR)$(LIBDIR)/libexittrace.so.$(SOVERSION)
	ln -sf $(notdir $(LIB_SO)) $(DESTDIR)$(LIBDIR)/libexittrace.so
	$(PC_SED) user/libexittrace.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/libexittrace.pc
	install -m 0644 include/exittrace.h $(DESTDIR)$(INCLUDEDIR)/exittrace.h
	install -m 0644 doc/exittrace.8 $(DESTDIR)$(PREFIX)/share/man/man8/exittrace.8
	install -m 0644 doc/exittrace.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/exittrace

clean:
	$(call msg,CLEAN,$(OUT))
	$(Q)rm -rf $(OUT)

-include $(wildcard $(OUT)/*.d $(OUT)/tests/*.d $(OUT)/tests/*/*.d)
