import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { type BeforeApplicationShutdown, Global, Injectable, Logger, Module } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import { Env } from '../../config/env.js';

/**
 * Graceful shutdown, run by Nest's shutdown sequence before `dispose()` closes the HTTP adapter and
 * `onApplicationShutdown` closes the pool:
 *  1. draining starts: readiness answers 503 and every response says `Connection: close`;
 *  2. on SIGTERM, keep serving for `SHUTDOWN_DRAIN_MS` while load balancers drop the endpoint;
 *  3. stop accepting connections and wait (at most `SHUTDOWN_TIMEOUT_MS`) for in-flight requests.
 * Only then does the rest of the sequence close the database pool, so no acknowledged request is
 * cut short and no in-flight charge loses its connection.
 */
@Injectable()
export class GracefulShutdown implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Shutdown');
  private draining = false;

  constructor(
    private readonly env: Env,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  get isShuttingDown(): boolean {
    return this.draining;
  }

  /** Once draining, every response closes its connection, so keep-alive clients reconnect elsewhere. */
  readonly middleware = (_req: Request, res: Response, next: NextFunction): void => {
    if (this.draining) res.setHeader('Connection', 'close');
    next();
  };

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.draining = true;
    if (signal === 'SIGTERM' && this.env.SHUTDOWN_DRAIN_MS > 0) {
      this.logger.log(`${signal}: draining for ${this.env.SHUTDOWN_DRAIN_MS} ms before closing the listener`);
      await sleep(this.env.SHUTDOWN_DRAIN_MS);
    }
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (server?.listening) {
      const cut = await closeServer(server, this.env.SHUTDOWN_TIMEOUT_MS);
      if (signal) {
        this.logger.log(
          cut
            ? 'Listener closed; in-flight requests cut at the timeout'
            : 'Listener closed; all in-flight requests finished',
        );
      }
    }
  }
}

/**
 * Stops accepting, lets in-flight requests finish, closes keep-alive connections as they go idle;
 * after `timeoutMs` cuts what is left. Resolves `true` when it had to cut.
 */
function closeServer(server: Server, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let cut = false;
    const idleSweep = setInterval(() => server.closeIdleConnections(), 100);
    const deadline = setTimeout(() => {
      cut = true;
      server.closeAllConnections();
    }, timeoutMs);
    server.close(() => {
      clearInterval(idleSweep);
      clearTimeout(deadline);
      resolve(cut);
    });
  });
}

@Global()
@Module({ providers: [GracefulShutdown], exports: [GracefulShutdown] })
export class LifecycleModule {}
