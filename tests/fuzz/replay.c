/* Replays the fuzz corpus and the inputs of fixed crashes through a fuzz
 * target, as part of `make check`, built without libFuzzer.
 * Usage: replay [DIR...]; every file in each DIR is one input.  Without
 * arguments: tests/fuzz/corpus/TARGET and tests/fuzz/regressions/TARGET,
 * with TARGET compiled in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char **directories;

static void test_replay_inputs(void **state)
{
	unsigned inputs = 0;

	(void)state;
	for (char **dir = directories; *dir; dir++) {
		GDir *handle = g_dir_open(*dir, 0, NULL);
		const char *name;

		if (!handle)
			continue;
		while ((name = g_dir_read_name(handle))) {
			char *path = g_build_filename(*dir, name, NULL);
			gchar *data;
			gsize size;

			if (g_file_get_contents(path, &data, &size, NULL)) {
				LLVMFuzzerTestOneInput((const uint8_t *)data,
						       size);
				inputs++;
				g_free(data);
			}
			g_free(path);
		}
		g_dir_close(handle);
	}
	/* An empty corpus would make this test pass without testing. */
	assert_true(inputs > 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_inputs),
	};

	static char *defaults[] = {
		"tests/fuzz/corpus/" FUZZ_TARGET,
		"tests/fuzz/regressions/" FUZZ_TARGET,
		NULL,
	};

	directories = argc > 1 ? argv + 1 : defaults;
	return cmocka_run_group_tests_name("fuzz replay", tests, NULL, NULL);
}
