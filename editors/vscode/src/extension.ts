// VS Code client for the Symbiont language server (`symbi lsp`, JSON-RPC over stdio).
//
// Settings: `symbi.server.command` (default "symbi"), `symbi.server.args` (default ["lsp"]) and
// `symbi.trace.server` (read by vscode-languageclient because the client id is "symbi").
// Command: `symbi.restartServer`. Changing a `symbi.server.*` setting restarts the server.

import * as os from "os";
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

const CLIENT_ID = "symbi";
const CLIENT_NAME = "Symbiont Language Server";

let client: LanguageClient | undefined;
let outputChannel: vscode.OutputChannel | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  outputChannel = vscode.window.createOutputChannel(CLIENT_NAME);
  context.subscriptions.push(outputChannel);

  context.subscriptions.push(
    vscode.commands.registerCommand("symbi.restartServer", () => restart()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("symbi.server")) {
        void restart();
      }
    }),
  );

  await start();
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
  return {
    command,
    args,
    transport: TransportKind.stdio,
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
  try {
    await next.start();
  } catch (error) {
    client = undefined;
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
