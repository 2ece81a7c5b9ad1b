"""Print the OpenAPI document: `python -m symbi_runtime.api > runtime/symbi_runtime/openapi.json`."""

import sys

from symbi_runtime.api.app import document_text

sys.stdout.write(document_text())
