# fusehost: build, test, install.
#
#   make            build fusehostd and the shipped plugins into build/
#   make check      install missing Debian packages, build, run every test
#   make demo       install missing Debian packages, build, serve conf/demo.conf
#   make install    install (DESTDIR, PREFIX, SYSCONFDIR honoured)
#   make clean

VERSION    := 0.1.0
PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
DESTDIR    ?=
BINDIR     := $(PREFIX)/bin
SBINDIR    := $(PREFIX)/sbin
LIBDIR     := $(PREFIX)/lib
PLUGINDIR  := $(LIBDIR)/fusehost/plugins
INCLUDEDIR := $(PREFIX)/include
MANDIR     := $(PREFIX)/share/man
UNITDIR    ?= $(PREFIX)/lib/systemd/system

CC    ?= cc

# Debian 12 packages the build and the tests need.
DEBIAN_PACKAGES := build-essential pkg-config libfuse3-dev fuse3 \
	libglib2.0-dev libsystemd-dev libcmocka-dev libmicrohttpd-dev \
	libjson-glib-dev libcurl4-openssl-dev attr \
	libseccomp-dev libcap-ng-dev \
	prometheus curl valgrind systemd

PKG_CONFIG ?= pkg-config
PKGS       := fuse3 glib-2.0 libsystemd libmicrohttpd json-glib-1.0 \
	libseccomp libcap-ng

OPTFLAGS ?= -O2 -g
WARNINGS := -Wall -Wextra -Werror
# SANITIZE=1: AddressSanitizer and UndefinedBehaviorSanitizer, in a build
# directory of their own; any undefined behaviour aborts.
# SANITIZE=thread: ThreadSanitizer, likewise; the first data race aborts.
ifeq ($(SANITIZE),1)
BUILD := build-sanitize
OPTFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
else ifeq ($(SANITIZE),thread)
BUILD := build-tsan
OPTFLAGS += -fsanitize=thread -fno-omit-frame-pointer
else
BUILD := build
endif

BASE_CFLAGS := -std=gnu11 $(WARNINGS) $(OPTFLAGS) -Iinclude \
	$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -ldl -pthread

DAEMON_CFLAGS := $(BASE_CFLAGS) -DFUSEHOST_VERSION='"$(VERSION)"' \
	-DFUSEHOST_CONFIG_PATH='"$(SYSCONFDIR)/fusehost.conf"' \
	-DFUSEHOST_PLUGIN_DIR='"$(PLUGINDIR)"'
# Plugins resolve the host API (fusehost_*) against the executable.
DAEMON_LDFLAGS := -Wl,--export-dynamic-symbol='fusehost_*'
PLUGIN_CFLAGS := $(BASE_CFLAGS) -fPIC -fvisibility=hidden
PLUGIN_LDFLAGS := -shared

DAEMON_SOURCES := $(wildcard daemon/*.c)
DAEMON_OBJECTS := $(DAEMON_SOURCES:%.c=$(BUILD)/%.o)
# Everything but main(), for the unit tests to link against.
CORE_OBJECTS := $(filter-out $(BUILD)/daemon/main.o,$(DAEMON_OBJECTS))
HEADERS := $(wildcard daemon/*.h include/fusehost/*.h)
# Any plugin's own headers; every plugin is rebuilt when one changes.
PLUGIN_HEADERS := $(wildcard plugins/*/*.h)

