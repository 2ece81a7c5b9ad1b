/**
 * Test harness: a real `symbi up --api` on a free loopback port with a temporary database and a
 * `command` agent, and a loopback webhook receiver the server is allowed to deliver to.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file runs from runtime/clients/typescript/dist/test/); SYMBI_REPO overrides it. */
export const REPO = process.env.SYMBI_REPO ?? resolve(dirname(fileURLToPath(import.meta.url)), "../../../../..");

export const TOKEN = "test-token-0123456789abcdef";
export const READ_TOKEN = "read-only-token-0123456789";

export interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** An HTTP server on 127.0.0.1 that records every POST it receives. */
export class WebhookReceiver {
  readonly received: Received[] = [];
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let data = "";
      req.on("data", (chunk) => (data += chunk));
      req.on("end", () => {
        let body: unknown = data;
        try {
          body = JSON.parse(data);
        } catch {
          /* keep the text */
        }
        this.received.push({ path: req.url ?? "", headers: req.headers, body });
        res.writeHead(200, { "content-type": "application/json" });
        res.end('{"ok": true}');
      });
    });
    await new Promise<void>((ok) => this.server!.listen(0, "127.0.0.1", ok));
    this.port = (this.server!.address() as AddressInfo).port;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((ok) => (this.server ? this.server.close(() => ok()) : ok()));
  }
}

const AGENTS = `
agent {
    name: "backup-agent"
    description: "Pretends to back up a database: echoes its input"
    command: ["sh", "-c", "echo \\"backed up: $(cat)\\""]
}

agent {
    name: "failing-agent"
    command: ["sh", "-c", "echo 'disk full' >&2; exit 3"]
}

schedule {
    name: "nightly-from-file"
    agent: "backup-agent"
    cron: "0 0 3 * * *"
}
`;

/** `symbi up --api` in a subprocess, with its own temporary folder. */
export class SymbiServer {
  private child: ChildProcess | undefined;
  private dir = "";
  baseUrl = "";
  output = "";

  async start(config: string): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), "symbi-ts-client-"));
    writeFileSync(join(this.dir, "agents.symbi"), AGENTS);
    writeFileSync(join(this.dir, "symbi.toml"), config);
    const python = process.env.PYTHON ?? "python3";
    const pythonPath = [REPO, join(REPO, "runtime"), join(REPO, "lsp"), process.env.PYTHONPATH]
      .filter(Boolean)
      .join(":");
    this.child = spawn(
      python,
      ["-m", "symbi_lang.cli.main", "up", "--api", "--api-port", "0", "--db", join(this.dir, "state.db"), "agents.symbi"],
      {
        cwd: this.dir,
        env: { ...process.env, PYTHONPATH: pythonPath, SYMBI_API_TOKEN: TOKEN, NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    this.child.stdout!.on("data", (d) => (this.output += d));
    this.child.stderr!.on("data", (d) => (this.output += d));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const match = /api: (http:\/\/127\.0\.0\.1:\d+)\/api\/v1/.exec(this.output);
      if (match) {
        this.baseUrl = match[1]!;
        return;
      }
      if (this.child.exitCode !== null) break;
      await new Promise((ok) => setTimeout(ok, 50));
    }
    await this.stop();
    throw new Error(`symbi up --api did not start:\n${this.output}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((ok) => child.once("exit", ok));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((ok) => setTimeout(ok, 10_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
