import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validate as lintDockerfile } from 'dockerfile-utils';
import { parser as promql } from '@prometheus-io/lezer-promql';
import { parseAllDocuments } from 'yaml';
import type { ApiKeysService } from '../src/api-keys/api-keys.service.js';
import { ApiKeyExpiryMetrics } from '../src/auth/api-key-expiry.metrics.js';
import { AuthFailureThrottle } from '../src/auth/auth-failure-throttle.js';
import { KeyRateLimiter } from '../src/auth/key-rate-limiter.js';
import { RateLimiters } from '../src/common/redis/rate-limiters.js';
import { MetricsService } from '../src/common/metrics/metrics.service.js';
import { RedisConnection } from '../src/common/redis/redis-connection.js';
import { Env, SECRET_KEYS, validateEnv } from '../src/config/env.js';

/**
 * No cluster or Docker engine runs in CI, so the packaging is checked here: every manifest under
 * deploy/ parses and validates against the Kubernetes OpenAPI schemas (kubernetes-models), and the
 * properties operators rely on are asserted field by field; the Dockerfile is linted and checked.
 */

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ROOT = join(import.meta.dirname, '..');
const DEPLOY = join(ROOT, 'deploy');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : e.name.endsWith('.yaml') ? [join(dir, e.name)] : [],
  );
}

function load(file: string): Obj[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((doc) => {
    expect(doc.errors).toEqual([]);
    return doc.toJS() as Obj;
  });
}

const manifests = yamlFiles(DEPLOY)
  .filter((f) => !f.endsWith('kustomization.yaml'))
  .flatMap((file) => load(file).map((obj) => ({ file: file.slice(DEPLOY.length + 1), obj })));
const find = (kind: string, file?: string): Obj => {
  const found = manifests.filter((m) => m.obj.kind === kind && (!file || m.file === file));
  expect(found).toHaveLength(1);
  return found[0].obj;
};

/** Env keys whose values are credentials (SECRET_KEYS): they must come from a Secret, never a ConfigMap. */
const isSecret = (key: string): boolean => SECRET_KEYS.has(key);
const settings = Object.keys(new Env())
  .concat('DATABASE_URL')
  .filter((k, i, all) => all.indexOf(k) === i);

