import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

export type FakeIntent = {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_received: number;
  currency: string;
  status: string;
  client_secret: string;
  description: string | null;
  receipt_email: string | null;
  metadata: Record<string, string>;
  livemode: boolean;
  created: number;
  last_payment_error: { message: string } | null;
  cancellation_reason: string | null;
  latest_charge: string | null;
};

export interface RecordedRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  authorization: string | undefined;
  form: URLSearchParams;
}

/**
 * A minimal Stripe API on 127.0.0.1 (random port) for the SDK to talk to: PaymentIntent create
 * (honouring Idempotency-Key like Stripe does) and retrieve. Tests move intents along by hand.
 */
export class FakeStripe {
  readonly intents = new Map<string, FakeIntent>();
  readonly requests: RecordedRequest[] = [];
  private readonly byIdempotencyKey = new Map<string, string>();
  private failures = 0;
  private readonly server = createServer((req, res) => void this.route(req, res));
  port = 0;

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** An intent as if created by someone else (or by us before a lost database write). */
  addIntent(fields: Partial<FakeIntent> & { amount: number; currency: string }): FakeIntent {
    const intent = this.newIntent(fields);
    this.intents.set(intent.id, intent);
    return intent;
  }

  /** The next `count` requests fail with a 500 that Stripe marks as not worth retrying. */
  failNext(count = 1): void {
    this.failures = count;
  }

  update(id: string, fields: Partial<FakeIntent>): FakeIntent {
    const intent = this.intents.get(id);
    if (!intent) throw new Error(`no fake intent ${id}`);
    Object.assign(intent, fields);
    return intent;
  }

  private newIntent(fields: Partial<FakeIntent> & { amount: number; currency: string }): FakeIntent {
    const id = `pi_fake${randomBytes(10).toString('hex')}`;
    return {
      id,
      object: 'payment_intent',
      amount_received: 0,
      status: 'requires_payment_method',
      client_secret: `${id}_secret_${randomBytes(8).toString('hex')}`,
      description: null,
      receipt_email: null,
      metadata: {},
      livemode: false,
      created: Math.floor(Date.now() / 1000),
      last_payment_error: null,
      cancellation_reason: null,
      latest_charge: null,
      ...fields,
    };
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const form = new URLSearchParams(req.method === 'GET' ? url.search : Buffer.concat(chunks).toString('utf8'));
    const idempotencyKey = req.headers['idempotency-key'] as string | undefined;
    this.requests.push({
      method: req.method ?? '',
      path: url.pathname,
      idempotencyKey,
      authorization: req.headers.authorization,
      form,
    });

    const send = (status: number, body: unknown) => {
      res.writeHead(status, {
        'content-type': 'application/json',
        'request-id': `req_${randomBytes(6).toString('hex')}`,
      });
      res.end(JSON.stringify(body));
    };
    if (this.failures > 0) {
      this.failures -= 1;
      res.setHeader('stripe-should-retry', 'false');
      return send(500, { error: { type: 'api_error', message: 'Simulated Stripe outage' } });
    }
    if (req.method === 'POST' && url.pathname === '/v1/payment_intents') {
      const replay = idempotencyKey ? this.byIdempotencyKey.get(idempotencyKey) : undefined;
      if (replay) return send(200, this.intents.get(replay));
      const metadata: Record<string, string> = {};
      for (const [key, value] of form) {
        const m = /^metadata\[(.+)\]$/.exec(key);
        if (m) metadata[m[1]] = value;
      }
      const intent = this.newIntent({
        amount: Number(form.get('amount')),
        currency: form.get('currency') ?? 'usd',
        description: form.get('description'),
        receipt_email: form.get('receipt_email'),
        metadata,
      });
      this.intents.set(intent.id, intent);
      if (idempotencyKey) this.byIdempotencyKey.set(idempotencyKey, intent.id);
      return send(200, intent);
    }
    const get = /^\/v1\/payment_intents\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && get) {
      const intent = this.intents.get(decodeURIComponent(get[1]));
      if (intent) return send(200, intent);
      return send(404, {
        error: {
          type: 'invalid_request_error',
          code: 'resource_missing',
          param: 'intent',
          message: `No such payment_intent: '${get[1]}'`,
        },
      });
    }
    send(404, {
      error: { type: 'invalid_request_error', message: `Unrecognized request URL (${req.method}: ${url.pathname})` },
    });
  }
}

let eventCounter = 0;

/** A Stripe event body and its `Stripe-Signature` header, signed with the SDK's test helper. */
export function signedEvent(
  type: string,
  object: object,
  secret: string,
  options: { livemode?: boolean; id?: string } = {},
): { payload: string; signature: string } {
  const payload = JSON.stringify({
    id: options.id ?? `evt_fake${++eventCounter}${randomBytes(4).toString('hex')}`,
    object: 'event',
    api_version: Stripe.API_VERSION,
    created: Math.floor(Date.now() / 1000),
    livemode: options.livemode ?? false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  });
  return { payload, signature: Stripe.webhooks.generateTestHeaderString({ payload, secret }) };
}
