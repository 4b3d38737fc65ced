// The one way the console talks to the API. The session token lives in an
// HttpOnly cookie this code never sees; changes carry the session's CSRF value.
// When the session has expired, the request waits for the user to sign in
// again (in a dialog over the page they are on) and is then sent once more,
// so nothing typed is lost.

export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

let csrfToken = "";
let reauthenticate: (() => Promise<void>) | null = null;

export function useCsrfToken(token: string) {
  csrfToken = token;
}

/** The session's CSRF value, for requests sent other than through `api` (uploads). */
export function csrfValue(): string {
  return csrfToken;
}

/** Called on a 401 from a signed-in page; resolves once signed in again. */
export function onSessionExpired(handler: (() => Promise<void>) | null) {
  reauthenticate = handler;
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export async function api<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const response = await send(method, path, body);
  if (response.status === 401 && reauthenticate && !path.startsWith("/api/v1/auth/")) {
    await reauthenticate();
    return read<T>(await send(method, path, body));
  }
  return read<T>(response);
}

export const get = <T>(path: string) => api<T>("GET", path);

async function send(method: Method, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET") headers["x-csrf-token"] = csrfToken;
  try {
    return await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "network", "Noctis could not be reached. Check the connection and try again.");
  }
}

async function read<T>(response: Response): Promise<T> {
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const detail = (json as ErrorBody | undefined)?.error;
    throw new ApiError(
      response.status,
      detail?.code ?? "error",
      detail?.message ?? `The server answered ${response.status}.`,
      detail?.field,
    );
  }
  return json as T;
}

/** A query string from the set values of `params`. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}
