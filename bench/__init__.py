"""Benchmarks (not tests): build times and warm LA-switch times in a real browser."""
