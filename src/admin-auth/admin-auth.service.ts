import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import argon2 from 'argon2';
import type { DataSource, EntityManager } from 'typeorm';
import { SYSTEM_ACTOR, type AuditActor } from '../audit/audit-actor.js';
import { AuditRepository, type AuditRecord } from '../audit/audit.repository.js';
import { SecretBox } from '../common/crypto/secret-box.js';
import { Clock } from '../common/time/clock.js';
import { Env } from '../config/env.js';
import {
  AdminAccountLockedError,
  InvalidCredentialsError,
  InvalidMfaCodeError,
  InvalidSetupTokenError,
  MfaAlreadyEnrolledError,
  MfaEnrollmentNotStartedError,
  MfaNotEnrolledError,
  ReauthRequiredError,
  SessionNotFoundError,
} from './admin-auth.errors.js';
import { actorOf, operatorActor, type AdminContext, type RequestOrigin } from './admin-auth.types.js';
import { AdminSessionsRepository, type SessionRow, type SessionWithUser } from './admin-sessions.repository.js';
import { mfaEncryptionKey } from './mfa-key.js';
import { OperatorsRepository, type OperatorRow } from './operators.repository.js';
import { checkPasswordStrength } from './password-policy.js';
import { hashRecoveryCode, hashToken, newOpaqueToken, newRecoveryCode } from './session-tokens.js';
import { matchTotpStep, newTotpEnrollment, type TotpEnrollment } from './totp.js';

const PENDING_LOGIN_SECONDS = 300;
const RECOVERY_CODE_COUNT = 10;
const EMAIL_LIKE = /^[^\s@]{1,200}@[^\s@]{1,200}$/;

export interface IssuedSession {
  token: string;
  session: SessionWithUser;
}

/**
 * Operator sign-in: password (argon2id), then TOTP (or a recovery code); sessions, step-up,
 * password and recovery-code changes. Every outcome that matters is audited, failures included.
 */
