/**
 * `@symbi/client`: a TypeScript client for the symbi scheduler's HTTP API, shaped like the spec's
 * JavaScript SDK. Every request and response type comes from `./schema.js`, which `npm run generate`
 * writes from the server's committed OpenAPI document, so the client cannot drift from the server.
 *
 *     const client = new SymbiontClient({ baseUrl: "http://localhost:8080", apiKey: process.env.SYMBI_API_KEY });
 *     const job = await client.schedule.create({ name: "daily-backup", agentId: "backup-agent", cronExpr: "0 0 2 * * *" });
 */
import { type CallOptions, SymbiApiError, Transport, type TransportOptions } from "./http.js";
import type { components, paths } from "./schema.js";

export { SymbiApiError };
export type { CallOptions, ErrorBody } from "./http.js";
export type { components, paths } from "./schema.js";

// --- types taken from the generated document ------------------------------------------------------

type Schemas = components["schemas"];
type JsonOf<T> = T extends { content: { "application/json": infer B } } ? B : never;
type Op<P extends keyof paths, M extends keyof paths[P]> = paths[P][M];
type Ok<O> = O extends { responses: { 200: infer R } } ? JsonOf<R> : O extends { responses: { 201: infer R } } ? JsonOf<R> : never;
type BodyOf<O> = O extends { requestBody?: infer B } ? NonNullable<JsonOf<NonNullable<B>>> : never;
type QueryOf<O> = O extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

/** `snake_case` → `camelCase`, at the type level. */
type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;
/** An input object whose keys may be written in camelCase (as the spec's example does) or as the API spells them. */
export type Camelized<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T as K extends string ? CamelCase<K> : K]: Camelized<T[K]> } | T
    : T;

/** A job as the server returns it (`job.id`, `job.next_run`, …). */
export type Job = Ok<Op<"/api/v1/schedule/{job_id}", "get">>;
/** A job as `create` returns it: the job, plus `warnings` when the server had any. */
export type CreatedJob = Ok<Op<"/api/v1/schedule", "post">>;
/** One run (`run.id`, `run.status`, `run.execution_time_ms`, …). */
export type Run = Ok<Op<"/api/v1/runs/{run_id}", "get">>;
export type AuditEvent = Ok<Op<"/api/v1/audit", "get">> extends readonly (infer E)[] ? E : never;
export type SchedulerHealth = Ok<Op<"/api/v1/health/scheduler", "get">>;
export type ServiceHealth = Ok<Op<"/api/v1/health", "get">>;
export type NextRuns = Ok<Op<"/api/v1/schedules/{job_id}/next-runs", "get">>;
export type Deleted = Ok<Op<"/api/v1/schedule/{job_id}", "delete">>;
export type ErrorCode = Schemas["ErrorCode"];
/** What a backfill did (or, with `dry_run`, would do) for each fire of the range. */
export type BackfillResult = Ok<Op<"/api/v1/schedule/{job_id}/backfill", "post">>;
/** Why the fire nearest an instant ran or didn't: its gates in pipeline order. */
export type Explanation = Ok<Op<"/api/v1/schedule/{job_id}/explain", "get">>;

export type CreateJobInput = Camelized<BodyOf<Op<"/api/v1/schedule", "post">>>;
export type UpdateJobInput = Camelized<BodyOf<Op<"/api/v1/schedule/{job_id}", "put">>>;
export type RunNowInput = Camelized<BodyOf<Op<"/api/v1/schedule/{job_id}/run", "post">>>;
export type DecisionInput = Camelized<BodyOf<Op<"/api/v1/runs/{run_id}/approve", "post">>>;
export type ListFilter = Camelized<QueryOf<Op<"/api/v1/schedule", "get">>>;
export type HistoryFilter = Camelized<QueryOf<Op<"/api/v1/schedule/{job_id}/history", "get">>>;
export type AuditFilter = Camelized<QueryOf<Op<"/api/v1/audit", "get">>>;
export type BackfillInput = Camelized<BodyOf<Op<"/api/v1/schedule/{job_id}/backfill", "post">>>;
export type ExplainFilter = Camelized<QueryOf<Op<"/api/v1/schedule/{job_id}/explain", "get">>>;

export interface ClientOptions {
  /** Where `symbi up --api` listens, e.g. `http://localhost:8080` (without `/api/v1`). */
  baseUrl: string;
  /** The bearer token (`SYMBI_API_TOKEN` on the server, or a token configured in `symbi.toml`). */
  apiKey?: string | undefined;
  /** Per-call timeout in milliseconds (default 30 000); each call may override it. */
  timeoutMs?: number;
  /** A `fetch` implementation (default: the global one, Node 18+ and browsers). */
  fetch?: typeof fetch;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
}

const PREFIX = "/api/v1";

/** Maps `{ agentId, cronExpr, policy: { requireApproval } }` to the API's `snake_case`; the keys of
 * `webhook_headers` (header names) are data and stay as given. Already-snake keys pass unchanged. */
export function toSnakeCase(value: unknown, keepKeys = false): unknown {
  if (Array.isArray(value)) return value.map((v) => toSnakeCase(v));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined) continue;
    const snake = keepKeys ? key : key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    out[snake] = toSnakeCase(v, snake === "webhook_headers");
  }
  return out;
}

function id(value: string): string {
  if (typeof value !== "string" || !value) throw new TypeError("a job or run id must be a non-empty string");
  return encodeURIComponent(value);
}

/** The schedule operations of the spec's SDK (`client.schedule.…`). */
export class ScheduleApi {
  constructor(private readonly http: Transport) {}

  /** Create a job; the result is the stored job (`job.id`) with any `warnings`. */
  create(job: CreateJobInput, options: CallOptions = {}): Promise<CreatedJob> {
    return this.http.request("POST", `${PREFIX}/schedule`, { body: toSnakeCase(job), ...options });
  }

