# Benchmarks (never part of `make check`): `make bench` rewrites
# BENCHMARKS.md.  Included by the top-level Makefile.

BENCH_PACKAGES := valgrind fio
BENCH_TOOLS := $(BUILD)/bench/layer_cost $(BUILD)/bench/metaops \
	$(BUILD)/bench/paired $(BUILD)/bench/twin

$(BUILD)/bench:
	mkdir -p $@

# layer_cost links the layer itself, to call its wrappers in a loop.
$(BUILD)/bench/layer_cost: bench/layer_cost.c $(BUILD)/daemon/layer.o $(BUILD)/daemon/stats.o $(BUILD)/daemon/log.o | $(BUILD)/bench
	$(CC) $(DAEMON_CFLAGS) -Idaemon $^ -o $@ $(LIBS)

$(BUILD)/bench/metaops: bench/metaops.c | $(BUILD)/bench
	$(CC) -std=gnu11 $(WARNINGS) $(OPTFLAGS) $< -o $@

$(BUILD)/bench/paired: bench/paired.c | $(BUILD)/bench
	$(CC) -std=gnu11 $(WARNINGS) $(OPTFLAGS) $< -o $@

# twin runs a plugin .so as a plain libfuse program; the plugin resolves the
# host API (fusehost_*) against it, as against fusehostd.
$(BUILD)/bench/twin: bench/twin.c include/fusehost/plugin.h | $(BUILD)/bench
	$(CC) $(BASE_CFLAGS) $(DAEMON_LDFLAGS) $< -o $@ \
	  $(shell $(PKG_CONFIG) --libs fuse3) -ldl -pthread

bench: deps
	@$(MAKE) -s install-packages PACKAGES="$(BENCH_PACKAGES)"
	$(MAKE) all $(BENCH_TOOLS)
	bench/run $(BUILD) > BENCHMARKS.md.new
	mv BENCHMARKS.md.new BENCHMARKS.md
	@cat BENCHMARKS.md
