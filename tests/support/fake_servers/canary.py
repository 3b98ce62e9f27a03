"""A canary API key: provider tests set it and check that it shows up nowhere but the wire."""

CANARY = "sk-canary-4f1d2e3c5b6a79880011"
CANARY_ENV = "LLM_ORC_TEST_CANARY_KEY"
