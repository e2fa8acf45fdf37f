"""Build the GLD explorer's database (`data/gld.duckdb`) and GeoParquet files from registered raw files."""
