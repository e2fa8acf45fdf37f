"""Read-only queries, target maths, chart builders and text for the GLD explorer's pages."""
