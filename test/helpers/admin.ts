/**
 * Calling the admin API as IT would: a client registered with scope wardgate:admin gets a token
 * through client_credentials at Wardgate's real token endpoint, then calls /admin/api/v1 over HTTP.
 */
import type { TestServer } from './server.ts';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** client_credentials at Wardgate's token endpoint as this client (HTTP Basic): the status and the JSON answer. */
export async function tokenFor(server: Pick<TestServer, 'issuer'>, clientId: string, secret: string, scope = 'wardgate:admin') {
  const response = await fetch(`${server.issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }),
  });
  return { status: response.status, body: (await response.json()) as { access_token?: string; error?: string } };
}

/** A token of a new client registered with (and asking for) `scope`. */
export async function clientCredentialsToken(server: TestServer, scope = 'wardgate:admin'): Promise<string> {
  const registered = await server.clients.register({ client_name: `admin-test-${scope || 'none'}`, grant_types: ['client_credentials'], scope });
  const { body } = await tokenFor(server, registered.client_id, registered.client_secret!, scope);
  if (!body.access_token) throw new Error(`client_credentials failed: ${JSON.stringify(body)}`);
  return body.access_token;
}

export class AdminClient {
  readonly base: string;
  readonly token: string | undefined;
  constructor(issuer: string, token?: string) {
    this.base = `${issuer}/admin/api/v1`;
    this.token = token;
  }

  async request<T = any>(method: string, path: string, options: { json?: unknown; body?: string; contentType?: string; headers?: Record<string, string> } = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let body: string | undefined = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    }
    if (options.contentType) headers['content-type'] = options.contentType;
    const response = await fetch(`${this.base}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('application/json') && text) parsed = JSON.parse(text);
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }

  get<T = any>(path: string) {
    return this.request<T>('GET', path);
  }
  post<T = any>(path: string, json?: unknown) {
    return this.request<T>('POST', path, json === undefined ? {} : { json });
  }
  put<T = any>(path: string, json: unknown) {
    return this.request<T>('PUT', path, { json });
  }
  patch<T = any>(path: string, json: unknown) {
    return this.request<T>('PATCH', path, { json });
  }
  delete<T = any>(path: string) {
    return this.request<T>('DELETE', path);
  }
}

/** An admin API client holding a fresh wardgate:admin token. */
export async function adminClient(server: TestServer): Promise<AdminClient> {
  return new AdminClient(server.issuer, await clientCredentialsToken(server));
}
