import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { AdminAuthService } from '../admin-auth/admin-auth.service.js';
import { actorOf, type AdminContext } from '../admin-auth/admin-auth.types.js';
import { AdminRoleRequired, CurrentAdmin } from '../admin-auth/decorators.js';
import { OperatorsService } from '../admin-auth/operators.service.js';
import { decodeCursor, pageOf } from '../common/pagination/cursor.js';
import { Env } from '../config/env.js';
import type { AdminUserListResponse, AdminUserResponse, InviteAdminResponse, SessionListResponse } from './contract.js';
import { InviteAdminDto, UpdateAdminUserDto } from './dto/admin-users.dto.js';
import { IdPathDto, PageQueryDto, SessionPathDto } from './dto/common.dto.js';
import { adminUserSummary, iso, sessionInfo } from './presenters.js';

/** Operators (super_admin). Every change needs step-up. */
@ApiTags('admin console: admin users')
@Controller('admin/api/admin-users')
export class AdminUsersController {
  constructor(
    private readonly operators: OperatorsService,
    private readonly auth: AdminAuthService,
    private readonly env: Env,
  ) {}

  @Get()
  @AdminRoleRequired('super_admin')
  @ApiOperation({ summary: 'Operators: role, active, MFA, last login, lock, live sessions' })
  async list(@Query() query: PageQueryDto): Promise<AdminUserListResponse> {
    const rows = await this.operators.list(decodeCursor(query.cursor), query.limit);
    return pageOf(rows, query.limit, adminUserSummary, (r) => r.position);
  }

  @Post()
  @AdminRoleRequired('super_admin', { stepUp: true })
  @ApiOperation({ summary: 'Invite an operator: answers a one-time setup link valid 24 h' })
  async invite(
    @CurrentAdmin() ctx: AdminContext,
    @Body() dto: InviteAdminDto,
    @Req() req: Request,
  ): Promise<InviteAdminResponse> {
    const invitation = await this.operators.invite(actorOf(ctx), {
      email: dto.email,
      fullName: dto.full_name,
      role: dto.role,
    });
    const base =
      this.env.ADMIN_CONSOLE_ORIGIN?.replace(/\/$/, '') ?? `${req.protocol}://${req.headers.host ?? 'localhost'}`;
    return {
      user: adminUserSummary(invitation.user),
      // In the fragment: never sent to a server, so never in an access log or a Referer.
      setup_url: `${base}/admin/setup#token=${invitation.setupToken}`,
      setup_expires_at: iso(invitation.expiresAt),
    };
  }

  @Patch(':id')
  @AdminRoleRequired('super_admin', { stepUp: true })
  @ApiOperation({ summary: 'Change role, name or active; role change and deactivation end the operator sessions' })
  async update(
    @CurrentAdmin() ctx: AdminContext,
    @Param() path: IdPathDto,
    @Body() dto: UpdateAdminUserDto,
  ): Promise<AdminUserResponse> {
    const user = await this.operators.update(actorOf(ctx), path.id, {
      role: dto.role,
      isActive: dto.is_active,
      fullName: dto.full_name,
    });
    return { user: adminUserSummary(user) };
  }

  @Post(':id/reset-mfa')
  @HttpCode(200)
  @AdminRoleRequired('super_admin', { stepUp: true })
  @ApiOperation({ summary: 'Reset MFA: the operator enrols again at next sign-in; sessions end' })
  async resetMfa(@CurrentAdmin() ctx: AdminContext, @Param() path: IdPathDto): Promise<AdminUserResponse> {
    return { user: adminUserSummary(await this.operators.resetMfa(actorOf(ctx), path.id)) };
  }

  @Post(':id/unlock')
  @HttpCode(200)
  @AdminRoleRequired('super_admin', { stepUp: true })
  @ApiOperation({ summary: 'Lift a sign-in lock' })
  async unlock(@CurrentAdmin() ctx: AdminContext, @Param() path: IdPathDto): Promise<AdminUserResponse> {
    return { user: adminUserSummary(await this.operators.unlock(actorOf(ctx), path.id)) };
  }

  @Get(':id/sessions')
  @AdminRoleRequired('super_admin')
  @ApiOperation({ summary: "An operator's live sessions" })
  async sessions(@CurrentAdmin() ctx: AdminContext, @Param() path: IdPathDto): Promise<SessionListResponse> {
    const user = await this.operators.get(path.id);
    const rows = await this.auth.listSessions(user.id);
    return { items: rows.map((r) => sessionInfo(r, ctx.session.id, this.auth.idleSeconds, null)), next_cursor: null };
  }

  @Delete(':id/sessions')
  @HttpCode(204)
  @AdminRoleRequired('super_admin', { stepUp: true })
  @ApiOperation({ summary: "End every session of an operator (but the caller's own)" })
  async revokeSessions(@CurrentAdmin() ctx: AdminContext, @Param() path: IdPathDto): Promise<void> {
    const user = await this.operators.get(path.id);
    await this.auth.revokeSessions(ctx, user.id);
  }

  @Delete(':id/sessions/:session_id')
  @HttpCode(204)
  @AdminRoleRequired('super_admin', { stepUp: true })
  @ApiOperation({ summary: 'End one session of an operator' })
  async revokeSession(@CurrentAdmin() ctx: AdminContext, @Param() path: SessionPathDto): Promise<void> {
    await this.auth.revokeSession(ctx, path.id, path.session_id);
  }
}
