# SPDX-License-Identifier: GPL-2.0-or-later
# Mirror disk: top-level build.  `make` builds the user-space programs and
# the kernel module for the default kernel (6.1); `make modules` builds the
# module for every supported kernel.  See README.md.

CC       ?= gcc
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -Iproto -Ilib
VERSION  := $(shell git describe --always --dirty 2>/dev/null)
CFLAGS   += $(if $(VERSION),-DMD_VERSION=\"$(VERSION)\")
PREFIX   ?= /usr/local
# mdctl starts mirrord by this absolute path (a cluster manager's PATH is
# minimal); MD_MIRRORD or --mirrord override it.
CFLAGS   += -DMD_SBINDIR=\"$(PREFIX)/sbin\"
B        := build
KSERIES  ?= 6.1 6.12
kver      = $(shell scripts/kver.sh $(1))
KVER     ?= $(call kver,6.1)

LIB_SRC    := $(wildcard lib/*.c)
MIRRORD_SRC:= $(wildcard mirrord/*.c)
MDCTL_SRC  := $(wildcard mdctl/*.c)
HDRS       := $(wildcard proto/*.h lib/*.h mirrord/*.h mdctl/*.h)
KMOD_SRC   := Kbuild $(wildcard kmod/*.c kmod/*.h) proto/md_chan.h proto/md_meta.h
LIBS       := -luring -laio -lxxhash -lzstd -linih -ljson-c -lssl -lcrypto
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))

.PHONY: all userspace sanitize module test-module modules deps check check-all check-deploy check-cluster check-system unit vm demo bench soak install install-utils install-cluster install-module deb clean help
all: userspace module

help:
	@echo "make            build user space and the module for $(KVER)"
	@echo "make modules    build the module for every kernel in KSERIES ($(KSERIES))"
	@echo "make check      install deps, run unit tests and VM scenarios on both kernels"
	@echo "make demo       install deps, boot two guests and walk through the flows"
	@echo "make bench      raw disk vs mirror vs DRBD, ratios into docs/performance.md"
	@echo "make check-all  make check, with every suite on every kernel (longer)"
	@echo "make soak       long-running scenarios left out of make check, each fuzz target to 10^7 runs"
	@echo "make sanitize   user space with ASan+UBSan into $(B)/san/bin (the VM suite repl_user runs it)"
	@echo "make install    programs, man pages, completion, systemd unit, udev rule, sample"
	@echo "                config, the module for the running kernel (DESTDIR, PREFIX, INSTALL_KVER)"
	@echo "make deb        Debian packages mirrordisk-utils, -dkms and -pacemaker into $(B)/deb"
	@echo "make check-deploy  the packages on two Debian 12 systemd guests: install (DKMS),"
	@echo "                the README's deployment steps, reboot, daemon kill, purge"
	@echo "make check-cluster  Pacemaker and PostgreSQL on two systemd guests: power cut"
	@echo "                of the primary, switchover; no acknowledged commit lost"
	@echo "make check-system  check-deploy then check-cluster in one pair of guests (CI)"

PROGS      := mirrord mdctl mdagent mdwrite mdioctl mdclient mdrelay mdsum
userspace: $(addprefix $(B)/bin/,$(PROGS))

# `make sanitize`: the same programs from the same sources, built with
# AddressSanitizer and UndefinedBehaviorSanitizer into $(B)/san/bin; the
# VM suite marked SAN=1 in tests/vm/suites runs them (tests/run.sh).  Each
# rule below builds both variants; only the flags differ.  The runtime
# options are compiled in ($(B)/san/options.o), so they hold however a
# program is started (mdctl up, node b's mdagent, a scenario): a report
# goes to stderr (mirrord's: its log) and aborts the program, undefined
# behaviour included; no leak check at exit, where mdctl's early exits
# leave json-c objects behind and LeakSanitizer would turn every exit
# code into 1; a 64 MiB quarantine (not 256) for the 1 GiB guests.
# ASAN_OPTIONS and UBSAN_OPTIONS still override them.
SAN_DIR    := $(B)/san/bin
SAN_FLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
SAN_BINS   := $(addprefix $(SAN_DIR)/,$(PROGS))
SAN_OPTS   := $(B)/san/options.o
sanitize: $(SAN_BINS)
$(SAN_BINS): CFLAGS += $(SAN_FLAGS)
$(SAN_BINS): LDADD := $(SAN_OPTS)
$(SAN_BINS): $(SAN_OPTS)

$(SAN_OPTS): Makefile
	@mkdir -p $(@D)
	printf '%s\n' \
		'const char *__asan_default_options(void);' \
		'const char *__ubsan_default_options(void);' \
		'const char *__asan_default_options(void) { return "halt_on_error=1:abort_on_error=1:detect_leaks=0:quarantine_size_mb=64"; }' \
		'const char *__ubsan_default_options(void) { return "halt_on_error=1:abort_on_error=1:print_stacktrace=1"; }' \
		| $(CC) $(CFLAGS) -x c -c -o $@ -

$(B)/bin/mirrord $(SAN_DIR)/mirrord: $(MIRRORD_SRC) $(LIB_SRC) $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $(MIRRORD_SRC) $(LIB_SRC) $(LIBS) $(LDADD)

$(B)/bin/mdctl $(SAN_DIR)/mdctl: $(MDCTL_SRC) $(LIB_SRC) $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $(MDCTL_SRC) $(LIB_SRC) $(LIBS) $(LDADD)

$(B)/bin/mdagent $(SAN_DIR)/mdagent: tests/vm/agent.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(LDADD)

$(B)/bin/mdwrite $(SAN_DIR)/mdwrite: tests/vm/mdwrite.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(LDADD)

$(B)/bin/mdioctl $(SAN_DIR)/mdioctl: tests/vm/mdioctl.c proto/md_chan.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(LDADD)

$(B)/bin/mdclient $(SAN_DIR)/mdclient: tests/vm/mdclient.c proto/md_wire.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(LDADD)

$(B)/bin/mdrelay $(SAN_DIR)/mdrelay: tests/vm/mdrelay.c proto/md_wire.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(LDADD)

$(B)/bin/mdsum $(SAN_DIR)/mdsum: tests/vm/mdsum.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< -lxxhash $(LDADD)

# The module is built out of a per-kernel copy of its sources so that
# objects for different kernels never mix.
# make modules also builds the VM scenarios' test module (below); make
# module, which install-module uses, only the module itself.
module: $(B)/kmod/$(KVER)/mirrordisk.ko
test-module: $(B)/kmod/$(KVER)/mdfault.ko $(B)/kmod/$(KVER)/mdslabwrite.ko
modules:
	@for s in $(KSERIES); do v=$$(scripts/kver.sh $$s) || { echo "no kernel headers for $$s: run make deps" >&2; exit 1; }; \
		$(MAKE) --no-print-directory module test-module KVER=$$v || exit 1; done

$(B)/kmod/%/mirrordisk.ko: $(KMOD_SRC)
	@rm -rf $(B)/kmod/$*/src && mkdir -p $(B)/kmod/$*/src
	@cp -r Kbuild kmod proto $(B)/kmod/$*/src/
	$(MAKE) -C /lib/modules/$*/build M=$(CURDIR)/$(B)/kmod/$*/src W=1 $(if $(C),C=$(C)) modules
	@cp $(B)/kmod/$*/src/mirrordisk.ko $@

# The VM scenarios' test modules, built beside the module from its headers,
# never packaged: tests/vm/mdfault.c (a kprobe into mirrordisk's private
# structures) and tests/vm/mdslabwrite.c (one write whose data is a slab
# object, as jbd2's on a 1 KiB-block ext4).  One directory per module.
define test_ko
	@m=$(basename $(@F)); d=$(B)/kmod/$*/$$m; rm -rf $$d && mkdir -p $$d && \
		cp $< $$d/ && \
		printf 'obj-m := %s.o\nccflags-y := -I$(CURDIR)/kmod -I$(CURDIR)/proto\n' $$m > $$d/Kbuild && \
		$(MAKE) -C /lib/modules/$*/build M=$(CURDIR)/$$d W=1 modules && cp $$d/$$m.ko $@
endef
$(B)/kmod/%/mdfault.ko: tests/vm/mdfault.c $(KMOD_SRC)
	$(test_ko)
$(B)/kmod/%/mdslabwrite.ko: tests/vm/mdslabwrite.c $(KMOD_SRC)
	$(test_ko)

# The unit tests link lib/ and mirrord/ (all but its main) as objects
# compiled once into $(B)/obj, not each test its own copy of every source.
CORE_SRC   := $(LIB_SRC) $(filter-out mirrord/main.c,$(MIRRORD_SRC))
CORE_OBJ   := $(patsubst %.c,$(B)/obj/%.o,$(CORE_SRC))
.SECONDARY: $(CORE_OBJ)		# kept, not removed as intermediates
$(B)/obj/%.o: %.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Imirrord -c -o $@ $<

$(B)/tests/%: tests/unit/%.c $(CORE_OBJ) $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Imirrord -o $@ $< $(TEST_SRC) $(CORE_OBJ) $(LIBS) -lcmocka $(TEST_LDFLAGS)

# Tests of mirrord's logic run it on a fake I/O loop and a fake kernel
# (tests/unit/fake_io.h): the control-device calls are redirected there.
FAKE_IO_TESTS := $(addprefix $(B)/tests/,test_apply test_resync test_resync_done test_progress test_daemon test_hs test_compress test_async test_backlog)
FAKE_IO_WRAP  := -Wl,--wrap=kctl_oos,--wrap=kctl_resync,--wrap=kctl_set_conn,--wrap=kctl_status
$(FAKE_IO_TESTS): tests/unit/fake_io.c tests/unit/fake_io.h
$(FAKE_IO_TESTS): TEST_SRC := tests/unit/fake_io.c
$(FAKE_IO_TESTS): TEST_LDFLAGS := $(FAKE_IO_WRAP)
# test_tx runs the transmit path under AddressSanitizer: it compiles the
# sources itself, instrumented (the shared objects are not).
$(B)/tests/test_tx: tests/unit/test_tx.c tests/unit/fake_io.c tests/unit/fake_io.h $(CORE_SRC) $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fsanitize=address -Imirrord -o $@ $< tests/unit/fake_io.c $(CORE_SRC) $(LIBS) -lcmocka $(FAKE_IO_WRAP)

deps:
	@scripts/deps.sh

unit: $(UNIT_BINS)
	@tests/run.sh --unit-only

# The build runs on every core (-j): the programs, their sanitizer
# builds, the unit tests' objects and the modules do not depend on each
# other.
JOBS       := -j$(shell nproc 2>/dev/null || echo 2)
check: deps
	@$(MAKE) $(JOBS) --no-print-directory userspace sanitize modules $(UNIT_BINS)
	@tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory userspace modules
	@tests/demo.sh

bench: deps
	@$(MAKE) --no-print-directory userspace modules
	@tests/bench/run.sh

check-all: deps
	@$(MAKE) $(JOBS) --no-print-directory userspace sanitize modules $(UNIT_BINS)
	@ALL_KERNELS=1 tests/run.sh

# `make check-deploy`: make deb, then tests/deploy/scenario.py boots two
# Debian 12 guests (an image made by tests/deploy/image.sh with mmdebstrap,
# cached in $(B)/deploy) and deploys the packages as README.md says.
check-deploy: deps
	@tests/deploy/scenario.py

# `make check-cluster`: the same guests with Debian's corosync, pacemaker
# and PostgreSQL 15: the resource agent (package mirrordisk-pacemaker)
# fails a database over without losing a commit (tests/cluster/scenario.py).
check-cluster: deps
	@tests/cluster/scenario.py

# `make check-system`: both in one pair of guests, one image, one install:
# check-deploy's flows, the cluster's, then the purge of the three
# packages (what .ci/run runs; one image, one make deb, one boot and one
# install instead of two of each).
check-system: deps
	@tests/cluster/scenario.py --with-deploy

soak: deps
	@$(MAKE) $(JOBS) --no-print-directory userspace sanitize modules
	@tests/run.sh --soak

# `make install`: everything a node needs, for those who build from source
# (the packages of `make deb` are the other way).  install-utils is the
# user space part (debian/rules uses it); install-module builds the module
# for INSTALL_KVER (default: the running kernel; its headers are needed)
# and installs it under /lib/modules/INSTALL_KVER/extra, then runs depmod,
# except under a DESTDIR: a partial modules.dep there could overwrite the
# real one when the tree is copied, so depmod is left to the target.  The
# sample configuration is installed only where there is none.
SYSCONFDIR   ?= /etc
UNITDIR      ?= /lib/systemd/system
UDEVRULESDIR ?= /lib/udev/rules.d
INSTALL_KVER ?= $(shell uname -r)
install: install-utils install-module

install-utils: userspace
	install -D -m 755 $(B)/bin/mirrord $(DESTDIR)$(PREFIX)/sbin/mirrord
	install -D -m 755 $(B)/bin/mdctl $(DESTDIR)$(PREFIX)/sbin/mdctl
	install -D -m 644 docs/man/mdctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/mdctl.8
	install -D -m 644 docs/man/mirrord.8 $(DESTDIR)$(PREFIX)/share/man/man8/mirrord.8
	install -D -m 644 docs/man/mirrordisk.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/mirrordisk.conf.5
	install -D -m 644 scripts/mdctl.bash-completion $(DESTDIR)$(PREFIX)/share/bash-completion/completions/mdctl
	install -D -m 755 scripts/fence-peer-ssh $(DESTDIR)$(PREFIX)/lib/mirrordisk/fence-peer-ssh
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/sbin/|$(PREFIX)/sbin/|g' packaging/mirrordisk@.service > $(DESTDIR)$(UNITDIR)/mirrordisk@.service
	chmod 644 $(DESTDIR)$(UNITDIR)/mirrordisk@.service
	install -D -m 644 packaging/60-mirrordisk.rules $(DESTDIR)$(UDEVRULESDIR)/60-mirrordisk.rules
	install -D -m 644 packaging/modules-load.conf $(DESTDIR)$(SYSCONFDIR)/modules-load.d/mirrordisk.conf
	install -D -m 644 packaging/logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/mirrordisk
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/mirrordisk/mirrordisk.conf ]; then \
		echo "$(DESTDIR)$(SYSCONFDIR)/mirrordisk/mirrordisk.conf exists: sample not installed"; \
	else \
		echo "install -D -m 644 packaging/mirrordisk.conf $(DESTDIR)$(SYSCONFDIR)/mirrordisk/mirrordisk.conf"; \
		install -D -m 644 packaging/mirrordisk.conf $(DESTDIR)$(SYSCONFDIR)/mirrordisk/mirrordisk.conf; \
	fi

# The Pacemaker resource agent and fence handlers (package mirrordisk-pacemaker).
OCFDIR ?= /usr/lib/ocf/resource.d
install-cluster:
	install -D -m 755 cluster/mirror.ocf $(DESTDIR)$(OCFDIR)/mirrordisk/mirror
	install -D -m 755 cluster/pcmk-fence-peer $(DESTDIR)$(PREFIX)/lib/mirrordisk/pcmk-fence-peer

install-module:
	@[ -d /lib/modules/$(INSTALL_KVER)/build ] || { echo "no headers for kernel $(INSTALL_KVER):" \
		"install linux-headers-$(INSTALL_KVER), set INSTALL_KVER, or use 'make install-utils'" \
		"and the mirrordisk-dkms package" >&2; exit 1; }
	@$(MAKE) --no-print-directory module KVER=$(INSTALL_KVER)
	install -D -m 644 $(B)/kmod/$(INSTALL_KVER)/mirrordisk.ko $(DESTDIR)/lib/modules/$(INSTALL_KVER)/extra/mirrordisk.ko
	$(if $(DESTDIR),@echo "DESTDIR set: run 'depmod -a $(INSTALL_KVER)' on the target",depmod -a $(INSTALL_KVER))

# `make deb`: the Debian packages (debian/), built with dpkg-buildpackage
# in a copy of the tree (in git: tracked and new files, not ignored ones) under
# $(B)/deb, so that nothing of $(B)/bin or $(B)/kmod is touched; the .debs
# land in $(B)/deb.  Needs debhelper, dh-dkms and the build dependencies
# of debian/control (dpkg-checkbuilddeps says which are missing).  -Jauto:
# on every core (DEB_BUILD_OPTIONS parallel=N, which debhelper honours).
DEB_SRC := $(B)/deb/src
deb:
	@command -v dpkg-buildpackage >/dev/null || { echo "apt-get install dpkg-dev debhelper dh-dkms" >&2; exit 1; }
	rm -rf $(B)/deb && mkdir -p $(DEB_SRC)
	if git rev-parse --git-dir >/dev/null 2>&1; then \
		git ls-files -z --cached --others --exclude-standard | \
		xargs -0 sh -c 'for f; do [ ! -e "$$f" ] || printf "%s\0" "$$f"; done' sh; \
	else find . -path ./$(B) -prune -o -type f -print0; fi | \
		tar --null -T - -cf - | tar -xf - -C $(DEB_SRC)
	cd $(DEB_SRC) && dpkg-buildpackage -b -us -uc -Jauto
	@ls -1 $(B)/deb/*.deb

clean:
	rm -rf $(B)

# Fuzzing (tests/fuzz/): libFuzzer targets for every decoder of input from
# another process or machine, built with clang from lib/'s own sources.
# `make fuzz` runs each for FUZZ_SECONDS; make check runs each for 5 s
# (tests/host/fuzz.sh); `make fuzz-corpus` regenerates the seed corpora.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_LIB_TARGETS := wire meta config runfile ctlreq zdata
# Targets of mirrord's own logic (rx: the receive side and its packet
# handlers; listen: the listener's first bytes) link mirrord's sources but
# main.c and the unit tests' fake I/O loop and fake kernel
# (tests/unit/fake_io.h), wrapped as the fake-I/O unit tests are.
FUZZ_MD_TARGETS  := rx listen
FUZZ_TARGETS := $(FUZZ_LIB_TARGETS) $(FUZZ_MD_TARGETS)
FUZZ_CFLAGS  := -O1 -g -fno-omit-frame-pointer -std=gnu11 -Wall -Wextra -D_GNU_SOURCE \
		-Iproto -Ilib -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_BINS    := $(addprefix $(B)/fuzz/,$(FUZZ_LIB_TARGETS))
FUZZ_MD_BINS := $(addprefix $(B)/fuzz/,$(FUZZ_MD_TARGETS))
FUZZ_LIB_OBJ := $(patsubst lib/%.c,$(B)/fuzz/obj/%.o,$(LIB_SRC))
FUZZ_MD_OBJ  := $(patsubst %.c,$(B)/fuzz/obj/%.o,$(filter-out mirrord/main.c,$(MIRRORD_SRC)) \
		tests/unit/fake_io.c)

.PHONY: fuzz fuzz-quick fuzz-build fuzz-corpus
fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_CC=$(FUZZ_CC) tests/fuzz/run.sh --no-build

fuzz-quick: fuzz-build
	@FUZZ_SECONDS=5 FUZZ_CC=$(FUZZ_CC) tests/fuzz/run.sh --no-build

fuzz-build: $(FUZZ_BINS) $(FUZZ_MD_BINS)

# lib/ without -Werror: a warning only clang gives must not stop the tests.
$(FUZZ_LIB_OBJ): $(B)/fuzz/obj/%.o: lib/%.c $(HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(B)/fuzz/libmd.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BINS): $(B)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(B)/fuzz/libmd.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Werror -fsanitize=fuzzer -o $@ $< $(B)/fuzz/libmd.a -lxxhash -lzstd -linih

$(FUZZ_MD_OBJ): $(B)/fuzz/obj/%.o: %.c $(HDRS) tests/unit/fake_io.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Imirrord -fsanitize=fuzzer-no-link -c -o $@ $<

# rx watches every packet handler rx.c calls; listen hands the listener its
# candidate through accept4.
$(B)/fuzz/rx: FUZZ_WRAP := $(FAKE_IO_WRAP),--wrap=handle_data,--wrap=handle_ack,--wrap=handle_bitmap,--wrap=handle_bitmap_end,--wrap=handle_rs_done,--wrap=handle_rs_digest,--wrap=handle_rs_reply,--wrap=handle_vf_digest,--wrap=handle_vf_reply
$(B)/fuzz/rx: tests/fuzz/rx_input.h
$(B)/fuzz/listen: FUZZ_WRAP := $(FAKE_IO_WRAP),--wrap=accept4
$(FUZZ_MD_BINS): $(B)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(FUZZ_MD_OBJ) $(B)/fuzz/libmd.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Imirrord -Itests/unit -Werror -fsanitize=fuzzer -o $@ $< \
		$(FUZZ_MD_OBJ) $(B)/fuzz/libmd.a $(LIBS) -lcmocka $(FUZZ_WRAP)

fuzz-corpus: $(LIB_SRC) $(HDRS) tests/fuzz/gen_corpus.c tests/fuzz/rx_input.h
	@mkdir -p $(B)/fuzz
	$(CC) $(CFLAGS) -o $(B)/fuzz/gen_corpus tests/fuzz/gen_corpus.c $(LIB_SRC) $(LIBS)
	$(B)/fuzz/gen_corpus tests/fuzz/corpus	# overwrites its own seeds; regress-* stay
