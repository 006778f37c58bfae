/**
 * Requests to the server that serves the page. When the service asks for credentials (401), the page asks the
 * user for a token once and keeps it in this browser's session storage (never in the URL), sending it as
 * `Authorization: Bearer`.
 *
 * Author: Claude.
 *
 * @module
 */

const TOKEN_KEY = 'bpfship-token';

/** An HTTP error with the service's problem details, when it sent them. */
export class HttpError extends Error {
  readonly status: number;
  readonly body: unknown;

  constructor(status: number, message: string, body: unknown) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.body = body;
  }
}

/** The token the user gave, if any. */
export function token(): string | undefined {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const t = token();
  return t !== undefined ? { ...extra, authorization: `Bearer ${t}` } : extra;
}

async function checked(response: Response, url: string, retry: () => Promise<Response>): Promise<Response> {
  if (response.status === 401) {
    const given = prompt('This service asks for a token (a read or publish token of bpfship serve --read-token-file / --token-file):');
    if (given !== null && given.trim() !== '') {
      sessionStorage.setItem(TOKEN_KEY, given.trim());
      response = await retry();
    }
  }
  if (!response.ok) {
    let body: unknown;
    const text = await response.text();
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    // The service's problem body: { error: { code, message } }.
    const problem = typeof body === 'object' && body !== null ? (body as { error?: { code?: string; message?: string }; message?: string }) : undefined;
    const detail = problem?.error?.message ?? problem?.message ?? text.slice(0, 200);
    throw new HttpError(response.status, `${url}: ${response.status} ${detail}`, body);
  }
  return response;
}

/** GETs JSON. */
export async function fetchJson<T>(url: string): Promise<T> {
  const go = (): Promise<Response> => fetch(url, { headers: headers({ accept: 'application/json' }) });
  const r = await checked(await go(), url, go);
  return (await r.json()) as T;
}

/** POSTs bytes, returning the status and the JSON answer (errors included: the caller shows them). */
export async function postBytes(url: string, bytes: ArrayBuffer): Promise<{ status: number; body: unknown }> {
  const go = (): Promise<Response> => fetch(url, { method: 'POST', headers: headers({ 'content-type': 'application/octet-stream', accept: 'application/json' }), body: bytes });
  let r = await go();
  if (r.status === 401) r = await checked(r, url, go).catch((e: unknown) => (e instanceof HttpError ? new Response(JSON.stringify(e.body), { status: e.status }) : Promise.reject(e)));
  const text = await r.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: r.status, body };
}
