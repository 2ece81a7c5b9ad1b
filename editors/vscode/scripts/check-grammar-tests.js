#!/usr/bin/env node
// Guards the grammar test files before vscode-tmgrammar-test reads them.
//
// vscode-tmgrammar-test 0.1.x accepts one " - " per assertion ("^ required scopes - prohibited scopes");
// a line with a second " - " makes its assertion regex backtrack exponentially and the run never ends.
// Failing fast here keeps CI from hanging on a typo. Also checks each file has the SYNTAX TEST header.
"use strict";

const fs = require("fs");
const path = require("path");

const dir = path.join(__dirname, "..", "tests", "grammar");
const header = /^# SYNTAX TEST "source\.symbi"/;
const assertion = /^#\s*(\^|<-)/;
let problems = 0;
let files = 0;

for (const name of fs.readdirSync(dir).filter((n) => n.endsWith(".symbi")).sort()) {
  files += 1;
  const lines = fs.readFileSync(path.join(dir, name), "utf8").split("\n");
  if (!header.test(lines[0])) {
    console.error(`${name}:1: missing '# SYNTAX TEST "source.symbi" "<description>"' header`);
    problems += 1;
  }
  lines.forEach((line, i) => {
    if (assertion.test(line) && line.split(" - ").length > 2) {
      console.error(`${name}:${i + 1}: more than one " - " in an assertion; list every prohibited scope after a single " - "`);
      problems += 1;
    }
  });
}

if (files === 0) {
  console.error(`no grammar tests found in ${dir}`);
  process.exit(1);
}
if (problems > 0) {
  process.exit(1);
}
