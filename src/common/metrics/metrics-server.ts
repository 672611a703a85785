import { createServer, type Server } from 'node:http';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Env } from '../../config/env.js';
import { MetricsService } from './metrics.service.js';

/**
 * With `METRICS_PORT` set, a second listener that serves only `GET /metrics`, so the API port can
 * be exposed (Ingress) while the metrics port stays reachable from inside the cluster only.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private server?: Server;

  constructor(
    private readonly metrics: MetricsService,
    private readonly env: Env,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.env.METRICS_ENABLED || this.env.METRICS_PORT === 0) return;
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"detail":"Not Found","code":"not_found"}');
        return;
      }
      this.metrics.render().then(
        (body) => res.writeHead(200, { 'Content-Type': this.metrics.contentType }).end(body),
        () => res.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.env.METRICS_PORT, this.env.HOST, () => resolve());
    });
    this.server = server;
    Logger.log(`Metrics on http://${this.env.HOST}:${this.env.METRICS_PORT}/metrics`, 'Metrics');
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