describe('deploy/ manifests', () => {
  it('validate against the Kubernetes schemas', async () => {
    expect(manifests.length).toBeGreaterThanOrEqual(9);
    for (const { file, obj } of manifests) {
      // Prometheus Operator resources (the optional alert rules) have models of their own.
      const models = (obj.apiVersion as string).startsWith('monitoring.coreos.com/')
        ? `@kubernetes-models/prometheus-operator/${obj.apiVersion}`
        : `kubernetes-models/${obj.apiVersion}/${obj.kind}`;
      const mod = (await import(models)) as Record<string, new (o: Obj) => { validate(): void }>;
      const Model = mod[obj.kind];
      expect([file, typeof Model]).toEqual([file, 'function']);
      try {
        new Model(obj).validate();
      } catch (error) {
        throw new Error(`${file} (${obj.kind}): ${(error as Error).message}`, { cause: error });
      }
    }
  });

  it('kustomization lists every service manifest and leaves the Job and the example Secret out', () => {
    const [k] = load(join(DEPLOY, 'kustomization.yaml'));
    expect(k.kind).toBe('Kustomization');
    for (const r of k.resources as string[]) expect(existsSync(join(DEPLOY, r))).toBe(true);
    expect(new Set(k.resources)).toEqual(
      new Set([
        'serviceaccount.yaml',
        'configmap.yaml',
        'deployment.yaml',
        'service.yaml',
        'poddisruptionbudget.yaml',
        'horizontalpodautoscaler.yaml',
        'networkpolicy.yaml',
      ]),
    );
  });

  it('Deployment: replicas, resources, probes, preStop, non-root read-only pod, no migrations at start', () => {
    const d = find('Deployment');
    expect(d.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(d.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    const pod = d.spec.template.spec;
    expect(d.spec.selector.matchLabels).toEqual(
      Object.fromEntries(
        Object.entries(d.spec.template.metadata.labels).filter(([k]) => k in d.spec.selector.matchLabels),
      ),
    );
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.containers).toHaveLength(1);
    const c = pod.containers[0];
    expect(c.command).toEqual(['node', 'dist/main']);
    expect(c.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(c.resources.limits.memory).toEqual(expect.any(String));
    expect(c.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
    expect(c.startupProbe.httpGet.path).toBe('/health/live');
    expect(c.lifecycle.preStop.exec.command[0]).toBe('sleep');
    const preStopSeconds = Number(c.lifecycle.preStop.exec.command[1]);
    expect(preStopSeconds).toBeGreaterThanOrEqual(3);
    expect(c.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(pod.volumes).toContainEqual(expect.objectContaining({ name: 'tmp', emptyDir: expect.any(Object) }));
    expect(c.env).toContainEqual({ name: 'RUN_MIGRATIONS_ON_START', value: 'false' });
    expect(c.ports.map((p: Obj) => [p.name, p.containerPort])).toEqual([
      ['http', 8000],
      ['metrics', 9464],
    ]);

    // The grace period covers preStop + drain + in-flight timeout.
    const config = find('ConfigMap').data;
    const needed = preStopSeconds + (Number(config.SHUTDOWN_DRAIN_MS) + Number(config.SHUTDOWN_TIMEOUT_MS)) / 1000;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(needed);
  });

  it('every setting comes from the ConfigMap or, for credentials, a Secret', () => {
    const config = find('ConfigMap');
    const env = validateConfigMap(config.data);
    expect(env.RUN_MIGRATIONS_ON_START).toBe(false);
    expect(env.METRICS_PORT).toBe(9464);
    const rotateDue = find('CronJob').spec.jobTemplate.spec.template.spec.initContainers[0];
    for (const c of [find('Deployment'), find('Job')]
      .map((w) => w.spec.template.spec.containers[0])
      .concat(rotateDue)) {
      expect(c.envFrom).toContainEqual({ configMapRef: { name: config.metadata.name } });
      const fromSecret = (c.env as Obj[]).filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.name);
      for (const key of settings) {
        if (isSecret(key)) {
          expect([key, fromSecret.includes(key)]).toEqual([key, true]);
          expect(Object.keys(config.data)).not.toContain(key);
        } else {
          expect([key, key in config.data]).toEqual([key, true]);
        }
      }
      for (const e of c.env as Obj[]) {
        if (e.valueFrom?.secretKeyRef) expect(e.valueFrom.secretKeyRef.name).toBe('ciris-billing-secrets');
      }
    }
    // The example Secret names the same keys (and is not applied by kustomize).
    const secret = find('Secret');
    expect(secret.metadata.name).toBe('ciris-billing-secrets');
    expect(Object.keys(secret.stringData).sort()).toEqual(settings.filter((k) => isSecret(k)).sort());
  });

  it('migration Job runs `node dist/cli migrate` from the same image, once, non-root', () => {
    const job = find('Job');
    const deployment = find('Deployment');
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    const c = pod.containers[0];
    expect(c.command).toEqual(['node', 'dist/cli', 'migrate']);
    const [k] = load(join(DEPLOY, 'kustomization.yaml'));
    const image = k.images.find((i: Obj) => i.name === deployment.spec.template.spec.containers[0].image);
    expect(c.image).toBe(`${image.newName}:${image.newTag}`);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(job.metadata.annotations['argocd.argoproj.io/hook']).toBe('PreSync');
    expect(job.spec.backoffLimit).toBeGreaterThan(0);
  });

  it('rotate-due CronJob (an example, not applied): same image, keys only in memory, least privilege', () => {
    const cron = find('CronJob');
    const [k] = load(join(DEPLOY, 'kustomization.yaml'));
    expect(k.resources).not.toContain('jobs/rotate-due.cronjob.yaml');
    expect(cron.spec.concurrencyPolicy).toBe('Forbid');
    const pod = cron.spec.jobTemplate.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    const [rotate, toSecrets] = pod.initContainers;
    const image = k.images[0];
    for (const c of [rotate, toSecrets]) expect(c.image).toBe(`${image.newName}:${image.newTag}`);
    expect(rotate.args[0]).toMatch(
      /^node dist\/cli key rotate-due --within-days \d+ --grace-period-hours \d+ --json > \/handoff\//,
    );
    const handoff = pod.volumes.find((v: Obj) => v.name === 'handoff');
    expect(handoff.emptyDir.medium).toBe('Memory');
    for (const c of [...pod.initContainers, ...pod.containers]) {
      expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    }
    // The kubectl step may write Secrets and restart Deployments in the agents' namespace, nothing else.
    const role = find('Role');
    expect(role.rules.flatMap((r: Obj) => r.resources).sort()).toEqual(['deployments', 'secrets']);
    expect(role.rules.flatMap((r: Obj) => r.verbs)).not.toContain('delete');
    expect(find('RoleBinding').subjects[0].name).toBe(pod.serviceAccountName);
  });

  it('PrometheusRule (optional): valid PromQL naming only metrics the service exports, every required alert', () => {
    const rule = find('PrometheusRule');
    const [k] = load(join(DEPLOY, 'kustomization.yaml'));
    expect(k.resources).not.toContain('monitoring/prometheusrule.yaml');
    const exported = exportedMetricNames();
    const alerts = (rule.spec.groups as Obj[]).flatMap((g) => g.rules as Obj[]);
    for (const alert of alerts) {
      const tree = promql.parse(alert.expr);
      const errors: number[] = [];
      const names: string[] = [];
      tree.iterate({
        enter(node) {
          if (node.type.isError) errors.push(node.from);
          if (node.name === 'VectorSelector') {
            const id = node.node.getChild('Identifier');
            if (id) names.push((alert.expr as string).slice(id.from, id.to));
          }
        },
      });
      expect([alert.alert, errors]).toEqual([alert.alert, []]);
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) expect([alert.alert, name, exported.has(name)]).toEqual([alert.alert, name, true]);
      expect(alert.labels.severity).toEqual(expect.any(String));
      expect(alert.annotations.summary).toEqual(expect.any(String));
    }
    expect(alerts.map((a) => a.alert).sort()).toEqual([
      'CirisBillingApiKeyRateLimited',
      'CirisBillingApiKeysExpiringSoon',
      'CirisBillingClientsThrottled',
      'CirisBillingFailedAuthSpike',
      'CirisBillingHigh5xxRate',
      'CirisBillingReadinessFailing',
      'CirisBillingRedisUnreachable',
    ]);
  });

  it('Service, PodDisruptionBudget, HPA and NetworkPolicy select the API pods', () => {
    const podLabels = find('Deployment').spec.template.metadata.labels;
    const selects = (selector: Obj) => Object.entries(selector).every(([k, v]) => podLabels[k] === v);
    const service = find('Service');
    expect(selects(service.spec.selector)).toBe(true);
    expect(service.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
    const pdb = find('PodDisruptionBudget');
    expect(selects(pdb.spec.selector.matchLabels)).toBe(true);
    expect(pdb.spec.minAvailable).toBe(1);
    const hpa = find('HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'ciris-billing' });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    const policy = find('NetworkPolicy');
    expect(selects(policy.spec.podSelector.matchLabels)).toBe(true);
    const metricsRule = policy.spec.ingress.find((r: Obj) => r.ports.some((p: Obj) => p.port === 'metrics'));
    expect(metricsRule.from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
    ]);
  });
});

/** Every series name the service registers (with Redis configured; nothing connects). */
function exportedMetricNames(): Set<string> {
  const env = validateEnv({ DATABASE_URL: 'postgres://u:p@db:5432/billing', REDIS_URL: 'redis://127.0.0.1:1' });
  const metrics = new MetricsService();
  const redis = new RedisConnection(env, metrics);
  const limiters = new RateLimiters(redis, metrics);
  new KeyRateLimiter(limiters, metrics);
  new AuthFailureThrottle(env, limiters, redis, metrics);
  new ApiKeyExpiryMetrics({} as ApiKeysService, env, metrics);
  redis.client?.disconnect();
  return new Set(metrics.registry.getMetricsAsArray().map((m) => (m as unknown as { name: string }).name));
}

/** The ConfigMap's values are what the service would boot with: run them through the real validation. */
function validateConfigMap(data: Record<string, string>): Env {
  // The secrets come from the Secret; stand-ins here (production requires the MFA key).
  return validateEnv({
    ...data,
    DATABASE_URL: 'postgres://u:p@db:5432/billing',
    ADMIN_MFA_ENCRYPTION_KEY: 'ab'.repeat(32),
  });
}

describe('Dockerfile', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: string[][] = [];
  for (const line of instructions) {
    if (/^FROM /i.test(line)) stages.push([]);
    stages.at(-1)?.push(line);
  }
  const final = stages.at(-1)!;

  it('lints clean', () => {
    expect(lintDockerfile(text).map((d) => `${d.range.start.line + 1}: ${JSON.stringify(d.message)}`)).toEqual([]);
  });

  it('is multi-stage with npm ci, production dependencies only in the final stage, non-root, exec CMD, HEALTHCHECK', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(instructions.filter((l) => /^RUN npm ci\b/.test(l)).length).toBeGreaterThanOrEqual(2);
    expect(instructions.some((l) => /^RUN npm ci .*--omit=dev/.test(l))).toBe(true);
    // The final stage installs nothing and copies node_modules only from the --omit=dev stage.
    expect(final.some((l) => /^RUN /.test(l))).toBe(false);
    const prodStage = stages.find((s) => s.some((l) => /--omit=dev/.test(l)))![0].split(/\s+AS\s+/i)[1];
    expect(final).toContain(`COPY --from=${prodStage} /app/node_modules ./node_modules`);
    const user = final.find((l) => /^USER /.test(l));
    expect(user).toMatch(/^USER [1-9]\d*(:\d+)?$/);
    expect(final.at(-1)).toBe('CMD ["node", "dist/main"]');
    expect(final.some((l) => /^HEALTHCHECK .*CMD \[/.test(l))).toBe(true);
  });

  it('.dockerignore keeps secrets, tests and local state out of the build context', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8');
    // Deny everything, then allow what the build needs.
    expect(ignore.split('\n').find((l) => l && !l.startsWith('#'))).toBe('**');
    expect(ignore).toContain('**/.env');
    expect(ignore).not.toMatch(/^!test/m);
    expect(ignore).not.toMatch(/^!\.data/m);
  });
});

describe('.env.example', () => {
  it('documents every setting with its default', () => {
    const lines = readFileSync(join(ROOT, '.env.example'), 'utf8').split('\n');
    const documented = new Map(
      lines.filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const defaults = new Env() as unknown as Record<string, unknown>;
    for (const key of settings) {
      expect([key, documented.has(key)]).toEqual([key, true]);
      const value = defaults[key];
      expect([key, documented.get(key)]).toEqual([
        key,
        value === undefined ? '' : String(value as string | number | boolean),
      ]);
    }
    expect([...documented.keys()].filter((k) => !settings.includes(k))).toEqual([]);
  });
});