PLUGINS := $(notdir $(wildcard plugins/*))
PLUGIN_FILES := $(PLUGINS:%=$(BUILD)/plugins/%.so)

.PHONY: all check demo install clean deps tests bench fuzz stress
all: $(BUILD)/fusehostd $(BUILD)/fusehostctl $(PLUGIN_FILES)

# The paths compiled in (DAEMON_CFLAGS): this file changes, and what uses
# them is built again, whenever PREFIX or SYSCONFDIR do, so that
# `make install PREFIX=...` after a plain `make` installs programs that
# look where they are installed.
COMPILED_PATHS := $(SYSCONFDIR)/fusehost.conf $(PLUGINDIR)
$(BUILD)/compiled-paths: FORCE | $(BUILD)
	@echo '$(COMPILED_PATHS)' | cmp -s - $@ || \
	  echo '$(COMPILED_PATHS)' > $@
.PHONY: FORCE

$(BUILD)/daemon/%.o: daemon/%.c $(HEADERS) $(BUILD)/compiled-paths | $(BUILD)/daemon
	$(CC) $(DAEMON_CFLAGS) -c $< -o $@

$(BUILD)/fusehostd: $(DAEMON_OBJECTS)
	$(CC) $(OPTFLAGS) $(DAEMON_LDFLAGS) $^ -o $@ $(LIBS)

# fusehostctl reads the config (for control-socket) with the daemon's code.
CTL_OBJECTS := $(BUILD)/daemon/config.o $(BUILD)/daemon/options.o \
	$(BUILD)/daemon/trust.o \
	$(BUILD)/daemon/log.o
$(BUILD)/fusehostctl: ctl/fusehostctl.c $(CTL_OBJECTS) $(HEADERS) $(BUILD)/compiled-paths
	$(CC) $(DAEMON_CFLAGS) -Idaemon $(filter %.c %.o,$^) -o $@ $(LIBS) \
	  $(shell $(PKG_CONFIG) --libs libcurl 2>/dev/null)

$(BUILD)/plugins/%.so: plugins/%/*.c $(PLUGIN_HEADERS) include/fusehost/plugin.h | $(BUILD)/plugins
	$(CC) $(PLUGIN_CFLAGS) $(PLUGIN_LDFLAGS) $(filter %.c,$^) -o $@ $(LIBS)

$(BUILD) $(BUILD)/daemon $(BUILD)/plugins $(BUILD)/tests $(BUILD)/tests/plugins:
	mkdir -p $@

include tests/tests.mk
include bench/bench.mk

# Install the Debian packages the build needs, if any are missing.
deps:
	@$(MAKE) -s install-packages PACKAGES="$(DEBIAN_PACKAGES)"

install-packages:
	@missing=""; \
	for package in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$package 2>/dev/null | \
	    grep -q 'install ok installed' || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "Missing Debian packages:$$missing (run as root to install them)" >&2; \
	    exit 1; \
	  fi; \
	  echo "Installing Debian packages:$$missing"; \
	  apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

demo: deps
	$(MAKE) all
	@mkdir -p demo/hello demo/scratch
	@sed -e 's|@DEMO_DIR@|$(CURDIR)/demo|g' conf/demo.conf.in > $(BUILD)/demo.conf
	@echo
	@echo "fusehostd serves ./demo/hello and ./demo/scratch (conf/demo.conf.in)."
	@echo "In another terminal, try:"
	@echo "    cat demo/hello/hello demo/hello/whoami"
	@echo "    echo hi > demo/scratch/note && ls -l demo/scratch && df -h demo/scratch"
	@echo "    mount | grep fusehost"
	@echo "    $(BUILD)/fusehostctl -s demo/control.sock status"
	@echo "    curl -s http://127.0.0.1:9465/metrics | grep fusehost_operations_total"
	@echo "Press Ctrl-C here to unmount and stop."
	@echo
	$(BUILD)/fusehostd -c $(BUILD)/demo.conf --plugin-dir $(BUILD)/plugins

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(PLUGINDIR) \
	  $(DESTDIR)$(INCLUDEDIR)/fusehost $(DESTDIR)$(LIBDIR)/pkgconfig \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(MANDIR)/man8 \
	  $(DESTDIR)$(SYSCONFDIR)/fusehost.d $(DESTDIR)$(UNITDIR)
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 $(BUILD)/fusehostd $(DESTDIR)$(SBINDIR)/fusehostd
	install -m 755 $(BUILD)/fusehostctl $(DESTDIR)$(BINDIR)/fusehostctl
	install -m 644 $(PLUGIN_FILES) $(DESTDIR)$(PLUGINDIR)/
	install -m 644 include/fusehost/*.h $(DESTDIR)$(INCLUDEDIR)/fusehost/
	@# Made here, not at build time, so that it names this PREFIX.
	@# Every file sed makes is chmod'ed: with a umask such as 002 it
	@# would be group-writable, and fusehostd refuses a configuration
	@# that others could change.
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    -e 's|@PLUGINDIR@|$(PLUGINDIR)|g' conf/fusehost.pc.in \
	    > $(DESTDIR)$(LIBDIR)/pkgconfig/fusehost.pc
	chmod 644 $(DESTDIR)$(LIBDIR)/pkgconfig/fusehost.pc
	@# The pages name the default paths; they get this install's.
	for page in fusehostctl.1 fusehost.conf.5 fusehostd.8; do \
	  sed -e 's|/usr/local/lib/fusehost/plugins|$(PLUGINDIR)|g' \
	      -e 's|/etc/fusehost|$(SYSCONFDIR)/fusehost|g' man/$$page \
	    > $(DESTDIR)$(MANDIR)/man$${page##*.}/$$page && \
	  chmod 644 $(DESTDIR)$(MANDIR)/man$${page##*.}/$$page || exit 1; \
	done
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	  systemd/fusehostd.service.in > $(DESTDIR)$(UNITDIR)/fusehostd.service
	chmod 644 $(DESTDIR)$(UNITDIR)/fusehostd.service
	@# An administrator's config is never overwritten.
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/fusehost.conf ]; then \
	  echo "keeping existing $(DESTDIR)$(SYSCONFDIR)/fusehost.conf"; \
	else \
	  sed -e 's|@PLUGINDIR@|$(PLUGINDIR)|g' conf/fusehost.conf.in \
	    > $(DESTDIR)$(SYSCONFDIR)/fusehost.conf && \
	  chmod 644 $(DESTDIR)$(SYSCONFDIR)/fusehost.conf; \
	fi

# Every build directory, sanitized or not.
clean:
	rm -rf build build-sanitize build-tsan
