import type { INestApplication } from '@nestjs/common';
import { Secret, TOTP } from 'otpauth';
import request from 'supertest';
import type { Clock } from '../../src/common/time/clock.js';

/** The TOTP code an authenticator app would show at the clock's time. */
export function totpAt(secretBase32: string, clock: Clock): string {
  return TOTP.generate({ secret: Secret.fromBase32(secretBase32), timestamp: clock.now().getTime() });
}

type Reply = request.Response;

/**
 * A browser-like client of the console API: keeps the cookies the server sets (supertest would not
 * send `Secure` cookies over plain HTTP) and sends the CSRF token on every non-GET.
 */
export class ConsoleClient {
  readonly cookies = new Map<string, string>();
  csrf?: string;
  secret?: string;
  recoveryCodes: string[] = [];

  constructor(
    private readonly http: ReturnType<INestApplication['getHttpServer']>,
    private readonly clock: Clock,
  ) {}

  /** Same cookies and CSRF token, another server (a second replica). */
  on(http: ReturnType<INestApplication['getHttpServer']>): ConsoleClient {
    const other = new ConsoleClient(http, this.clock);
    for (const [k, v] of this.cookies) other.cookies.set(k, v);
    other.csrf = this.csrf;
    other.secret = this.secret;
    return other;
  }

  async send(
    method: 'get' | 'post' | 'patch' | 'delete',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply> {
    let req = request(this.http)[method](`/admin/api${path}`);
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (cookie) req = req.set('Cookie', cookie);
    if (method !== 'get' && this.csrf) req = req.set('X-CSRF-Token', this.csrf);
    req = req.set(headers);
    const res = body === undefined ? await req : await req.send(body as object);
    this.keepCookies(res);
    return res;
  }

  get(path: string, headers?: Record<string, string>): Promise<Reply> {
    return this.send('get', path, undefined, headers);
  }
  post(path: string, body: unknown = {}, headers?: Record<string, string>): Promise<Reply> {
    return this.send('post', path, body, headers);
  }
  patch(path: string, body: unknown, headers?: Record<string, string>): Promise<Reply> {
    return this.send('patch', path, body, headers);
  }
  delete(path: string, headers?: Record<string, string>): Promise<Reply> {
    return this.send('delete', path, undefined, headers);
  }

  code(): string {
    if (!this.secret) throw new Error('not enrolled');
    return totpAt(this.secret, this.clock);
  }

  /** First sign-in of an operator without MFA: password, enrolment, confirmation. */
  async enrol(email: string, password: string): Promise<Reply> {
    const login = await this.post('/auth/login', { email, password });
    if (login.status !== 200 || login.body.state !== 'mfa_enrollment_required')
      throw new Error(`login: ${login.status} ${JSON.stringify(login.body)}`);
    const enrolment = await this.post('/auth/mfa/enroll');
    this.secret = enrolment.body.secret_base32 as string;
    const confirm = await this.post('/auth/mfa/enroll/confirm', { code: this.code() });
    if (confirm.status !== 200) throw new Error(`confirm: ${confirm.status} ${JSON.stringify(confirm.body)}`);
    this.csrf = confirm.body.csrf_token as string;
    this.recoveryCodes = confirm.body.recovery_codes as string[];
    return confirm;
  }

  /** Sign-in of an enrolled operator; moves the clock to the next TOTP step first (a step is accepted once). */
  async login(email: string, password: string, secondFactor?: { recovery_code: string }): Promise<Reply> {
    const login = await this.post('/auth/login', { email, password });
    if (login.status !== 200) return login;
    if (!secondFactor) (this.clock as unknown as { advance(ms: number): void }).advance(30_000);
    const verify = await this.post('/auth/mfa/verify', secondFactor ?? { code: this.code() });
    if (verify.status === 200) this.csrf = verify.body.csrf_token as string;
    return verify;
  }

  /** Step-up with a fresh code (next TOTP step). */
  async reauth(): Promise<Reply> {
    (this.clock as unknown as { advance(ms: number): void }).advance(30_000);
    return this.post('/auth/reauth', { code: this.code() });
  }

  private keepCookies(res: Reply): void {
    const set = res.headers['set-cookie'] as unknown as string[] | undefined;
    for (const line of set ?? []) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}
