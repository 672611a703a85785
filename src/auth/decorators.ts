import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { Permission } from '../api-keys/permissions.js';
import type { Principal } from './principal.js';

/** `@RequirePermission('billing:write')` — the permission a route needs. */
export const RequirePermission = Reflector.createDecorator<Permission>();

export const IS_PUBLIC = 'auth:isPublic';
/** Opt a route out of API-key authentication (health, root, metrics, webhooks). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

/** The authenticated {@link Principal} of the request. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  return ctx.switchToHttp().getRequest<Request & { user: Principal }>().user;
});
