/**
 * One-time links and bearer credentials (terminal enrollment links and credentials, security-key
 * enrollment links): 256 random bits, URL-safe, and stored only as their SHA-256, so a copy of the
 * database cannot be used to enroll or to pass as a terminal.
 */
import crypto from 'node:crypto';

/** A new secret: 32 random bytes, base64url (43 characters). */
export function newToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}

/** What is stored of a secret: its SHA-256, hex. */
export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}
