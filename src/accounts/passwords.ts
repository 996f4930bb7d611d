/**
 * Password hashing with argon2id at OWASP's recommended parameters (19 MiB, t=2, p=1). Verifying
 * an unknown username still costs one argon2 verification against a dummy hash, so a wrong
 * password and an unknown user take about the same time.
 */
import { hash, verify } from '@node-rs/argon2';
import { AppError } from '../errors.ts';

export const ARGON2_OPTIONS = {
  algorithm: 2, // Algorithm.Argon2id (a const enum, which type stripping cannot read)
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;

export function validatePassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new AppError('invalid_input', `password: must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new AppError('invalid_input', `password: must be at most ${MAX_PASSWORD_LENGTH} characters`);
  }
}

export async function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

let dummyHash: Promise<string> | undefined;
const dummy = () => (dummyHash ??= hashPassword('wardgate-dummy-password-for-timing'));

/** Computes the dummy hash ahead of the first unknown-user sign-in (call at start-up). */
export async function prepareDummyHash(): Promise<void> {
  await dummy();
}

/** Verifies `password` against `stored`, or against a dummy hash when there is no stored hash. */
export async function verifyPassword(stored: string | null | undefined, password: string): Promise<boolean> {
  // Inputs longer than any valid password are still hashed (bounded) so they take the same time.
  const candidate = password.slice(0, MAX_PASSWORD_LENGTH);
  if (!stored) {
    await verify(await dummy(), candidate).catch(() => false);
    return false;
  }
  try {
    return await verify(stored, candidate);
  } catch {
    return false;
  }
}
