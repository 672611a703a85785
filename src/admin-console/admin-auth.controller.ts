import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { CookieOptions, Request, Response } from 'express';
import { AdminAuthService } from '../admin-auth/admin-auth.service.js';
import type { AdminContext } from '../admin-auth/admin-auth.types.js';
import type { SessionWithUser } from '../admin-auth/admin-sessions.repository.js';
import {
  AdminPendingLogin,
  AdminPublic,
  AdminRoleRequired,
  AuthThrottled,
  CurrentAdmin,
} from '../admin-auth/decorators.js';
import { requestOrigin } from '../admin-auth/admin-session.guard.js';
import { csrfTokenFor, PENDING_COOKIE, SESSION_COOKIE } from '../admin-auth/session-tokens.js';
import { PERMISSIONS } from '../api-keys/permissions.js';
import { Env } from '../config/env.js';
import type {
  AuthMeResponse,
  AuthSessionResponse,
  LoginResponse,
  MfaEnrollConfirmResponse,
  MfaEnrollResponse,
  RecoveryCodesResponse,
  SessionListResponse,
  SetupResponse,
} from './contract.js';
import { LoginDto, MfaCodeDto, MfaVerifyDto, PasswordChangeDto, SetupDto } from './dto/auth.dto.js';
import { IdPathDto } from './dto/common.dto.js';
import { isoOrNull, sessionInfo } from './presenters.js';

/** `__Host-` cookies: Secure, Path=/, no Domain; HttpOnly and SameSite=Strict on top. */
const COOKIE: CookieOptions = { httpOnly: true, secure: true, sameSite: 'strict', path: '/' };

/** Sign-in, second factor, step-up, sessions and the operator's own account. */
@ApiTags('admin console: auth')
@Controller('admin/api/auth')
export class AdminAuthController {
  constructor(
    private readonly auth: AdminAuthService,
    private readonly env: Env,
  ) {}

