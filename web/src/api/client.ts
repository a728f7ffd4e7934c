// The one way the UI talks to the API: JSON over fetch, the error envelope turned into an
// ApiError (message, code, field, request id), the CSRF header on changes made with the
// session cookie, and one place that notices an ended session.
import type { ErrorEnvelope } from "./types/ErrorEnvelope";
import type { ErrorCode } from "./types/ErrorCode";

export const API = "/api/v1";

/** A failed request, as the API described it. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode | "NETWORK_ERROR";
  readonly field: string | null;
  readonly requestId: string | null;
  readonly details: Record<string, unknown>;

  constructor(
    status: number,
    code: ErrorCode | "NETWORK_ERROR",
    message: string,
    field: string | null,
    requestId: string | null,
    details: Record<string, unknown> = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
    this.requestId = requestId;
    this.details = details;
  }
}

let csrfToken: string | null = null;

/** Remembers the session's CSRF token (from login or /auth/me). */
export function setCsrfToken(token: string | null) {
  csrfToken = token;
}

type AuthListener = (code: "UNAUTHENTICATED" | "PASSWORD_CHANGE_REQUIRED") => void;
let authListener: AuthListener | null = null;

/** Called when any request finds the session ended or a password change pending. */
export function onAuthProblem(listener: AuthListener | null) {
  authListener = listener;
}

export interface RequestOptions {
  method?: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  body?: unknown;
  query?: Record<string, string | number | boolean | null | undefined | string[]>;
  signal?: AbortSignal;
  /** Do not report a 401 to the session handler (the login form itself). */
  quietAuth?: boolean;
}

/** Builds `/api/v1{path}?query`, dropping empty values and repeating arrays. */
export function apiUrl(path: string, query?: RequestOptions["query"]): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined || v === null || v === "") continue;
    if (Array.isArray(v)) v.forEach((item) => params.append(k, item));
    else params.set(k, String(v));
  }
  const qs = params.toString();
  return `${API}${path}${qs ? `?${qs}` : ""}`;
}

/** Percent-encodes one path segment (image references contain `/` and `:`). */
export const seg = (s: string) => encodeURIComponent(s);

export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const method = opts.method ?? "GET";
  const headers: Record<string, string> = { accept: "application/json" };
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["x-csrf-token"] = csrfToken;
  let res: Response;
  try {
    res = await fetch(apiUrl(path, opts.query), {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      credentials: "same-origin",
      signal: opts.signal,
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === "AbortError") throw e;
    throw new ApiError(0, "NETWORK_ERROR", "The server could not be reached. Is Berth running?", null, null);
  }
  const requestId = res.headers.get("x-request-id");
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!res.ok) {
    const env = data as Partial<ErrorEnvelope> | null;
    const err = env && typeof env === "object" && env.error
      ? new ApiError(res.status, env.error.code, env.error.message, env.error.field ?? null,
          env.request_id ?? requestId, env.error.details ?? {})
      : new ApiError(res.status, "INTERNAL_ERROR", `${res.status} ${res.statusText}`, null, requestId);
    if (!opts.quietAuth && (err.code === "UNAUTHENTICATED" || err.code === "PASSWORD_CHANGE_REQUIRED")) {
      authListener?.(err.code);
    }
    throw err;
  }
  return data as T;
}

/** A `ws://` URL on this origin for an API stream path. */
export function wsUrl(path: string, query?: RequestOptions["query"]): string {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}${apiUrl(path, query)}`;
}

/** Words for any thrown value, with the request id when the API gave one. */
export function describeError(e: unknown): { message: string; requestId: string | null } {
  if (e instanceof ApiError) return { message: e.message, requestId: e.requestId };
  if (e instanceof Error) return { message: e.message, requestId: null };
  return { message: String(e), requestId: null };
}
