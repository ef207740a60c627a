"""Built-in questions data files (YAML), shipped inside the package."""
