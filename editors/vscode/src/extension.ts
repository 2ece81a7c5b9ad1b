// VS Code client for the Symbiont language server (`symbi lsp`, JSON-RPC over stdio).
//
// Settings: `symbi.server.command` (default "symbi"), `symbi.server.args` (default ["lsp"]) and
// `symbi.trace.server` (read by vscode-languageclient because the client id is "symbi").
// Command: `symbi.restartServer`. Changing a `symbi.server.*` setting restarts the server.
// A status-bar item shows the server's state (starting, running, stopped, failed); clicking it opens the
// server's output channel.

import * as os from "os";
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  State,
} from "vscode-languageclient/node";

const CLIENT_ID = "symbi";
const CLIENT_NAME = "Symbiont Language Server";

const SHOW_OUTPUT = "symbi.showServerOutput";

let client: LanguageClient | undefined;
let outputChannel: vscode.OutputChannel | undefined;
let statusItem: vscode.StatusBarItem | undefined;

/** What the status-bar item says in each server state. */
export type ServerState = "starting" | "running" | "stopped" | "failed";

const STATUS: Record<ServerState, { text: string; tooltip: string }> = {
  starting: { text: "$(sync~spin) symbi", tooltip: "Symbiont language server: starting" },
  running: { text: "$(check) symbi", tooltip: "Symbiont language server: running" },
  stopped: { text: "$(circle-slash) symbi", tooltip: "Symbiont language server: stopped" },
  failed: { text: "$(error) symbi", tooltip: "Symbiont language server: failed to start (click for its output)" },
};

export function showState(state: ServerState): void {
  if (statusItem === undefined) {
    return;
  }
  statusItem.text = STATUS[state].text;
  statusItem.tooltip = STATUS[state].tooltip;
  statusItem.show();
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  outputChannel = vscode.window.createOutputChannel(CLIENT_NAME);
  statusItem = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  statusItem.name = CLIENT_NAME;
  statusItem.command = SHOW_OUTPUT;
  context.subscriptions.push(outputChannel, statusItem);

  context.subscriptions.push(
    vscode.commands.registerCommand("symbi.restartServer", () => restart()),
    vscode.commands.registerCommand(SHOW_OUTPUT, () => outputChannel?.show(true)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("symbi.server")) {
        void restart();
      }
    }),
  );

  await start();
}

/** The running server's name and version (from its `initialize` answer), for tests and diagnostics. */
export function serverInfo(): { name: string; version?: string } | undefined {
  return client?.initializeResult?.serverInfo;
}

export async function deactivate(): Promise<void> {
  await stop();
}

/** Replace `${workspaceFolder}`, `${userHome}` and a leading `~` in a setting value. */
function expand(value: string): string {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? "";
  let result = value
    .replace(/\$\{workspaceFolder\}/g, folder)
    .replace(/\$\{userHome\}/g, os.homedir());
  if (result === "~" || result.startsWith("~/")) {
    result = os.homedir() + result.slice(1);
  }
  return result;
}

function serverOptions(): ServerOptions {
  const config = vscode.workspace.getConfiguration("symbi.server");
  const command = expand(config.get<string>("command", "symbi").trim() || "symbi");
  const args = config.get<string[]>("args", ["lsp"]).map(expand);
  const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  // No `transport`: with `TransportKind.stdio` vscode-languageclient appends `--stdio` to the arguments,
  // which older `symbi lsp` versions reject; without it the server is started as configured, on stdio.
  return {
    command,
    args,
    options: { cwd, env: process.env },
  };
}

function clientOptions(): LanguageClientOptions {
  return {
    documentSelector: [
      { scheme: "file", language: "symbi" },
      { scheme: "untitled", language: "symbi" },
    ],
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher("**/{*.symbi,symbi.toml}"),
    },
    outputChannel,
  };
}

async function start(): Promise<void> {
  const options = serverOptions();
  const next = new LanguageClient(CLIENT_ID, CLIENT_NAME, options, clientOptions());
  client = next;
  next.onDidChangeState((event) => {
    if (client !== next) {
      return; // a replaced client's last words
    }
    if (event.newState === State.Running) {
      showState("running");
    } else if (event.newState === State.Starting) {
      showState("starting");
    } else {
      showState("stopped");
    }
  });
  showState("starting");
  try {
    await next.start();
  } catch (error) {
    client = undefined;
    showState("failed");
    next.dispose().catch(() => undefined);
    const command = "command" in options ? options.command : "symbi";
    const message = error instanceof Error ? error.message : String(error);
    const choice = await vscode.window.showErrorMessage(
      `Could not start the Symbiont language server (\`${command}\`): ${message}. ` +
        "Install it with `pip install symbi` or set `symbi.server.command`.",
      "Open Settings",
      "Show Output",
    );
    if (choice === "Open Settings") {
      await vscode.commands.executeCommand("workbench.action.openSettings", "symbi.server");
    } else if (choice === "Show Output") {
      outputChannel?.show(true);
    }
  }
}

async function stop(): Promise<void> {
  const current = client;
  client = undefined;
  if (current === undefined) {
    return;
  }
  showState("stopped");
  try {
    await current.stop();
  } catch {
    // The server may already be gone (crashed or never started); nothing left to stop.
  }
}

async function restart(): Promise<void> {
  await stop();
  await start();
}