  /** Every job, optionally filtered (`{ status: "active", agentId: "reporter" }`). */
  list(filter: ListFilter = {}, options: CallOptions = {}): Promise<Job[]> {
    return this.http.request("GET", `${PREFIX}/schedule`, { query: toSnakeCase(filter) as Record<string, string>, ...options });
  }

  /** One job by id or name. */
  get(jobId: string, options: CallOptions = {}): Promise<Job> {
    return this.http.request("GET", `${PREFIX}/schedule/${id(jobId)}`, options);
  }

  /** The job's scheduling state (`status.status`, `status.next_run`, `status.last_run`, …). */
  getStatus(jobId: string, options: CallOptions = {}): Promise<Job> {
    return this.get(jobId, options);
  }

  /** Change a job (fields not given keep their values). */
  update(jobId: string, changes: UpdateJobInput, options: CallOptions = {}): Promise<Job> {
    return this.http.request("PUT", `${PREFIX}/schedule/${id(jobId)}`, { body: toSnakeCase(changes), ...options });
  }

  /** Delete a job and its history. */
  delete(jobId: string, options: CallOptions = {}): Promise<Deleted> {
    return this.http.request("DELETE", `${PREFIX}/schedule/${id(jobId)}`, options);
  }

  pause(jobId: string, options: CallOptions = {}): Promise<Job> {
    return this.http.request("POST", `${PREFIX}/schedule/${id(jobId)}/pause`, options);
  }

  resume(jobId: string, options: CallOptions = {}): Promise<Job> {
    return this.http.request("POST", `${PREFIX}/schedule/${id(jobId)}/resume`, options);
  }

  /** Run the job now through the full pipeline; resolves with the finished run. */
  runNow(jobId: string, input: RunNowInput = {}, options: CallOptions = {}): Promise<Run> {
    return this.http.request("POST", `${PREFIX}/schedule/${id(jobId)}/run`, { body: toSnakeCase(input), ...options });
  }

  /** Past runs, newest first (`{ limit: 10, status: "failed" }`). */
  getHistory(jobId: string, filter: HistoryFilter = {}, options: CallOptions = {}): Promise<Run[]> {
    return this.http.request("GET", `${PREFIX}/schedule/${id(jobId)}/history`, {
      query: toSnakeCase(filter) as Record<string, string>,
      ...options,
    });
  }

  /** The next `count` fire times (RFC 3339). */
  nextRuns(jobId: string, { count }: { count?: number } = {}, options: CallOptions = {}): Promise<NextRuns> {
    return this.http.request("GET", `${PREFIX}/schedules/${id(jobId)}/next-runs`, { query: { count }, ...options });
  }

  /** Approve a run parked `awaiting_approval` (needs the `approve` scope; the actor is the token's principal). */
  approve(runId: string, decision: DecisionInput = {}, options: CallOptions = {}): Promise<Run> {
    return this.http.request("POST", `${PREFIX}/runs/${id(runId)}/approve`, { body: toSnakeCase(decision), ...options });
  }

  /** Deny a run parked `awaiting_approval`; a `reason` is required. */
  deny(runId: string, decision: DecisionInput, options: CallOptions = {}): Promise<Run> {
    return this.http.request("POST", `${PREFIX}/runs/${id(runId)}/deny`, { body: toSnakeCase(decision), ...options });
  }

  /** One run by id. */
  getRun(runId: string, options: CallOptions = {}): Promise<Run> {
    return this.http.request("GET", `${PREFIX}/runs/${id(runId)}`, options);
  }

  /** Create a `backfill` run for every fire between `from` and `to` that has none (`{ from, to, overlap, dryRun }`;
   * instants with a UTC offset). Fires that already ran are reported, never run twice. Needs the `write` scope. */
  backfill(jobId: string, range: BackfillInput, options: CallOptions = {}): Promise<BackfillResult> {
    return this.http.request("POST", `${PREFIX}/schedule/${id(jobId)}/backfill`, { body: toSnakeCase(range), ...options });
  }

  /** Every gate, in pipeline order, for the fire nearest `at` (default: the server's now). */
  explain(jobId: string, filter: ExplainFilter = {}, options: CallOptions = {}): Promise<Explanation> {
    return this.http.request("GET", `${PREFIX}/schedule/${id(jobId)}/explain`, {
      query: toSnakeCase(filter) as Record<string, string>,
      ...options,
    });
  }

  /** Scheduler health and run metrics (as the spec's `client.schedule.health()`). */
  health(options: CallOptions = {}): Promise<SchedulerHealth> {
    return this.http.request("GET", `${PREFIX}/health/scheduler`, options);
  }
}

/** The client: `client.schedule.*`, plus `audit` and `health`. */
export class SymbiontClient {
  readonly schedule: ScheduleApi;
  private readonly http: Transport;

  constructor(options: ClientOptions) {
    const transport: TransportOptions = {
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      timeoutMs: options.timeoutMs,
      fetch: options.fetch,
      headers: options.headers,
    };
    this.http = new Transport(transport);
    this.schedule = new ScheduleApi(this.http);
  }

  /** Audit events, newest first (`{ type: "CronJobDenied", job: "x", since: "2026-01-01T00:00:00Z", limit }`). */
  audit(filter: AuditFilter = {}, options: CallOptions = {}): Promise<AuditEvent[]> {
    return this.http.request("GET", `${PREFIX}/audit`, { query: toSnakeCase(filter) as Record<string, string>, ...options });
  }

  /** Liveness without a token (`/api/v1/health`). */
  health(options: CallOptions = {}): Promise<ServiceHealth> {
    return this.http.request("GET", `${PREFIX}/health`, { auth: false, ...options });
  }
}
