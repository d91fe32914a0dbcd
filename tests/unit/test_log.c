/* Unit tests for the daemon's log written to stderr: the record's shape,
 * levels, and messages of any length. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"

/* Runs `emit` with stderr going to a memory file; returns what it wrote. */
static char *capture_stderr(void (*emit)(void))
{
	int saved = dup(STDERR_FILENO);
	int file = memfd_create("stderr", 0);
	off_t size;
	char *text;

	assert_true(saved >= 0 && file >= 0);
	assert_int_equal(dup2(file, STDERR_FILENO), STDERR_FILENO);
	emit();
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	size = lseek(file, 0, SEEK_END);
	assert_true(size >= 0);
	text = calloc(1, (size_t)size + 1);
	assert_non_null(text);
	assert_int_equal(pread(file, text, (size_t)size, 0), size);
	close(file);
	return text;
}

static int use_stderr(void **state)
{
	(void)state;
	log_set_target(LOG_TARGET_STDERR);
	log_set_level(LOG_LEVEL_INFO);
	return 0;
}

static void emit_about_mount(void)
{
	log_error("scratch", "cannot mount at %s: %s", "/mnt/x", "busy");
}

static void test_record_names_mount(void **state)
{
	char *text = capture_stderr(emit_about_mount);

	(void)state;
	assert_string_equal(text,
			    "error: scratch: cannot mount at /mnt/x: busy\n");
	free(text);
}

static void emit_about_daemon(void)
{
	log_warning(NULL, "reloading");
	log_info(NULL, "ends in newlines\n\n");
}

static void test_record_about_daemon(void **state)
{
	char *text = capture_stderr(emit_about_daemon);

	(void)state;
	assert_string_equal(text, "warning: reloading\n"
				  "info: ends in newlines\n");
	free(text);
}

static void emit_debug(void)
{
	log_debug("scratch", "not at level info");
	log_info("scratch", "at level info");
}

static void test_level_filters(void **state)
{
	char *text = capture_stderr(emit_debug);

	(void)state;
	assert_string_equal(text, "info: scratch: at level info\n");
	free(text);
}

#define LONG_MESSAGE_LENGTH 100000

static void emit_long(void)
{
	char *message = malloc(LONG_MESSAGE_LENGTH + 1);

	assert_non_null(message);
	memset(message, 'x', LONG_MESSAGE_LENGTH);
	message[LONG_MESSAGE_LENGTH] = '\0';
	log_error("scratch", "%s", message);
	free(message);
}

/* A long path or libfuse option string is not cut short. */
static void test_long_message_whole(void **state)
{
	char *text = capture_stderr(emit_long);
	const char *prefix = "error: scratch: ";

	(void)state;
	assert_int_equal(strlen(text),
			 strlen(prefix) + LONG_MESSAGE_LENGTH + 1);
	assert_memory_equal(text, prefix, strlen(prefix));
	assert_int_equal(text[strlen(text) - 1], '\n');
	assert_int_equal(strspn(text + strlen(prefix), "x"),
			 LONG_MESSAGE_LENGTH);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_record_names_mount, use_stderr),
		cmocka_unit_test_setup(test_record_about_daemon, use_stderr),
		cmocka_unit_test_setup(test_level_filters, use_stderr),
		cmocka_unit_test_setup(test_long_message_whole, use_stderr),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
