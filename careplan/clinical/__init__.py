"""The clinical core: instruments, facts, medicines, rules, the engine and plan."""
