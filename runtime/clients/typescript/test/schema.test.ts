/**
 * The generated types cannot drift from the server: regenerating them from the committed OpenAPI
 * document must give exactly the committed `src/schema.ts`, whose header names the document's SHA-256.
 * When this fails, run `npm run generate` and commit the result.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { it } from "node:test";

import openapiTS, { astToString, COMMENT_HEADER } from "openapi-typescript";

import { REPO } from "./server.js";

const PACKAGE = join(REPO, "runtime", "clients", "typescript");
const DOCUMENT = join(REPO, "runtime", "symbi_runtime", "openapi.json");

function committed(): { digest: string; body: string } {
  const text = readFileSync(join(PACKAGE, "src", "schema.ts"), "utf8");
  const match = /^\/\/ Generated from [^\n]*\n\/\/ openapi\.json sha256: ([0-9a-f]{64})\n/.exec(text);
  assert.ok(match, "src/schema.ts lacks its generated header; run `npm run generate`");
  return { digest: match[1]!, body: text.slice(match[0].length) };
}

it("src/schema.ts was generated from the committed openapi.json", () => {
  const digest = createHash("sha256").update(readFileSync(DOCUMENT)).digest("hex");
  assert.equal(committed().digest, digest, "openapi.json changed since the types were generated: run `npm run generate`");
});

it("regenerating the types gives the committed file", async () => {
  const ast = await openapiTS(pathToFileURL(DOCUMENT), { defaultNonNullable: false });
  assert.equal(committed().body, COMMENT_HEADER + astToString(ast), "run `npm run generate` and commit src/schema.ts");
});
