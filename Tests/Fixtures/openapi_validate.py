"""Validates real answers of `plan-check serve` against the schemas its OpenAPI document gives
for them (python3-jsonschema, JSON Schema 2020-12 as OpenAPI 3.1 uses).

usage: /usr/bin/python3 openapi_validate.py OPENAPI.json CASES.json
CASES.json: [{"path": "/v1/query", "method": "post", "status": "200", "file": ANSWER.json}, ...]

For each case the response schema is looked up in the document (paths → operation → responses
→ content → schema, following `$ref`s into components) and the answer validated against it.
Also checks that the document is OpenAPI 3.1 and that every component schema is a valid schema.
Exit 0 when every answer is valid; prints each failure otherwise.
"""
import json
import sys

from jsonschema import Draft202012Validator


def resolve(document, node):
    """Follows `$ref: "#/a/b"` pointers from the document's root until a node without one."""
    while isinstance(node, dict) and "$ref" in node and node["$ref"].startswith("#/"):
        target = document
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def main():
    document = json.load(open(sys.argv[1]))
    cases = json.load(open(sys.argv[2]))
    failures = []
    if not str(document.get("openapi", "")).startswith("3.1"):
        failures.append(f"openapi is {document.get('openapi')!r}, not 3.1.x")
    for name, schema in document["components"]["schemas"].items():
        try:
            Draft202012Validator.check_schema(schema)
        except Exception as error:
            failures.append(f"component {name} is not a valid JSON Schema: {error}")
    for case in cases:
        operation = document["paths"][case["path"]][case["method"]]
        response = resolve(document, operation["responses"][case["status"]])
        content = response["content"]
        schema = resolve(document, next(iter(content.values()))["schema"])
        answer = json.load(open(case["file"]))
        errors = sorted(Draft202012Validator(schema).iter_errors(answer), key=lambda e: list(e.path))
        for error in errors[:5]:
            failures.append(f"{case['method'].upper()} {case['path']} {case['status']} ({case['file']}): {list(error.path)}: {error.message[:300]}")
        print(f"{case['method'].upper()} {case['path']} {case['status']}: {'valid' if not errors else f'{len(errors)} errors'}")
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