@Injectable()
export class AdminAuthService {
  private readonly logger = new Logger(AdminAuthService.name);
  private readonly box: SecretBox;
  /** A hash of nothing anyone knows, compared against when the email is unknown: same work, same time. */
  private dummyHash?: Promise<string>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly operators: OperatorsRepository,
    private readonly sessions: AdminSessionsRepository,
    private readonly audit: AuditRepository,
    private readonly clock: Clock,
    private readonly env: Env,
  ) {
    this.box = new SecretBox(mfaEncryptionKey(env));
    if (!env.ADMIN_MFA_ENCRYPTION_KEY && env.NODE_ENV === 'development') {
      this.logger.warn(
        'ADMIN_MFA_ENCRYPTION_KEY is not set: TOTP secrets are sealed with the public development key (never do this in production)',
      );
    }
  }

  get idleSeconds(): number {
    return this.env.ADMIN_SESSION_IDLE_TIMEOUT_SECONDS;
  }

  /** The live session a cookie token names (touching it), or null. */
  authenticate(token: string, kind: 'pending' | 'full'): Promise<SessionWithUser | null> {
    const idle = kind === 'pending' ? PENDING_LOGIN_SECONDS : this.idleSeconds;
    return this.sessions.touch(hashToken(token), kind, this.clock.now(), idle);
  }

  /** Email + password. One answer for every failure; a lock answers 429 until it ends. */
  async login(
    email: string,
    password: string,
    origin: RequestOrigin,
  ): Promise<{ state: 'mfa_required' | 'mfa_enrollment_required'; token: string }> {
    const now = this.clock.now();
    const user = await this.operators.findSecretsByEmail(email);
    if (!user || !user.password_hash) {
      await argon2.verify(await this.dummy(), password).catch(() => false);
      await this.auditFailure(
        { id: null, email: EMAIL_LIKE.test(email) ? email.slice(0, 320) : '(not an email)' },
        origin,
        'unknown_email',
      );
      throw new InvalidCredentialsError();
    }
    this.refuseIfLocked(user, now, origin);
    const passwordOk = await argon2.verify(user.password_hash, password).catch(() => false);
    if (!passwordOk || !user.is_active) {
      await this.registerFailure(user, now, origin, passwordOk ? 'inactive' : 'wrong_password');
      throw new InvalidCredentialsError();
    }
    // Failures are not cleared here: wrong second-factor codes after the right password keep counting
    // until a complete sign-in (recordLogin), so re-entering the password never resets the lockout.
    const token = newOpaqueToken();
    await this.sessions.create({
      userId: user.id,
      tokenHash: hashToken(token),
      kind: 'pending',
      now,
      absoluteExpiresAt: new Date(now.getTime() + PENDING_LOGIN_SECONDS * 1000),
      mfaAt: null,
      ip: origin.ip,
      userAgent: origin.userAgent,
    });
    return { state: user.mfa_enabled ? 'mfa_required' : 'mfa_enrollment_required', token };
  }

  /** A setup link (invitation): sets the password, then the operator enrols MFA on the pending login it opens. */
  async setup(setupToken: string, password: string, origin: RequestOrigin): Promise<{ token: string }> {
    checkPasswordStrength(password);
    const now = this.clock.now();
    const passwordHash = await argon2.hash(password, { type: argon2.argon2id });
    const token = newOpaqueToken();
    await this.db.transaction(async (manager) => {
      const user = await this.operators.consumeSetupToken(hashToken(setupToken), passwordHash, now, manager);
      if (!user) throw new InvalidSetupTokenError();
      await this.sessions.create(
        {
          userId: user.id,
          tokenHash: hashToken(token),
          kind: 'pending',
          now,
          absoluteExpiresAt: new Date(now.getTime() + PENDING_LOGIN_SECONDS * 1000),
          mfaAt: null,
          ip: origin.ip,
          userAgent: origin.userAgent,
        },
        manager,
      );
      await this.audit.record(
        operatorActor(user, origin),
        { action: 'admin.setup', resourceType: 'admin_user', resourceId: user.id, after: { password_set: true } },
        manager,
      );
    });
    return { token };
  }

  /** A new TOTP secret for a pending login without MFA (replaces an unconfirmed one). */
  async enroll(pending: SessionWithUser): Promise<TotpEnrollment> {
    if (pending.mfa_enabled) throw new MfaAlreadyEnrolledError();
    const enrollment = await newTotpEnrollment(pending.email);
    await this.operators.setPendingMfaSecret(pending.admin_user_id, this.box.seal(enrollment.secretBase32));
    return enrollment;
  }

  /** The first code proves the authenticator works: MFA on, recovery codes issued, full session. */
  async confirmEnrollment(
    pending: SessionWithUser,
    code: string,
    origin: RequestOrigin,
  ): Promise<IssuedSession & { recoveryCodes: string[] }> {
    const user = await this.loadUser(pending.admin_user_id);
    if (user.mfa_enabled) throw new MfaAlreadyEnrolledError();
    if (!user.mfa_secret) throw new MfaEnrollmentNotStartedError();
    const now = this.clock.now();
    this.refuseIfLocked(user, now, origin);
    const step = matchTotpStep(this.box.open(user.mfa_secret), code, now);
    if (step === null) {
      await this.registerFailure(user, now, origin, 'wrong_mfa_code');
      throw new InvalidMfaCodeError();
    }
    const recoveryCodes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    const token = newOpaqueToken();
    const session = await this.db.transaction(async (manager) => {
      if (!(await this.operators.enableMfa(user.id, step, now, manager))) throw new MfaAlreadyEnrolledError();
      await this.operators.replaceRecoveryCodes(user.id, recoveryCodes.map(hashRecoveryCode), manager);
      await this.audit.record(
        operatorActor(user, origin),
        { action: 'admin.mfa_enrolled', resourceType: 'admin_user', resourceId: user.id, after: { mfa_enabled: true } },
        manager,
      );
      return this.upgrade(pending, user, token, now, origin, manager);
    });
    return { token, session, recoveryCodes };
  }

  /** Second factor of a login: a TOTP code (each time step once) or an unused recovery code. */
  async verify(
    pending: SessionWithUser,
    input: { code?: string; recoveryCode?: string },
    origin: RequestOrigin,
  ): Promise<IssuedSession> {
    const user = await this.loadUser(pending.admin_user_id);
    if (!user.mfa_enabled || !user.mfa_secret) throw new MfaNotEnrolledError();
    const now = this.clock.now();
    this.refuseIfLocked(user, now, origin);
    let method: 'totp' | 'recovery_code';
    if (input.code !== undefined) {
      method = 'totp';
      if (!(await this.acceptTotp(user.id, user.mfa_secret, input.code, now))) {
        await this.registerFailure(user, now, origin, 'wrong_mfa_code');
        throw new InvalidMfaCodeError();
      }
    } else {
      method = 'recovery_code';
      if (!(await this.operators.consumeRecoveryCode(user.id, hashRecoveryCode(input.recoveryCode ?? ''), now))) {
        await this.registerFailure(user, now, origin, 'wrong_recovery_code');
        throw new InvalidMfaCodeError();
      }
    }
    const token = newOpaqueToken();
    const session = await this.db.transaction((manager) =>
      this.upgrade(pending, user, token, now, origin, manager, method),
    );
    return { token, session };
  }

  /**
   * Step-up: a fresh TOTP code opens the window for the sensitive actions. Audited either way as
   * `admin.reauth` (success, or denied with the cause; never the code). A wrong code counts toward
   * the sign-in lock exactly like a wrong second factor at login.
   */
  async reauth(ctx: AdminContext, code: string): Promise<void> {
    const user = await this.loadUser(ctx.session.admin_user_id);
    const now = this.clock.now();
    const refusal = (cause: string) => ({
      actor: actorOf(ctx),
      record: {
        action: 'admin.reauth',
        resourceType: 'admin_session' as const,
        resourceId: ctx.session.id,
        after: { cause },
        outcome: 'denied' as const,
      },
    });
    // A locked operator cannot keep guessing codes through a session opened before the lock.
    if (user.locked_until && new Date(user.locked_until) > now) {
      const { actor, record } = refusal('locked');
      await this.recordOutOfBand(actor, record);
      throw new AdminAccountLockedError(Math.ceil((new Date(user.locked_until).getTime() - now.getTime()) / 1000));
    }
    if (!user.mfa_secret || !(await this.acceptTotp(user.id, user.mfa_secret, code, now))) {
      await this.registerFailure(user, now, ctx.origin, 'wrong_reauth_code', refusal('wrong_code'));
      throw new InvalidMfaCodeError();
    }
    const until = new Date(now.getTime() + this.env.ADMIN_STEP_UP_WINDOW_SECONDS * 1000);
    await this.db.transaction(async (manager) => {
      await this.sessions.markStepUp(ctx.session.id, now, manager);
      await this.audit.record(
        actorOf(ctx),
        {
          action: 'admin.reauth',
          resourceType: 'admin_session',
          resourceId: ctx.session.id,
          after: { step_up_until: until.toISOString() },
        },
        manager,
      );
    });
    ctx.session.step_up_at = now;
  }

  /**
   * For actions that need step-up only sometimes (live keys, large adjustments): throws
   * `reauth_required` (and audits the refusal) unless a TOTP code was entered within the window.
   */
  async requireStepUp(ctx: AdminContext, action: string): Promise<void> {
    if (this.stepUpUntil(ctx.session)) return;
    await this.auditDenied(ctx, ctx.origin, 'access.reauth_required', { for: action });
    throw new ReauthRequiredError();
  }

  stepUpUntil(session: SessionRow): Date | null {
    if (!session.step_up_at) return null;
    const until = new Date(new Date(session.step_up_at).getTime() + this.env.ADMIN_STEP_UP_WINDOW_SECONDS * 1000);
    return until > this.clock.now() ? until : null;
  }

  async logout(ctx: AdminContext): Promise<void> {
    await this.db.transaction(async (manager) => {
      await this.sessions.revoke(ctx.session.admin_user_id, ctx.session.id, 'logout', this.clock.now(), manager);
      await this.audit.record(
        actorOf(ctx),
        { action: 'admin.logout', resourceType: 'admin_session', resourceId: ctx.session.id },
        manager,
      );
    });
  }

  /** Needs the current password too (and step-up, checked by the route); every other session ends. */
  async changePassword(ctx: AdminContext, currentPassword: string, newPassword: string): Promise<void> {
    const user = await this.loadUser(ctx.session.admin_user_id);
    const now = this.clock.now();
    if (!user.password_hash || !(await argon2.verify(user.password_hash, currentPassword).catch(() => false))) {
      await this.registerFailure(user, now, ctx.origin, 'wrong_current_password');
      throw new InvalidCredentialsError();
    }
    checkPasswordStrength(newPassword);
    const passwordHash = await argon2.hash(newPassword, { type: argon2.argon2id });
    await this.db.transaction(async (manager) => {
      await this.operators.setPassword(user.id, passwordHash, now, manager);
      const revoked = await this.sessions.revokeAll(user.id, 'password_changed', now, manager, ctx.session.id);
      await this.audit.record(
        actorOf(ctx),
        {
          action: 'admin.password_changed',
          resourceType: 'admin_user',
          resourceId: user.id,
          after: { other_sessions_revoked: revoked },
        },
        manager,
      );
    });
  }

  async regenerateRecoveryCodes(ctx: AdminContext): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    await this.db.transaction(async (manager) => {
      await this.operators.replaceRecoveryCodes(ctx.session.admin_user_id, codes.map(hashRecoveryCode), manager);
      await this.audit.record(
        actorOf(ctx),
        {
          action: 'admin.recovery_codes_regenerated',
          resourceType: 'admin_user',
          resourceId: ctx.session.admin_user_id,
        },
        manager,
      );
    });
    return codes;
  }

  listSessions(userId: string): Promise<SessionRow[]> {
    return this.sessions.listLive(userId, this.clock.now(), this.idleSeconds);
  }

  /** Ends one session of `userId` (own sessions, or any operator's for a super_admin). */
  async revokeSession(ctx: AdminContext, userId: string, sessionId: string): Promise<void> {
    await this.db.transaction(async (manager) => {
      if (!(await this.sessions.revoke(userId, sessionId, 'revoked', this.clock.now(), manager))) {
        throw new SessionNotFoundError();
      }
      await this.audit.record(
        actorOf(ctx),
        {
          action: 'admin.session_revoked',
          resourceType: 'admin_session',
          resourceId: sessionId,
          after: { admin_user_id: userId },
        },
        manager,
      );
    });
  }

  /** Ends every session of `userId` but the caller's own. */
  async revokeSessions(ctx: AdminContext, userId: string): Promise<number> {
    return this.db.transaction(async (manager) => {
      const count = await this.sessions.revokeAll(userId, 'revoked', this.clock.now(), manager, ctx.session.id);
      await this.audit.record(
        actorOf(ctx),
        { action: 'admin.sessions_revoked', resourceType: 'admin_user', resourceId: userId, after: { revoked: count } },
        manager,
      );
      return count;
    });
  }

  /** Audits a request refused by role, CSRF or step-up. Never fails the request it describes. */
  async auditDenied(
    ctx: AdminContext | null,
    origin: RequestOrigin,
    action: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    const actor = ctx ? actorOf(ctx) : { type: 'admin_user' as const, id: null, label: '(no session)', ...origin };
    await this.audit
      .record(
        { ...actor, requestId: origin.requestId, ip: origin.ip, userAgent: origin.userAgent },
        { action, resourceType: null, resourceId: null, after: detail, outcome: 'denied' },
      )
      .catch((error: unknown) => this.logger.error(`Could not audit a denied request: ${(error as Error).message}`));
  }

  /** Pending → full: a new token (the id changes after MFA), MFA and step-up time now. */
  private async upgrade(
    pending: SessionWithUser,
    user: OperatorRow,
    token: string,
    now: Date,
    origin: RequestOrigin,
    manager: EntityManager,
    method: 'totp' | 'recovery_code' = 'totp',
  ): Promise<SessionWithUser> {
    await this.sessions.revoke(user.id, pending.id, 'upgraded', now, manager);
    const session = await this.sessions.create(
      {
        userId: user.id,
        tokenHash: hashToken(token),
        kind: 'full',
        now,
        absoluteExpiresAt: new Date(now.getTime() + this.env.ADMIN_SESSION_ABSOLUTE_TIMEOUT_SECONDS * 1000),
        mfaAt: now,
        ip: origin.ip,
        userAgent: origin.userAgent,
      },
      manager,
    );
    await this.operators.recordLogin(user.id, now, manager);
    await this.audit.record(
      operatorActor(user, origin),
      { action: 'admin.login', resourceType: 'admin_session', resourceId: session.id, after: { method } },
      manager,
    );
    return {
      ...session,
      email: user.email,
      full_name: user.full_name,
      role: user.role,
      mfa_enabled: true,
      last_login_at: now,
    };
  }

  private async acceptTotp(userId: string, sealedSecret: string, code: string, now: Date): Promise<boolean> {
    const step = matchTotpStep(this.box.open(sealedSecret), code, now);
    return step !== null && (await this.operators.acceptStep(userId, step));
  }

  private async loadUser(id: string) {
    const user = await this.operators.findSecretsById(id);
    if (!user || !user.is_active) throw new InvalidCredentialsError();
    return user;
  }

  private refuseIfLocked(user: OperatorRow, now: Date, origin: RequestOrigin): void {
    if (user.locked_until && new Date(user.locked_until) > now) {
      void this.auditFailure(user, origin, 'locked');
      throw new AdminAccountLockedError(Math.ceil((new Date(user.locked_until).getTime() - now.getTime()) / 1000));
    }
  }

  /**
   * Counts a failure toward the lock and audits it: as `admin.login_failed`, or as `audit` describes
   * (a refused step-up), plus `admin.locked` when this failure locks the operator.
   */
  private async registerFailure(
    user: OperatorRow,
    now: Date,
    origin: RequestOrigin,
    cause: string,
    audit?: { actor: AuditActor; record: AuditRecord },
  ): Promise<void> {
    const outcome = await this.operators.registerFailure(user.id, now, {
      maxFailures: this.env.ADMIN_LOGIN_MAX_FAILURES,
      baseSeconds: this.env.ADMIN_LOCKOUT_BASE_SECONDS,
      maxSeconds: this.env.ADMIN_LOCKOUT_MAX_SECONDS,
    });
    if (audit) await this.recordOutOfBand(audit.actor, audit.record);
    else await this.auditFailure(user, origin, cause);
    if (outcome.newlyLocked && outcome.lockedUntil) {
      await this.audit.record(
        { ...SYSTEM_ACTOR, requestId: origin.requestId, ip: origin.ip, userAgent: origin.userAgent },
        {
          action: 'admin.locked',
          resourceType: 'admin_user',
          resourceId: user.id,
          after: { locked_until: new Date(outcome.lockedUntil).toISOString() },
          outcome: 'success',
        },
      );
    }
  }

  /** An audit row with no change beside it (a refusal); never fails the request it describes. */
  private async recordOutOfBand(actor: AuditActor, record: AuditRecord): Promise<void> {
    await this.audit
      .record(actor, record)
      .catch((error: unknown) => this.logger.error(`Could not audit ${record.action}: ${(error as Error).message}`));
  }

  private async auditFailure(
    user: { id: string | null; email: string },
    origin: RequestOrigin,
    cause: string,
  ): Promise<void> {
    await this.audit
      .record(operatorActor(user, origin), {
        action: 'admin.login_failed',
        resourceType: user.id ? 'admin_user' : null,
        resourceId: user.id,
        after: { cause },
        outcome: 'failure',
      })
      .catch((error: unknown) => this.logger.error(`Could not audit a failed sign-in: ${(error as Error).message}`));
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= argon2.hash(newOpaqueToken(), { type: argon2.argon2id });
    return this.dummyHash;
  }
}
