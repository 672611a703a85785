import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { ApiKeysService } from '../api-keys/api-keys.service.js';
import { MetricsService } from '../common/metrics/metrics.service.js';
import { Env } from '../config/env.js';

const ENVIRONMENTS = ['live', 'test'] as const;

/**
 * `billing_api_keys_expiring`: keys that stop working within the warning window
 * (`API_KEY_EXPIRY_WARNING_DAYS`): active keys whose `expires_at` falls in it and rotating keys in
 * their grace period. Counted by one query when Prometheus scrapes, never per request.
 */
@Injectable()
export class ApiKeyExpiryMetrics {
  constructor(keys: ApiKeysService, env: Env, metrics: MetricsService) {
    new Gauge({
      name: 'billing_api_keys_expiring',
      help: 'API keys that stop working within API_KEY_EXPIRY_WARNING_DAYS (active keys expiring, rotating keys in grace), by environment.',
      labelNames: ['environment'] as const,
      registers: [metrics.registry],
      async collect() {
        // A database outage must not take /metrics down with it: keep the last values.
        const counts = await keys.countKeysStoppingWithin(env.API_KEY_EXPIRY_WARNING_DAYS).catch(() => undefined);
        if (!counts) return;
        for (const environment of ENVIRONMENTS) this.set({ environment }, counts[environment] ?? 0);
      },
    });
  }
}
