/**
 * The one place that talks HTTP: `fetch`, the bearer token, timeouts and abort signals, and turning
 * every non-2xx answer into a `SymbiApiError`. Nothing here knows the routes.
 */

/** The server's error body: `{"error", "code", "details"}` (see the OpenAPI document). */
export interface ErrorBody {
  error: string;
  code: string;
  details?: unknown;
}

/** Options every call takes. */
export interface CallOptions {
  /** Abort this call (e.g. when the user navigates away). */
  signal?: AbortSignal;
  /** Give up after this many milliseconds (overrides the client's `timeoutMs`). */
  timeoutMs?: number;
}

/**
 * A request the server refused or could not answer. `status` is the HTTP status (0 when no answer
 * came: network error, timeout or abort), `code` the server's stable UPPER_SNAKE error code (or
 * `NETWORK_ERROR` / `TIMEOUT` / `ABORTED` / `INVALID_RESPONSE`), `details` its field-level details.
 * The message never contains the API key.
 */
export class SymbiApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  readonly method: string;
  readonly path: string;

  constructor(init: { status: number; code: string; message: string; details?: unknown; method: string; path: string }) {
    super(init.message);
    this.name = "SymbiApiError";
    this.status = init.status;
    this.code = init.code;
    this.details = init.details ?? null;
    this.method = init.method;
    this.path = init.path;
  }
}

export interface TransportOptions {
  baseUrl: string;
  apiKey?: string | undefined;
  timeoutMs?: number | undefined;
  fetch?: typeof fetch | undefined;
  headers?: Record<string, string> | undefined;
}

type Query = Record<string, string | number | boolean | undefined | null>;

/** Sends requests to one server with one key. */
export class Transport {
  private readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly headers: Record<string, string>;

  constructor(options: TransportOptions) {
    if (!options.baseUrl) throw new TypeError("SymbiontClient needs a baseUrl");
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.apiKey = options.apiKey;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    const impl = options.fetch ?? globalThis.fetch;
    if (typeof impl !== "function") throw new TypeError("no fetch available: pass options.fetch");
    this.fetchImpl = impl.bind(globalThis);
    this.headers = { ...(options.headers ?? {}) };
  }

  async request<T>(
    method: string,
    path: string,
    init: { query?: Query; body?: unknown; auth?: boolean } & CallOptions = {},
  ): Promise<T> {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(init.query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: "application/json", ...this.headers };
    if (init.auth !== false && this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    let body: string | undefined;
    if (init.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(init.body);
    }
    const timeout = init.timeoutMs ?? this.timeoutMs;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new TimeoutSignal()), timeout);
    const onAbort = () => controller.abort(init.signal?.reason);
    if (init.signal?.aborted) controller.abort(init.signal.reason);
    else init.signal?.addEventListener("abort", onAbort, { once: true });
    const fail = (status: number, code: string, message: string, details?: unknown) =>
      new SymbiApiError({ status, code, message: this.scrub(message), details, method, path });
    try {
      let response: Response;
      try {
        response = await this.fetchImpl(url, { method, headers, body, signal: controller.signal });
      } catch (error) {
        if (controller.signal.reason instanceof TimeoutSignal) {
          throw fail(0, "TIMEOUT", `${method} ${path} timed out after ${timeout} ms`);
        }
        if (controller.signal.aborted) throw fail(0, "ABORTED", `${method} ${path} was aborted`);
        throw fail(0, "NETWORK_ERROR", `${method} ${path} failed: ${describe(error)}`);
      }
      const text = await response.text();
      let data: unknown = null;
      if (text) {
        try {
          data = JSON.parse(text);
        } catch {
          throw fail(response.status, "INVALID_RESPONSE", `${method} ${path}: the server answered ${response.status} with non-JSON`);
        }
      }
      if (!response.ok) {
        const err = isErrorBody(data) ? data : undefined;
        throw fail(
          response.status,
          err?.code ?? `HTTP_${response.status}`,
          `${method} ${path}: ${response.status} ${err?.error ?? response.statusText}`,
          err?.details,
        );
      }
      return data as T;
    } finally {
      clearTimeout(timer);
      init.signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Never let the key reach a message, whatever a server or a network error echoes. */
  private scrub(message: string): string {
    return this.apiKey ? message.split(this.apiKey).join("***") : message;
  }
}

class TimeoutSignal extends Error {}

function isErrorBody(data: unknown): data is ErrorBody {
  return typeof data === "object" && data !== null && typeof (data as ErrorBody).error === "string";
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}
