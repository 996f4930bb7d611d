/**
 * Usernames are unique case-insensitively and after Unicode normalisation: "Dr.Grey", "dr.grey"
 * and a decomposed "é" all name one account. The key is NFKC, case-folded, trimmed.
 */
import { AppError } from '../errors.ts';

export function usernameKey(username: string): string {
  return username.normalize('NFKC').trim().toLowerCase().normalize('NFKC');
}

const allowed = /^[\p{L}\p{N}][\p{L}\p{N}._@+-]{0,127}$/u;

/** The stored display form: NFKC and trimmed; throws invalid_input naming what is wrong. */
export function validateUsername(username: string): string {
  const normalised = username.normalize('NFKC').trim();
  if (!allowed.test(normalised)) {
    throw new AppError(
      'invalid_input',
      'username: must be 1-128 letters, digits or . _ @ + -, starting with a letter or digit',
    );
  }
  return normalised;
}
