import type { INestApplication } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer, Reflector } from '@nestjs/core';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ADMIN_ACCESS, type AdminAccess } from './admin-auth/admin-access.js';
import { SESSION_COOKIE } from './admin-auth/session-tokens.js';
import { IS_PUBLIC, RequirePermission } from './auth/decorators.js';
import { Env } from './config/env.js';
import { SERVICE_NAME, SERVICE_VERSION } from './common/service-info.js';

export const API_KEY_SCHEME = 'api_key';
/** Extension on every operation: the permission the route requires, or `public`. */
export const PERMISSION_EXTENSION = 'x-required-permission';
export const ADMIN_SESSION_SCHEME = 'admin_session';
/** Extension on every admin console operation: the operator role it needs (or public / pending), and step-up. */
export const ROLE_EXTENSION = 'x-required-role';
export const STEP_UP_EXTENSION = 'x-step-up';

type Access =
  | { kind: 'public' }
  | { kind: 'permission'; permission: string }
  | { kind: 'refused' }
  | { kind: 'console'; access: AdminAccess };

/**
 * What every controller method demands, read from the same metadata the guards read, keyed by
 * Swagger's default operationId (`Controller_method`).
 */
function accessByOperationId(app: INestApplication): Map<string, Access> {
  const reflector = app.get(Reflector);
  const access = new Map<string, Access>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!controller?.prototype) continue;
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        if (Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        const targets = [handler, controller];
        const permission = reflector.getAllAndOverride(RequirePermission, targets);
        const console = reflector.getAllAndOverride(ADMIN_ACCESS, targets);
        if (console) {
          access.set(`${controller.name}_${name}`, { kind: 'console', access: console });
          continue;
        }
        access.set(
          `${controller.name}_${name}`,
          reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)
            ? { kind: 'public' }
            : permission
              ? { kind: 'permission', permission }
              : { kind: 'refused' },
        );
      }
    }
  }
  return access;
}

type Operation = NonNullable<OpenAPIObject['paths'][string]['get']>;

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'] as const;

/** Writes each route's permission into its operation: extension, security requirement, text, 401/403. */
export function annotatePermissions(document: OpenAPIObject, access: Map<string, Access>): OpenAPIObject {
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const rule = access.get(op.operationId ?? '') ?? { kind: 'refused' };
      const ext = op as unknown as Record<string, unknown>;
      if (rule.kind === 'console') {
        annotateConsoleOperation(op, ext, rule.access);
      } else if (rule.kind === 'public') {
        ext[PERMISSION_EXTENSION] = 'public';
        op.security = [];
        op.description = ['Public: no API key needed.', op.description].filter(Boolean).join('\n\n');
      } else if (rule.kind === 'permission') {
        ext[PERMISSION_EXTENSION] = rule.permission;
        op.security = [{ [API_KEY_SCHEME]: [] }];
        op.description = [`Requires an API key with permission \`${rule.permission}\`.`, op.description]
          .filter(Boolean)
          .join('\n\n');
        op.responses['401'] ??= { description: 'Missing, invalid, expired or revoked API key' };
        op.responses['403'] ??= { description: `The key lacks \`${rule.permission}\`` };
        op.responses['429'] ??= {
          description:
            'The key is past its `rate_limit_per_minute`, or this address past the failed-authentication limit; ' +
            'retry after `Retry-After` seconds',
        };
      } else {
        ext[PERMISSION_EXTENSION] = 'refused';
        op.description = ['Declares no permission: always refused (403).', op.description].filter(Boolean).join('\n\n');
      }
    }
  }
  return document;
}

