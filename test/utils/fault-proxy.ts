import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** One relayed TCP connection: the app's side and the database's side. */
interface Link {
  client: Socket;
  upstream: Socket;
  /** Bytes held back while the proxy is frozen, in arrival order per direction. */
  heldUp: Buffer[];
  heldDown: Buffer[];
  /** Set by {@link FaultProxy.cutAfterReply}: drop the link on the database's next bytes. */
  cutOnReply?: () => void;
}

/**
 * A TCP relay of the test's own between the app and the suite's PostgreSQL, so fault tests never
 * touch the shared server. It can:
 *  - refuse: close the listener and drop every link (the database is gone);
 *  - freeze: keep every link open but pass no bytes either way, and accept new connections without
 *    answering them (the database's processes are stopped: SIGSTOP);
 *  - cut one statement: drop a link just before a statement reaches the database (it never ran), or
 *    just after the database answered it (it ran and committed, the app never hears).
 * Statements are recognised by a marker in the bytes the app sends (e.g. a prepared statement's name).
 */
export class FaultProxy {
  private server?: Server;
  private readonly links = new Set<Link>();
  private frozen = false;
  private readonly triggers: { marker: string; mode: 'before' | 'after'; fired: () => void }[] = [];
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** A proxy for the database of `url`, and `url` rewritten to go through it. */
  static async forUrl(url: string): Promise<{ proxy: FaultProxy; url: string }> {
    const target = new URL(url);
    const proxy = new FaultProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    target.hostname = '127.0.0.1';
    target.port = String(proxy.port);
    return { proxy, url: target.toString() };
  }

  /** Listen (again, on the same port) and relay. Also thaws a frozen proxy. */
  async start(): Promise<void> {
    this.thaw();
    if (this.server) return;
    const server = createServer((client) => this.relay(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Refuse new connections and drop the open ones. */
  async refuse(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.dropAll();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Drop every open link (the database restarted); new connections are still relayed. */
  dropAll(): void {
    for (const link of this.links) this.drop(link);
  }

  /** Stop passing bytes both ways on every link, old and new, until {@link thaw}. */
  freeze(): void {
    this.frozen = true;
  }

  /** Deliver what was held back and relay normally again. */
  thaw(): void {
    if (!this.frozen) return;
    this.frozen = false;
    for (const link of this.links) {
      for (const chunk of link.heldUp.splice(0)) this.toDatabase(link, chunk);
      for (const chunk of link.heldDown.splice(0)) link.client.write(chunk);
    }
  }

  /**
   * The next time the app sends bytes containing `marker`, drop that link: `before` the bytes reach
   * the database (the statement never runs), or `after` the database's first answer to them (it
   * ran; autocommit means it committed). Resolves when the link was cut.
   */
  cut(marker: string, mode: 'before' | 'after'): Promise<void> {
    return new Promise((resolve) => this.triggers.push({ marker, mode, fired: resolve }));
  }

  get openLinks(): number {
    return this.links.size;
  }

  private relay(client: Socket): void {
    const upstream = connect(this.targetPort, this.targetHost);
    const link: Link = { client, upstream, heldUp: [], heldDown: [] };
    this.links.add(link);
    const close = () => this.drop(link);
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.on('data', (chunk: Buffer) => {
      if (this.frozen) return void link.heldUp.push(chunk);
      this.toDatabase(link, chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (link.cutOnReply) {
        const fired = link.cutOnReply;
        link.cutOnReply = undefined;
        this.drop(link);
        return fired();
      }
      if (this.frozen) return void link.heldDown.push(chunk);
      client.write(chunk);
    });
  }

  private toDatabase(link: Link, chunk: Buffer): void {
    const index = this.triggers.findIndex((t) => chunk.includes(t.marker));
    if (index >= 0) {
      const [trigger] = this.triggers.splice(index, 1);
      if (trigger.mode === 'before') {
        this.drop(link);
        return trigger.fired();
      }
      link.cutOnReply = trigger.fired;
    }
    link.upstream.write(chunk);
  }

  private drop(link: Link): void {
    if (!this.links.delete(link)) return;
    link.client.destroy();
    link.upstream.destroy();
  }
}
