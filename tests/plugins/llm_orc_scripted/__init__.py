"""The `scripted` provider, a test double: installed only for the test suite and the benchmarks
(tests/conftest.py and benchmarks/harness.py put `tests/plugins/` on the path), never by
`pip install llm-orc`."""
