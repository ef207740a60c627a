"""Built-in rubric data files (YAML), shipped inside the package."""
