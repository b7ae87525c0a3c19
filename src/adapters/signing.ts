// Signatures for what ecat hands out and takes back (session cookies, forms, email links): HMAC
// with a key per purpose, derived from the configured secrets, newest first. The newest signs;
// every one still verifies, so a secret can be rotated without signing anyone out.
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

export type SigningPurpose = 'session' | 'csrf' | 'link';

export interface Signer {
  /** The signature of `data` for `purpose`, base64url. */
  sign(purpose: SigningPurpose, data: string): string;
  /** Whether `signature` is `data`'s for `purpose` under any of the secrets. */
  verify(purpose: SigningPurpose, data: string, signature: string): boolean;
}

function keyFor(secret: Buffer, purpose: SigningPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'ecat', `ecat ${purpose} v1`, 32));
}

export function createSigner(secrets: readonly Buffer[]): Signer {
  if (secrets.length === 0) throw new Error('a signer needs at least one secret');
  const purposes: SigningPurpose[] = ['session', 'csrf', 'link'];
  const keys = new Map(
    purposes.map((purpose) => [purpose, secrets.map((secret) => keyFor(secret, purpose))]),
  );
  const mac = (key: Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const keysOf = (purpose: SigningPurpose) => keys.get(purpose) ?? [];
  return {
    sign(purpose, data) {
      const [newest] = keysOf(purpose);
      if (!newest) throw new Error(`no key for ${purpose}`);
      return mac(newest, data).toString('base64url');
    },
    verify(purpose, data, signature) {
      const given = Buffer.from(signature, 'base64url');
      // Every key is tried, so the time taken does not say which secret nearly matched.
      return keysOf(purpose)
        .map((key) => {
          const expected = mac(key, data);
          return given.length === expected.length && timingSafeEqual(given, expected);
        })
        .includes(true);
    },
  };
}
