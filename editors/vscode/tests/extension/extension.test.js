// The bundled extension (dist/extension.js, what the .vsix ships) loaded against a stand-in `vscode`
// module, starting the REAL language server (`python3 -m symbi_lang.cli.main lsp`, i.e. `symbi lsp`):
// the status-bar item follows the server's state, the client completes the LSP handshake, and a server
// that cannot start shows "failed". Runs with `node --test` on Node 18 and 20; no VS Code download.
"use strict";

const assert = require("node:assert/strict");
const Module = require("node:module");
const path = require("node:path");
const { test } = require("node:test");
const { createMock } = require("./vscode-mock");

const ROOT = path.resolve(__dirname, "..", "..");
const REPO = path.resolve(ROOT, "..", "..");
const BUNDLE = path.join(ROOT, "dist", "extension.js");
const PYTHON = process.env.PYTHON || "python3";

function loadExtension(settings) {
  const mock = createMock({ folder: REPO, settings });
  const originalLoad = Module._load;
  Module._load = function (request, ...rest) {
    return request === "vscode" ? mock.vscode : originalLoad.call(this, request, ...rest);
  };
  try {
    delete require.cache[require.resolve(BUNDLE)];
    return { extension: require(BUNDLE), mock };
  } finally {
    Module._load = originalLoad;
  }
}

function context() {
  return { subscriptions: [], extensionPath: ROOT, globalState: { get: () => undefined, update: async () => {} } };
}

async function until(predicate, what, limitMs = 30000) {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test("starts the real server, shows its state in the status bar and stops it", async () => {
  const { extension, mock } = loadExtension({
    "symbi.server.command": PYTHON,
    "symbi.server.args": ["-m", "symbi_lang.cli.main", "lsp"],
  });
  const ctx = context();
  await extension.activate(ctx);
  const [item] = mock.statusItems;
  assert.ok(item, "a status-bar item was created");
  await until(() => item.text === "$(check) symbi", "the running state");
  assert.equal(item.history[0], "$(sync~spin) symbi");
  assert.equal(item.tooltip, "Symbiont language server: running");
  assert.equal(item.command, "symbi.showServerOutput");
  assert.equal(extension.serverInfo().name, "symbi-lsp"); // the real server answered `initialize`
  await extension.deactivate();
  assert.equal(item.text, "$(circle-slash) symbi");
  for (const d of ctx.subscriptions) d.dispose();
});

test("a server that cannot start shows 'failed' and says how to fix it", async () => {
  const { extension, mock } = loadExtension({ "symbi.server.command": "/nonexistent/symbi" });
  await extension.activate(context());
  const [item] = mock.statusItems;
  assert.equal(item.text, "$(error) symbi");
  assert.ok(mock.outputLines.some((line) => line.includes("pip install symbi")), mock.outputLines.join("\n"));
  await extension.deactivate();
});
