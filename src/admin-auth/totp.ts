import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import { SERVICE_NAME } from '../common/service-info.js';

const PERIOD_SECONDS = 30;
const DIGITS = 6;
const CODE = /^\d{6}$/;

export interface TotpEnrollment {
  secretBase32: string;
  otpauthUri: string;
  qrSvg: string;
}

function totpOf(secretBase32: string, label: string): TOTP {
  return new TOTP({
    issuer: SERVICE_NAME,
    label,
    algorithm: 'SHA1',
    digits: DIGITS,
    period: PERIOD_SECONDS,
    secret: Secret.fromBase32(secretBase32),
  });
}

/** A fresh 160-bit secret, its otpauth:// URI and that URI as an SVG QR code (rendered here, never by a third party). */
export async function newTotpEnrollment(label: string): Promise<TotpEnrollment> {
  const secretBase32 = new Secret({ size: 20 }).base32;
  const otpauthUri = totpOf(secretBase32, label).toString();
  const qrSvg = await QRCode.toString(otpauthUri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { secretBase32, otpauthUri, qrSvg };
}

/**
 * RFC 6238 (SHA-1, 30 s, 6 digits) with ±1 step of drift: the time step the code belongs to, or
 * null. The caller refuses a step that is not newer than the last one accepted (no replay).
 */
export function matchTotpStep(secretBase32: string, code: string, now: Date): number | null {
  if (!CODE.test(code)) return null;
  const totp = totpOf(secretBase32, 'verify');
  const timestamp = now.getTime();
  const delta = totp.validate({ token: code, timestamp, window: 1 });
  if (delta === null) return null;
  return Math.floor(timestamp / 1000 / PERIOD_SECONDS) + delta;
}
