import type { INestApplication } from '@nestjs/common';
import cookieParser from 'cookie-parser';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';

/** The console's own origin only: no inline script, no CDN, never framed. */
export const ADMIN_CSP_DIRECTIVES = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

const noStore = (_req: Request, res: Response, next: NextFunction): void => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};

/**
 * Security headers for everything under /admin (the SPA and its API): a strict CSP, HSTS, nosniff,
 * no referrer, no framing; `Cache-Control: no-store` and cookie parsing for /admin/api only. Mounted
 * by path, so /v1 requests pay nothing for it.
 */
export function configureAdminConsole(app: INestApplication): void {
  app.use(
    '/admin',
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: ADMIN_CSP_DIRECTIVES },
      strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
      referrerPolicy: { policy: 'no-referrer' },
      frameguard: { action: 'deny' },
      crossOriginResourcePolicy: { policy: 'same-origin' },
    }),
  );
  app.use('/admin/api', noStore, cookieParser());
}
