import { type ChildProcess, spawn } from 'node:child_process';
import { type Agent, request as httpRequest } from 'node:http';

/** Plain HTTP calls to a spawned server (no keep-alive unless an agent is given). */
export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function send(
  port: number,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: unknown; agent?: Agent | false } = {},
): Promise<Reply> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: options.agent ?? false,
        headers: { ...(payload ? { 'Content-Type': 'application/json' } : {}), ...options.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** The built service (`node dist/main`) as a child process on the suite's database. */
export class BuiltServer {
  readonly output: string[] = [];
  exit?: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private child?: ChildProcess;

  constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  async start(): Promise<void> {
    const child = spawn(process.execPath, ['dist/main'], {
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        // Production refuses to start without it (it seals operators' TOTP secrets).
        ADMIN_MFA_ENCRYPTION_KEY: 'cd'.repeat(32),
        DATABASE_URL: process.env.TEST_DB_URL!,
        RUN_MIGRATIONS_ON_START: 'false',
        PORT: String(this.port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout.setEncoding('utf8').on('data', (c: string) => this.output.push(c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => this.output.push(c));
    this.exit = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + 60_000; // generous: CI machines may be loaded
    for (;;) {
      const ready = await send(this.port, 'GET', '/health/ready').catch(() => undefined);
      if (ready?.status === 200) return;
      if (child.exitCode !== null) throw new Error(`server exited: ${this.logs}`);
      if (Date.now() > deadline) throw new Error(`server not ready: ${this.logs}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  get logs(): string {
    return this.output.join('');
  }

  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exit;
    }
  }
}
