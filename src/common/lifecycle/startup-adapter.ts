import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { StartupServer } from './startup-server.js';

/** An Express adapter for Nest that serves on the start-up server, which already listens. */
export function startupAdapter(startup: StartupServer): ExpressAdapter {
  return new (class extends ExpressAdapter {
    override initHttpServer(): void {
      this.setHttpServer(startup.server);
    }

    /** Called by `app.listen()`: hand the socket to the application instead of listening again. */
    override listen(_port: string | number, ...args: unknown[]): Server {
      startup.handOver(this.getInstance<(req: IncomingMessage, res: ServerResponse) => void>());
      const callback = args.at(-1);
      if (typeof callback === 'function') process.nextTick(callback as () => void);
      return startup.server;
    }
  })();
}
