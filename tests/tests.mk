# Tests: unit tests (tests/unit), integration tests that start the real
# daemon on real mounts (tests/integration), test plugins that misbehave on
# purpose (tests/plugins) and the POSIX conformance suite
# (tests/conformance).  Included by the top-level Makefile.

TEST_CFLAGS := $(DAEMON_CFLAGS) -Idaemon -Itests \
	$(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
TEST_LIBS := $(LIBS) $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,\
	$(wildcard tests/unit/*.c))
INTEGRATION_TESTS := $(patsubst tests/integration/%.c,$(BUILD)/tests/%,\
	$(wildcard tests/integration/*.c))
TEST_PLUGIN_NAMES := broken_nosymbol broken_abi broken_truncated \
	broken_nogetattr failopen concurrency_serial concurrency_parallel \
	misbehave cplusplus broken_optname broken_optdefault \
	newer_abi newer_abi_field newer_abi_operation
TEST_PLUGIN_FILES := $(TEST_PLUGIN_NAMES:%=$(BUILD)/tests/plugins/%.so)
FSCONFORM := $(BUILD)/tests/fsconform

tests: all $(UNIT_TESTS) $(INTEGRATION_TESTS) $(TEST_PLUGIN_FILES) $(FSCONFORM)

# Unit tests link the daemon's objects; the loader test dlopens plugins,
# which resolve the host API against the test executable.
$(UNIT_TESTS): $(BUILD)/tests/%: tests/unit/%.c $(CORE_OBJECTS) | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) $(DAEMON_LDFLAGS) $^ -o $@ $(TEST_LIBS)

# The harness reads the mount table with the daemon's own parser.
$(INTEGRATION_TESTS): $(BUILD)/tests/%: tests/integration/%.c tests/harness.c tests/harness.h $(BUILD)/daemon/mountinfo.o | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) $(filter %.c %.o,$^) -o $@ $(TEST_LIBS)

$(BUILD)/tests/plugins/concurrency_serial.so: tests/plugins/concurrency.c include/fusehost/plugin.h | $(BUILD)/tests/plugins
	$(CC) $(PLUGIN_CFLAGS) $(PLUGIN_LDFLAGS) $< -o $@

$(BUILD)/tests/plugins/concurrency_parallel.so: tests/plugins/concurrency.c include/fusehost/plugin.h | $(BUILD)/tests/plugins
	$(CC) $(PLUGIN_CFLAGS) -DCONCURRENCY_PARALLEL $(PLUGIN_LDFLAGS) $< -o $@

$(BUILD)/tests/plugins/broken_optname.so: tests/plugins/broken_options.c include/fusehost/plugin.h | $(BUILD)/tests/plugins
	$(CC) $(PLUGIN_CFLAGS) -DBROKEN_OPTION_NAME $(PLUGIN_LDFLAGS) $< -o $@

$(BUILD)/tests/plugins/broken_optdefault.so: tests/plugins/broken_options.c include/fusehost/plugin.h | $(BUILD)/tests/plugins
	$(CC) $(PLUGIN_CFLAGS) $(PLUGIN_LDFLAGS) $< -o $@

$(BUILD)/tests/plugins/newer_abi_field.so: tests/plugins/newer_abi.c include/fusehost/plugin.h | $(BUILD)/tests/plugins
	$(CC) $(PLUGIN_CFLAGS) -DNEWER_ABI_FIELD $(PLUGIN_LDFLAGS) $< -o $@

$(BUILD)/tests/plugins/newer_abi_operation.so: tests/plugins/newer_abi.c include/fusehost/plugin.h | $(BUILD)/tests/plugins
	$(CC) $(PLUGIN_CFLAGS) -DNEWER_ABI_OPERATION $(PLUGIN_LDFLAGS) $< -o $@

$(BUILD)/tests/plugins/%.so: tests/plugins/%.c include/fusehost/plugin.h | $(BUILD)/tests/plugins
	$(CC) $(PLUGIN_CFLAGS) $(PLUGIN_LDFLAGS) $< -o $@

# The header promises C++ plugins too.
$(BUILD)/tests/plugins/%.so: tests/plugins/%.cc include/fusehost/plugin.h | $(BUILD)/tests/plugins
	$(CXX) -std=c++17 $(filter-out -std=gnu11,$(PLUGIN_CFLAGS)) \
	  $(PLUGIN_LDFLAGS) $< -o $@

$(FSCONFORM): tests/conformance/fsconform.c | $(BUILD)/tests
	$(CC) -std=gnu11 $(WARNINGS) $(OPTFLAGS) $< -o $@

# The tests find what they run through these (see tests/harness.h).
TEST_ENVIRONMENT := FUSEHOSTD=$(BUILD)/fusehostd \
	FUSEHOST_PLUGIN_DIR=$(BUILD)/plugins \
	FUSEHOST_TEST_PLUGIN_DIR=$(BUILD)/tests/plugins \
	FSCONFORM=$(FSCONFORM) FUSEHOST_SANITIZE=$(SANITIZE)

check: deps
	$(MAKE) tests
	$(TEST_ENVIRONMENT) tests/run-tests $(UNIT_TESTS) $(FUZZ_REPLAYS) \
	  $(INTEGRATION_TESTS)

# Fuzzing: `make fuzz` runs each libFuzzer target (clang) for FUZZ_SECONDS
# from the committed corpus; `make check` replays corpus and regressions
# through the same targets built without libFuzzer.
FUZZ_TARGETS := config options control
FUZZ_SECONDS ?= 60
FUZZ_REPLAYS := $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz_replay_%)
FUZZ_DAEMON_SOURCES := daemon/config.c daemon/options.c daemon/log.c \
	daemon/trust.c daemon/mountinfo.c daemon/control_request.c

$(FUZZ_REPLAYS): $(BUILD)/tests/fuzz_replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(CORE_OBJECTS) | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) -DFUZZ_TARGET='"$*"' $^ -o $@ $(TEST_LIBS)

tests: $(FUZZ_REPLAYS)

fuzz: deps
	@$(MAKE) -s install-packages PACKAGES="clang libclang-rt-14-dev"
	mkdir -p $(BUILD)/fuzz
	for target in $(FUZZ_TARGETS); do \
	  clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Idaemon \
	    $(shell $(PKG_CONFIG) --cflags $(PKGS)) \
	    tests/fuzz/fuzz_$$target.c $(FUZZ_DAEMON_SOURCES) \
	    -o $(BUILD)/fuzz/$$target $(LIBS) || exit 1; \
	  mkdir -p $(BUILD)/fuzz/corpus-$$target; \
	  $(BUILD)/fuzz/$$target -max_total_time=$(FUZZ_SECONDS) \
	    $(BUILD)/fuzz/corpus-$$target tests/fuzz/corpus/$$target || exit 1; \
	done

# The stress test at length (make check runs it for 10 seconds).
STRESS_SECONDS ?= 300
stress: deps
	$(MAKE) tests
	$(TEST_ENVIRONMENT) FUSEHOST_STRESS_SECONDS=$(STRESS_SECONDS) \
	  tests/run-tests $(BUILD)/tests/test_stress
