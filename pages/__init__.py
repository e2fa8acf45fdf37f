"""Page modules: layout only. They call `profiles` for every number, table and chart."""
