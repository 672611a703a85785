import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { DATABASE_RETRY_AFTER_S } from '../errors/retry-after.js';

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
};

/** What the port answers before the application is ready: probes, and 503 for everything else. */
function starting(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/health/live') return json(res, 200, { status: 'ok', info: {}, error: {}, details: {} });
  if (path === '/health/ready') {
    const down = { database: { status: 'down', message: 'starting: waiting for the database' } };
    return json(res, 503, { status: 'error', info: {}, error: down, details: down });
  }
  if (path === '/health') return json(res, 503, { status: 'unhealthy', database: 'disconnected' });
  json(
    res,
    503,
    {
      detail: 'The service is starting and its database is not available yet; nothing was changed. Retry later.',
      code: 'database_unavailable',
    },
    { 'Retry-After': String(DATABASE_RETRY_AFTER_S) },
  );
}

/**
 * The HTTP listener, opened before anything else so liveness answers while the service waits for
 * its database (readiness 503, every other request 503 `database_unavailable`). Nest then serves on
 * this same server (startup-adapter.ts): `app.listen()` swaps the request handler in place, so the
 * port never closes between start-up and serving. Imports nothing heavy: it must listen quickly.
 */
export class StartupServer {
  readonly server: Server = createServer(starting);

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  /** From now on `handler` (the application) answers every request on this server. */
  handOver(handler: (req: IncomingMessage, res: ServerResponse) => void): void {
    this.server.removeListener('request', starting);
    this.server.on('request', handler);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
