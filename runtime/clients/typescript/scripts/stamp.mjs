// Prepends a header to the generated src/schema.ts naming the OpenAPI document it came from and that
// document's SHA-256, so a test (and a reader) can tell when the types are older than the document.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const documentPath = join(here, "../../../symbi_runtime/openapi.json");
const schemaPath = join(here, "../src/schema.ts");
const digest = createHash("sha256").update(readFileSync(documentPath)).digest("hex");
const body = readFileSync(schemaPath, "utf8").replace(/^\/\/ Generated from[^\n]*\n\/\/ [^\n]*\n/, "");
writeFileSync(
  schemaPath,
  `// Generated from runtime/symbi_runtime/openapi.json by \`npm run generate\`; do not edit.\n` +
    `// openapi.json sha256: ${digest}\n` +
    body,
);
