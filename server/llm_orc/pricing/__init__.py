"""Cost accounting: what a model's tokens cost, from the `genai-prices` table or a profile."""
