// A stand-in for the `vscode` module, enough for the bundled extension and vscode-languageclient to
// start the real language server and talk to it. Everything the test does not name is an "anything"
// proxy: callable, constructible, every property another such proxy, disposable, never a thenable.
"use strict";

const os = require("os");

function anything(name) {
  const target = function () {};
  return new Proxy(target, {
    get(_, prop) {
      if (prop === "then") return undefined; // not a promise
      if (prop === Symbol.toPrimitive) return () => `[vscode mock ${name}]`;
      if (prop === Symbol.iterator) return function* () {};
      if (prop === "dispose") return () => undefined;
      if (!(prop in target)) target[prop] = anything(`${name}.${String(prop)}`);
      return target[prop];
    },
    set(_, prop, value) {
      target[prop] = value;
      return true;
    },
    apply() {
      return anything(`${name}()`);
    },
    construct() {
      return anything(`new ${name}`);
    },
  });
}

class Disposable {
  constructor(callOnDispose) {
    this.callOnDispose = callOnDispose;
  }
  static from(...items) {
    return new Disposable(() => items.forEach((i) => i && i.dispose && i.dispose()));
  }
  dispose() {
    if (this.callOnDispose) this.callOnDispose();
  }
}

class EventEmitter {
  constructor() {
    this.listeners = new Set();
    this.event = (listener) => {
      this.listeners.add(listener);
      return new Disposable(() => this.listeners.delete(listener));
    };
  }
  fire(value) {
    for (const l of [...this.listeners]) l(value);
  }
  dispose() {
    this.listeners.clear();
  }
}

const noEvent = () => new Disposable();

function createMock({ folder, settings }) {
  const statusItems = [];
  const outputLines = [];
  const commands = new Map();
  const folderUri = { fsPath: folder, scheme: "file", toString: () => `file://${folder}`, path: folder };
  const configuration = (section) => ({
    get: (key, fallback) => {
      const full = section ? `${section}.${key}` : key;
      return full in settings ? settings[full] : fallback;
    },
    has: () => false,
    inspect: () => undefined,
    update: async () => undefined,
  });
  const base = {
    version: "1.82.0",
    Disposable,
    EventEmitter,
    StatusBarAlignment: { Left: 1, Right: 2 },
    workspace: new Proxy(
      {
        workspaceFolders: [{ uri: folderUri, name: "workspace", index: 0 }],
        textDocuments: [],
        getConfiguration: configuration,
        getWorkspaceFolder: () => undefined,
        onDidChangeConfiguration: noEvent,
        onDidOpenTextDocument: noEvent,
        onDidCloseTextDocument: noEvent,
        onDidChangeTextDocument: noEvent,
        onDidSaveTextDocument: noEvent,
        onWillSaveTextDocument: noEvent,
        onDidChangeWorkspaceFolders: noEvent,
        createFileSystemWatcher: () => ({
          onDidCreate: noEvent,
          onDidChange: noEvent,
          onDidDelete: noEvent,
          dispose() {},
        }),
      },
      { get: (t, p) => (p in t ? t[p] : anything(`workspace.${String(p)}`)) },
    ),
    window: new Proxy(
      {
        createOutputChannel: (name) => ({
          name,
          append: (text) => outputLines.push(text),
          appendLine: (text) => outputLines.push(text),
          replace() {},
          clear() {},
          show() {},
          hide() {},
          dispose() {},
        }),
        createStatusBarItem: (alignment, priority) => {
          const item = { alignment, priority, text: "", tooltip: "", visible: false, history: [] };
          item.show = () => {
            item.visible = true;
            item.history.push(item.text);
          };
          item.hide = () => (item.visible = false);
          item.dispose = () => (item.visible = false);
          statusItems.push(item);
          return item;
        },
        showErrorMessage: async (message) => {
          outputLines.push(`error message: ${message}`);
          return undefined;
        },
        activeTextEditor: undefined,
        visibleTextEditors: [],
        onDidChangeActiveTextEditor: noEvent,
        onDidChangeVisibleTextEditors: noEvent,
      },
      { get: (t, p) => (p in t ? t[p] : anything(`window.${String(p)}`)) },
    ),
    commands: new Proxy(
      {
        registerCommand: (id, fn) => {
          commands.set(id, fn);
          return new Disposable(() => commands.delete(id));
        },
        executeCommand: async (id, ...args) => (commands.has(id) ? commands.get(id)(...args) : undefined),
      },
      { get: (t, p) => (p in t ? t[p] : anything(`commands.${String(p)}`)) },
    ),
    env: new Proxy(
      { appName: "vscode-mock", language: "en", machineId: "test", sessionId: "test", uiKind: 1 },
      { get: (t, p) => (p in t ? t[p] : anything(`env.${String(p)}`)) },
    ),
  };
  const vscode = new Proxy(base, { get: (t, p) => (p in t ? t[p] : (t[p] = anything(String(p)))) });
  return { vscode, statusItems, outputLines, commands, os };
}

module.exports = { createMock };
