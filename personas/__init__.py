"""Built-in personas data files (YAML), shipped inside the package."""
