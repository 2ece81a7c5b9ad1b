#!/usr/bin/env node
// Tokenizes every real .symbi file in the repository's examples/ with the TextMate grammar and fails when
//   - a line takes too long (a runaway regex) or the tokenizer stops early,
//   - a token is scoped invalid.*,
//   - a file does not end back at the top level (a block, list, map or string left open),
//   - a `key:` at the start of a line is not scoped as a property (a body mis-scoped as something else),
//     unless that line is inside a string.
// Usage: node scripts/tokenize-examples.js [FILE_OR_DIR...]
//   (default: the repository's examples/ and tests/lang/checks/spec/, the user spec's examples verbatim)
"use strict";

const fs = require("fs");
const path = require("path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const LINE_TIME_LIMIT_MS = 500;
const grammarPath = path.join(__dirname, "..", "syntaxes", "symbi.tmLanguage.json");
const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm")).buffer;

function collect(args) {
  const repo = path.join(__dirname, "..", "..", "..");
  const roots = args.length > 0 ? args : [path.join(repo, "examples"), path.join(repo, "tests", "lang", "checks", "spec")];
  const files = [];
  for (const root of roots) {
    if (fs.statSync(root).isDirectory()) {
      for (const name of fs.readdirSync(root).sort()) {
        if (name.endsWith(".symbi")) files.push(path.join(root, name));
      }
    } else {
      files.push(root);
    }
  }
  return files;
}

async function main() {
  await oniguruma.loadWASM(wasm);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName) =>
      scopeName === "source.symbi"
        ? vsctm.parseRawGrammar(fs.readFileSync(grammarPath, "utf8"), grammarPath)
        : null,
  });
  const grammar = await registry.loadGrammar("source.symbi");
  const files = collect(process.argv.slice(2));
  if (files.length === 0) {
    console.error("no .symbi files found");
    process.exit(1);
  }
  let problems = 0;
  const report = (file, line, message) => {
    console.error(`${path.relative(process.cwd(), file)}:${line}: ${message}`);
    problems += 1;
  };
  for (const file of files) {
    const lines = fs.readFileSync(file, "utf8").split(/\r?\n/);
    let stack = vsctm.INITIAL;
    lines.forEach((text, i) => {
      const result = grammar.tokenizeLine(text, stack, LINE_TIME_LIMIT_MS);
      if (result.stoppedEarly) {
        report(file, i + 1, `tokenizing stopped early (over ${LINE_TIME_LIMIT_MS} ms)`);
      }
      for (const token of result.tokens) {
        const invalid = token.scopes.find((s) => s.startsWith("invalid"));
        if (invalid) {
          report(file, i + 1, `${invalid} at column ${token.startIndex + 1}: ${text.slice(token.startIndex, token.endIndex)}`);
        }
      }
      const key = /^(\s*)([A-Za-z_][A-Za-z0-9_]*)\s*:/.exec(text);
      if (key) {
        const at = key[1].length;
        const token = result.tokens.find((t) => t.startIndex <= at && at < t.endIndex);
        const scopes = token ? token.scopes : [];
        const inString = scopes.some((s) => s.startsWith("string."));
        if (!inString && !scopes.some((s) => s.includes("property"))) {
          report(file, i + 1, `key \`${key[2]}\` scoped ${scopes.join(" ")}`);
        }
      }
      stack = result.ruleStack;
    });
    if (stack !== vsctm.INITIAL && stack.depth > 1) {
      report(file, lines.length, "file ends inside a block, list, map or string");
    }
  }
  if (problems > 0) {
    process.exit(1);
  }
  console.log(`tokenized ${files.length} .symbi files: no invalid scopes, every block closed`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
