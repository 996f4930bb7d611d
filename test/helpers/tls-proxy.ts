/**
 * A TLS-terminating proxy in front of a Wardgate with an https issuer, as tests see it: a request
 * for `https://<issuer host>/…` is sent over plain HTTP to the server's real address with the
 * browser's Host kept and `X-Forwarded-Proto: https` added, as nginx or a load balancer would. The
 * server must trust loopback as its proxy (WARDGATE_TRUST_PROXY=loopback). node:http, not fetch,
 * because fetch does not let a caller set Host.
 */
import http from 'node:http';
import { TestBrowser } from './browser.ts';

export function throughTlsProxy(upstream: string) {
  const target = new URL(upstream);
  return (url: string, init: { method?: string; headers?: RequestInit['headers']; body?: unknown } = {}): Promise<Response> =>
    new Promise((resolve, reject) => {
      const requested = new URL(url);
      const headers = { ...Object.fromEntries(new Headers(init.headers)), host: requested.host, 'x-forwarded-proto': 'https' };
      const forwarded = http.request({ host: target.hostname, port: target.port, path: requested.pathname + requested.search, method: init.method ?? 'GET', headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const answer = new Headers();
          for (const [key, value] of Object.entries(res.headers)) for (const v of [value ?? []].flat()) answer.append(key, v);
          const empty = res.statusCode === 204 || res.statusCode === 304 || init.method === 'HEAD';
          resolve(new Response(empty ? null : Buffer.concat(chunks), { status: res.statusCode!, headers: answer }));
        });
      });
      forwarded.on('error', reject);
      if (init.body !== undefined && init.body !== null) forwarded.write(init.body instanceof URLSearchParams ? init.body.toString() : (init.body as string | Uint8Array));
      forwarded.end();
    });
}

/** A browser at the https issuer, whose requests reach the server through `throughTlsProxy`. */
export class BrowserBehindTlsProxy extends TestBrowser {
  readonly #proxy: ReturnType<typeof throughTlsProxy>;
  constructor(issuer: string, upstream: string) {
    super(issuer);
    this.#proxy = throughTlsProxy(upstream);
  }

  protected override send(url: string, init: RequestInit): Promise<Response> {
    return this.#proxy(url, init);
  }
}
