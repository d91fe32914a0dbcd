/* Test plugin: a shared object that exports no descriptor. */
int fusehost_test_not_a_plugin(void);
int fusehost_test_not_a_plugin(void)
{
	return 42;
}