  @Post('login')
  @HttpCode(200)
  @AdminPublic()
  @AuthThrottled()
  @ApiOperation({ summary: 'Email + password; answers which second step follows and sets the pending-login cookie' })
  async login(
    @Body() dto: LoginDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<LoginResponse> {
    const { state, token } = await this.auth.login(dto.email, dto.password, requestOrigin(req));
    res.cookie(PENDING_COOKIE, token, COOKIE);
    return { state };
  }

  @Post('setup')
  @HttpCode(200)
  @AdminPublic()
  @AuthThrottled()
  @ApiOperation({ summary: 'Use an invitation link: set the password, then enrol MFA (pending-login cookie)' })
  async setup(
    @Body() dto: SetupDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SetupResponse> {
    const { token } = await this.auth.setup(dto.token, dto.password, requestOrigin(req));
    res.cookie(PENDING_COOKIE, token, COOKIE);
    return { state: 'mfa_enrollment_required' };
  }

  @Post('mfa/enroll')
  @HttpCode(200)
  @AdminPendingLogin()
  @ApiOperation({
    summary: 'A new TOTP secret: otpauth URI, base32 secret and a QR code (SVG) rendered by this server',
  })
  async enroll(@CurrentAdmin() ctx: AdminContext): Promise<MfaEnrollResponse> {
    const enrollment = await this.auth.enroll(ctx.session);
    return { otpauth_uri: enrollment.otpauthUri, secret_base32: enrollment.secretBase32, qr_svg: enrollment.qrSvg };
  }

  @Post('mfa/enroll/confirm')
  @HttpCode(200)
  @AdminPendingLogin()
  @AuthThrottled()
  @ApiOperation({ summary: 'Confirm enrolment with a first code: recovery codes (shown once) and a full session' })
  async confirm(
    @CurrentAdmin() ctx: AdminContext,
    @Body() dto: MfaCodeDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<MfaEnrollConfirmResponse> {
    const issued = await this.auth.confirmEnrollment(ctx.session, dto.code, ctx.origin);
    this.startSession(res, issued.token);
    return { ...this.sessionResponse(issued.session, issued.token), recovery_codes: issued.recoveryCodes };
  }

  @Post('mfa/verify')
  @HttpCode(200)
  @AdminPendingLogin()
  @AuthThrottled()
  @ApiOperation({ summary: 'Second factor: a TOTP code or a recovery code; starts the full session' })
  async verify(
    @CurrentAdmin() ctx: AdminContext,
    @Body() dto: MfaVerifyDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AuthSessionResponse> {
    const issued = await this.auth.verify(
      ctx.session,
      dto.code !== undefined ? { code: dto.code } : { recoveryCode: dto.recovery_code },
      ctx.origin,
    );
    this.startSession(res, issued.token);
    return this.sessionResponse(issued.session, issued.token);
  }

  @Post('reauth')
  @HttpCode(204)
  @AdminRoleRequired('viewer')
  @AuthThrottled()
  @ApiOperation({
    summary: 'Step-up: a current TOTP code allows the sensitive actions for ADMIN_STEP_UP_WINDOW_SECONDS',
  })
  async reauth(@CurrentAdmin() ctx: AdminContext, @Body() dto: MfaCodeDto): Promise<void> {
    await this.auth.reauth(ctx, dto.code);
  }

  @Get('me')
  @AdminRoleRequired('viewer')
  @ApiOperation({
    summary: 'The signed-in operator, the CSRF token for non-GET requests, the session and console settings',
  })
  me(@CurrentAdmin() ctx: AdminContext): AuthMeResponse {
    return this.sessionResponse(ctx.session, ctx.token);
  }

  @Post('logout')
  @HttpCode(204)
  @AdminRoleRequired('viewer')
  @ApiOperation({ summary: 'End this session' })
  async logout(@CurrentAdmin() ctx: AdminContext, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.auth.logout(ctx);
    res.clearCookie(SESSION_COOKIE, COOKIE);
  }

  @Post('password')
  @HttpCode(204)
  @AdminRoleRequired('viewer', { stepUp: true })
  @AuthThrottled()
  @ApiOperation({ summary: 'Change own password; every other session of the operator ends' })
  async changePassword(@CurrentAdmin() ctx: AdminContext, @Body() dto: PasswordChangeDto): Promise<void> {
    await this.auth.changePassword(ctx, dto.current_password, dto.new_password);
  }

  @Post('recovery-codes')
  @HttpCode(200)
  @AdminRoleRequired('viewer', { stepUp: true })
  @ApiOperation({ summary: 'Replace every recovery code (the new ones are shown once)' })
  async recoveryCodes(@CurrentAdmin() ctx: AdminContext): Promise<RecoveryCodesResponse> {
    return { recovery_codes: await this.auth.regenerateRecoveryCodes(ctx) };
  }

  @Get('sessions')
  @AdminRoleRequired('viewer')
  @ApiOperation({ summary: 'Own live sessions, newest first' })
  async sessions(@CurrentAdmin() ctx: AdminContext): Promise<SessionListResponse> {
    const rows = await this.auth.listSessions(ctx.session.admin_user_id);
    const stepUp = this.auth.stepUpUntil(ctx.session);
    return { items: rows.map((r) => sessionInfo(r, ctx.session.id, this.auth.idleSeconds, stepUp)), next_cursor: null };
  }

  @Delete('sessions')
  @HttpCode(204)
  @AdminRoleRequired('viewer')
  @ApiOperation({ summary: 'Sign out every other session of the operator' })
  async revokeOthers(@CurrentAdmin() ctx: AdminContext): Promise<void> {
    await this.auth.revokeSessions(ctx, ctx.session.admin_user_id);
  }

  @Delete('sessions/:id')
  @HttpCode(204)
  @AdminRoleRequired('viewer')
  @ApiOperation({ summary: 'End one of the own sessions' })
  async revokeOne(@CurrentAdmin() ctx: AdminContext, @Param() path: IdPathDto): Promise<void> {
    await this.auth.revokeSession(ctx, ctx.session.admin_user_id, path.id);
  }

  private startSession(res: Response, token: string): void {
    res.clearCookie(PENDING_COOKIE, COOKIE);
    res.cookie(SESSION_COOKIE, token, COOKIE);
  }

  private sessionResponse(session: SessionWithUser, token: string): AuthSessionResponse {
    const stepUp = this.auth.stepUpUntil(session);
    return {
      user: {
        id: session.admin_user_id,
        email: session.email,
        full_name: session.full_name,
        role: session.role,
        mfa_enabled: session.mfa_enabled,
        last_login_at: isoOrNull(session.last_login_at),
      },
      csrf_token: csrfTokenFor(token),
      session: sessionInfo(session, session.id, this.auth.idleSeconds, stepUp),
      console: {
        step_up_window_seconds: this.env.ADMIN_STEP_UP_WINDOW_SECONDS,
        adjustment_step_up_threshold_minor: this.env.ADMIN_ADJUSTMENT_STEP_UP_THRESHOLD_MINOR,
        session_idle_timeout_seconds: this.env.ADMIN_SESSION_IDLE_TIMEOUT_SECONDS,
        session_absolute_timeout_seconds: this.env.ADMIN_SESSION_ABSOLUTE_TIMEOUT_SECONDS,
        permissions: [...PERMISSIONS],
        environments: ['live', 'test'],
      },
    };
  }
}
