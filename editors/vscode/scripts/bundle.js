// Bundle the extension and vscode-languageclient into one file (dist/extension.js) with esbuild, so
// that the .vsix carries no node_modules. `vscode` is provided by the editor at run time.
// Usage: node scripts/bundle.js [--watch]
"use strict";

const path = require("path");
const esbuild = require("esbuild");

const options = {
  entryPoints: [path.join(__dirname, "..", "src", "extension.ts")],
  outfile: path.join(__dirname, "..", "dist", "extension.js"),
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node18",
  external: ["vscode"],
  sourcemap: false,
  minify: true,
  logLevel: "warning",
};

async function main() {
  if (process.argv.includes("--watch")) {
    const context = await esbuild.context(options);
    await context.watch();
    console.log("watching src/ (Ctrl-C stops)");
    return;
  }
  await esbuild.build(options);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
