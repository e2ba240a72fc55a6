#!/usr/bin/env python3
"""Validate rewritten compose models (JSON files) against the compose specification's schema.

usage: validate-compose-schema.py SCHEMA.json MODEL.json...
Prints one line per invalid file (file, JSON path, message) and exits 1 if any is invalid.
"""
import json
import sys

import jsonschema


def main() -> int:
    schema_path, *models = sys.argv[1:]
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    validator = jsonschema.Draft7Validator(schema)
    bad = 0
    for path in models:
        with open(path, encoding="utf-8") as f:
            model = json.load(f)
        errors = sorted(validator.iter_errors(model), key=lambda e: list(e.path))
        for e in errors:
            where = "/".join(str(p) for p in e.path) or "(top)"
            print(f"{path}: {where}: {e.message}")
        bad += bool(errors)
    print(f"schema: {len(models) - bad} valid, {bad} invalid")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
