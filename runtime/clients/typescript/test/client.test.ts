/**
 * The spec's JavaScript SDK example, end to end against a real `symbi up --api`, plus every error path.
 * Run with `npm test` (builds, then `node --test` on the compiled files).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";

import { SymbiApiError, SymbiontClient } from "../src/index.js";
import { READ_TOKEN, SymbiServer, TOKEN, WebhookReceiver } from "./server.js";

const receiver = new WebhookReceiver();
const server = new SymbiServer();
let client: SymbiontClient;

before(async () => {
  await receiver.start();
  const readDigest = createHash("sha256").update(READ_TOKEN).digest("hex");
  await server.start(
    [
      "[scheduler.delivery]",
      'allowed_hosts = ["127.0.0.1"]',
      "",
      "[[api.tokens]]",
      'principal = "viewer"',
      'scopes = ["read"]',
      `sha256 = "${readDigest}"`,
      "",
    ].join("\n"),
  );
  client = new SymbiontClient({ baseUrl: server.baseUrl, apiKey: TOKEN });
});

after(async () => {
  await server.stop();
  await receiver.stop();
});

async function rejects(promise: Promise<unknown>): Promise<SymbiApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SymbiApiError, `expected a SymbiApiError, got ${String(error)}`);
    return error;
  }
  assert.fail("the call succeeded");
}

describe("the spec's JavaScript example", () => {
  it("creates, lists, reads, runs, pauses, reads history, resumes and deletes a job", async () => {
    // Create scheduled job (as written in the spec, with the webhook pointing at the loopback receiver)
    const job = await client.schedule.create({
      name: "daily-backup",
      agentId: "backup-agent",
      cronExpr: "0 0 2 * * *",
      sessionMode: "ephemeral_with_summary",
      delivery: ["webhook"],
      webhookUrl: receiver.url("/notify"),
    });
    assert.equal(typeof job.id, "string");
    assert.equal(job.name, "daily-backup");
    assert.equal(job.agent_id, "backup-agent");

    // List active jobs
    const activeJobs = await client.schedule.list({ status: "active" });
    assert.ok(activeJobs.some((j) => j.id === job.id));
    assert.ok(activeJobs.every((j) => j.status === "active"));

    // Get job status
    const status = await client.schedule.getStatus(job.id);
    assert.equal(status.status, "active");
    assert.match(status.next_run ?? "", /T02:00:00/);

    // Trigger immediate run: it succeeds and the webhook receipt is ok
    const run = await client.schedule.runNow(job.id, { input: "Backup database" });
    assert.equal(run.status, "succeeded");
    assert.equal(run.output?.trim(), "backed up: Backup database");
    assert.equal(typeof run.execution_time_ms, "number");
    const receipts = run.receipts as Array<{ channel: string; ok: boolean }>;
    assert.deepEqual(
      receipts.map((r) => [r.channel, r.ok]),
      [["webhook", true]],
    );
    assert.equal(receiver.received.length, 1);
    assert.equal(receiver.received[0]!.path, "/notify");
    assert.match(JSON.stringify(receiver.received[0]!.body), /backed up: Backup database/);

    // Pause job
    const paused = await client.schedule.pause(job.id);
    assert.equal(paused.status, "paused");

    // View history
    const history = await client.schedule.getHistory(job.id, { limit: 10 });
    assert.equal(history.length, 1);
    assert.equal(history[0]!.id, run.id);
    assert.equal(history[0]!.status, "succeeded");
    assert.equal(history[0]!.execution_time_ms, run.execution_time_ms);

    // Resume job
    const resumed = await client.schedule.resume(job.id);
    assert.equal(resumed.status, "active");

    // Delete job
    const deleted = await client.schedule.delete(job.id);
    assert.equal(deleted.deleted, true);
    const gone = await rejects(client.schedule.get(job.id));
    assert.equal(gone.status, 404);
  });
});

describe("the rest of the API", () => {
  it("get, update, nextRuns, audit and both healths", async () => {
    const job = await client.schedule.create({ name: "hourly-report", agentId: "backup-agent", cronExpr: "0 0 * * * *" });
    const got = await client.schedule.get("hourly-report");
    assert.equal(got.id, job.id);

    const updated = await client.schedule.update(job.id, { cronExpr: "0 30 * * * *", maxConcurrent: 2 });
    assert.equal(updated.cron_expr, "0 30 * * * *");
    assert.match(updated.next_run ?? "", /:30:00/);

    const next = await client.schedule.nextRuns(job.id, { count: 3 });
    assert.equal(next.next_runs.length, 3);
    const times = next.next_runs.map((t) => Date.parse(t));
    assert.ok(times[0]! < times[1]! && times[1]! < times[2]!);
    assert.ok(times.every((t) => new Date(t).getUTCMinutes() === 30));

    const events = await client.audit({ job: job.id, limit: 10 });
    assert.ok(events.some((e) => e.event_type === "CronJobCreated" || e.event_type === "CronJobUpdated"));

    const health = await client.schedule.health();
    assert.ok(health.jobs_active >= 1);
    const live = await new SymbiontClient({ baseUrl: server.baseUrl }).health(); // no token needed
    assert.equal(live.status, "healthy");
    await client.schedule.delete(job.id);
  });

  it("a failing agent is a failed run in history", async () => {
    const job = await client.schedule.create({ name: "will-fail", agentId: "failing-agent", cronExpr: "0 0 4 * * *" });
    const run = await client.schedule.runNow(job.id);
    assert.equal(run.status, "failed");
    const failed = await client.schedule.getHistory(job.id, { status: "failed", limit: 5 });
    assert.deepEqual(
      failed.map((r) => r.id),
      [run.id],
    );
    await client.schedule.delete(job.id);
  });
});

describe("backfill and explain", () => {
  it("backfills past fires once, the server runs them, and explain reads them back", async () => {
    await client.schedule.create({ name: "hourly-backfill", agentId: "backup-agent", cronExpr: "0 0 * * * *", input: "old data" });
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const iso = (ms: number) => new Date(ms).toISOString();
    const range = { from: iso(hour - 3 * 3_600_000), to: iso(hour - 3_600_000) };
    const expected = [3, 2, 1].map((h) => iso(hour - h * 3_600_000).slice(0, 19));

    const dry = await client.schedule.backfill("hourly-backfill", { ...range, dryRun: true });
    assert.equal(dry.dry_run, true);
    assert.deepEqual(
      dry.fires.map((f) => [f.scheduled_for.slice(0, 19), f.action]),
      expected.map((t) => [t, "would create"]),
    );
    assert.equal((await client.schedule.getHistory("hourly-backfill")).length, 0);

    const done = await client.schedule.backfill("hourly-backfill", range);
    assert.equal(done.created, 3);
    assert.ok(done.fires.every((f) => f.trigger === "backfill" && f.status === "pending"));

    // The running server picks them up and runs each one.
    const deadline = Date.now() + 30_000;
    let history = await client.schedule.getHistory("hourly-backfill");
    while (history.filter((r) => r.status === "succeeded").length < 3 && Date.now() < deadline) {
      await new Promise((ok) => setTimeout(ok, 100));
      history = await client.schedule.getHistory("hourly-backfill");
    }
    assert.deepEqual(
      history.map((r) => [r.trigger, r.status, r.output?.trim()]),
      [0, 1, 2].map(() => ["backfill", "succeeded", "backed up: old data"]),
    );

    const again = await client.schedule.backfill("hourly-backfill", range);
    assert.equal(again.created, 0);
    assert.deepEqual(new Set(again.fires.map((f) => f.action)), new Set(["already recorded"]));

    const why = await client.schedule.explain("hourly-backfill", { at: expected[1] + "Z" });
    assert.equal(why.future, false);
    assert.equal(why.fire?.slice(0, 19), expected[1]);
    assert.equal(why.run?.trigger, "backfill");
    assert.equal(why.run?.status, "succeeded");
    assert.ok(why.gates.some((g) => g.gate === "execution" && g.verdict === "passed"));

    const viewer = new SymbiontClient({ baseUrl: server.baseUrl, apiKey: READ_TOKEN });
    assert.equal((await rejects(viewer.schedule.backfill("hourly-backfill", range))).status, 403);
    assert.equal((await viewer.schedule.explain("hourly-backfill")).job, "hourly-backfill");

    const reversed = await rejects(client.schedule.backfill("hourly-backfill", { from: range.to, to: range.from }));
    assert.equal(reversed.status, 400);
    assert.equal(reversed.code, "VALIDATION_ERROR");
    assert.deepEqual(
      (reversed.details as Array<{ field: string }>).map((d) => d.field),
      ["to"],
    );
    await client.schedule.delete("hourly-backfill");
  });
});

describe("errors", () => {
  it("401: no or a wrong token, and the token never appears in the message", async () => {
    const wrong = new SymbiontClient({ baseUrl: server.baseUrl, apiKey: "not-the-token-but-long-enough" });
    const err = await rejects(wrong.schedule.list());
    assert.equal(err.status, 401);
    assert.equal(err.code, "UNAUTHORIZED");
    assert.ok(!err.message.includes("not-the-token-but-long-enough"));
    const none = await rejects(new SymbiontClient({ baseUrl: server.baseUrl }).schedule.list());
    assert.equal(none.status, 401);
  });

  it("403: a read-only token cannot create", async () => {
    const viewer = new SymbiontClient({ baseUrl: server.baseUrl, apiKey: READ_TOKEN });
    assert.ok(Array.isArray(await viewer.schedule.list()));
    const err = await rejects(viewer.schedule.create({ name: "nope", agentId: "backup-agent", cronExpr: "0 0 1 * * *" }));
    assert.equal(err.status, 403);
    assert.ok(!err.message.includes(READ_TOKEN));
  });

  it("404: an unknown job", async () => {
    const err = await rejects(client.schedule.getStatus("no-such-job"));
    assert.equal(err.status, 404);
    assert.equal(typeof err.code, "string");
    assert.match(err.code, /^[A-Z_]+$/);
  });

  it("409: a name that exists, and a job defined by a file", async () => {
    const job = await client.schedule.create({ name: "twice", agentId: "backup-agent", cronExpr: "0 0 5 * * *" });
    const dup = await rejects(client.schedule.create({ name: "twice", agentId: "backup-agent", cronExpr: "0 0 5 * * *" }));
    assert.equal(dup.status, 409);
    const fromFile = await rejects(client.schedule.update("nightly-from-file", { cronExpr: "0 0 4 * * *" }));
    assert.equal(fromFile.status, 409);
    assert.match(fromFile.message, /agents\.symbi/);
    // …but a file-defined job can be paused and resumed
    assert.equal((await client.schedule.pause("nightly-from-file")).status, "paused");
    assert.equal((await client.schedule.resume("nightly-from-file")).status, "active");
    await client.schedule.delete(job.id);
  });

  it("400: field-level details", async () => {
    const err = await rejects(
      client.schedule.create({ name: "bad", agentId: "backup-agent", cronExpr: "0 0 25 * * *", maxConcurrent: -1 }),
    );
    assert.equal(err.status, 400);
    assert.ok(Array.isArray(err.details) && err.details.length >= 1, JSON.stringify(err.details));
    const fields = JSON.stringify(err.details);
    assert.match(fields, /max_concurrent/);
  });

  it("a timeout and an AbortSignal end the call with a typed error", async () => {
    const slow = new SymbiontClient({ baseUrl: server.baseUrl, apiKey: TOKEN, timeoutMs: 1 });
    const job = await client.schedule.create({ name: "slow-one", agentId: "backup-agent", cronExpr: "0 0 6 * * *" });
    const timedOut = await rejects(slow.schedule.runNow(job.id, { input: "x" }, { timeoutMs: 1 }));
    assert.equal(timedOut.code, "TIMEOUT");
    assert.equal(timedOut.status, 0);
    const controller = new AbortController();
    controller.abort();
    const aborted = await rejects(client.schedule.list({}, { signal: controller.signal }));
    assert.equal(aborted.code, "ABORTED");
    await client.schedule.delete(job.id);
  });

  it("a server that is not there is a NETWORK_ERROR", async () => {
    const nowhere = new SymbiontClient({ baseUrl: "http://127.0.0.1:9", apiKey: TOKEN });
    const err = await rejects(nowhere.health());
    assert.equal(err.code, "NETWORK_ERROR");
    assert.ok(!err.message.includes(TOKEN));
  });
});