/** Admin console routes: the session cookie, never an API key; the role, and whether step-up is needed. */
function annotateConsoleOperation(op: Operation, ext: Record<string, unknown>, access: AdminAccess): void {
  if (access.kind === 'public') {
    ext[PERMISSION_EXTENSION] = 'public';
    ext[ROLE_EXTENSION] = 'public';
    op.security = [];
    op.description = ['Admin console, public: no session needed.', op.description].filter(Boolean).join('\n\n');
    return;
  }
  if (access.kind === 'pending') {
    ext[PERMISSION_EXTENSION] = 'console:pending';
    ext[ROLE_EXTENSION] = 'pending';
    op.security = [];
    op.description = ['Admin console: needs the pending-login cookie of `POST /admin/api/auth/login`.', op.description]
      .filter(Boolean)
      .join('\n\n');
    return;
  }
  ext[PERMISSION_EXTENSION] = `console:${access.role}`;
  ext[ROLE_EXTENSION] = access.role;
  ext[STEP_UP_EXTENSION] = access.stepUp;
  op.security = [{ [ADMIN_SESSION_SCHEME]: [] }];
  op.description = [
    `Admin console: needs an operator session with role \`${access.role}\` or higher` +
      `${access.stepUp ? ' and step-up (a TOTP code within the step-up window, else 403 `reauth_required`)' : ''}; ` +
      'non-GET requests need the `X-CSRF-Token` header.',
    op.description,
  ]
    .filter(Boolean)
    .join('\n\n');
  op.responses['401'] ??= { description: 'No session, or it expired or was revoked (`admin_unauthenticated`)' };
  op.responses['403'] ??= {
    description: `Role below \`${access.role}\` (\`admin_forbidden\`), CSRF (\`csrf_failed\`)${access.stepUp ? ' or step-up needed (`reauth_required`)' : ''}`,
  };
}

const UNAVAILABLE =
  '`database_unavailable`: the database did not answer in time; nothing was changed. Retry after `Retry-After` seconds.';
const UNKNOWN =
  '`outcome_unknown`: the connection to the database was lost after the request reached it, so it may or may ' +
  'not have been applied. Retry the same request with the same `idempotency_key`: if it was applied the retry ' +
  'answers 409 with the existing id (`X-Existing-Charge-ID` / `X-Existing-Credit-ID`), otherwise it is applied once.';

/** Documents the database's 503s (README "Errors and retries") on every operation that uses it. */
export function annotateDatabaseFailures(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    if (path === '/' || path.startsWith('/health') || path === '/metrics') continue;
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const text = method === 'get' || method === 'head' ? UNAVAILABLE : `${UNAVAILABLE} Or ${UNKNOWN}`;
      const existing = op.responses['503'] as { description?: string } | undefined;
      op.responses['503'] = {
        description: [existing?.description, text].filter(Boolean).join(' Also: '),
        headers: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } } },
      };
    }
  }
  return document;
}

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle(SERVICE_NAME)
    .setDescription(
      'Credit and billing for AI agents. Authenticate with the `X-API-Key` header; each operation ' +
        `names the permission it needs in \`${PERMISSION_EXTENSION}\`. The admin console API (\`/admin/api\`) ` +
        `takes an operator session cookie instead, never an API key; its operations name the role in \`${ROLE_EXTENSION}\`.\n\n` +
        'Errors are `{"detail", "code"}`. When the database is unavailable requests answer 503 ' +
        '`database_unavailable` with `Retry-After` (nothing changed). A request that changes state may instead ' +
        'answer 503 `outcome_unknown` (the connection was lost after it reached the database): retry it with the ' +
        'same `idempotency_key`; a 409 with the existing id means it had been applied.',
    )
    .setVersion(SERVICE_VERSION)
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, API_KEY_SCHEME)
    .addApiKey({ type: 'apiKey', in: 'cookie', name: SESSION_COOKIE }, ADMIN_SESSION_SCHEME)
    .build();
  return annotateDatabaseFailures(
    annotatePermissions(SwaggerModule.createDocument(app, config), accessByOperationId(app)),
  );
}

/** Swagger UI at `/docs`, the document at `/docs-json`, unless `DOCS_ENABLED=false`. */
export function setupOpenApi(app: INestApplication): void {
  if (!app.get(Env).DOCS_ENABLED) return;
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json' });
}
