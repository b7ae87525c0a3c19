// Chooses the API-M credentials (adapters/apim-credentials.ts) from configuration.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  NO_CREDENTIALS,
  signedJwtCredentials,
  type ApimCredentials,
} from '../adapters/apim-credentials.ts';
import { ConfigError } from '../domain/errors.ts';
import type { Config } from './config.ts';

/**
 * Chooses the credentials from configuration: APIM_ACCESS_TOKEN wins; else the signed-JWT flow
 * when its four settings are given; else none (the sandboxes). Nothing else: an API key on its
 * own is refused (401) by the DoS Search API and the BaRS proxy alike (DOMAIN.md, "Looking the
 * catalogue up"), so APIM_API_KEY alone, like a half-configured JWT flow, stops the start.
 */
export function apimCredentialsFromConfig(
  apim: Config['apim'],
  now: () => Date,
  readKey: (file: string) => string = (file) => readFileSync(file, 'utf8'),
): ApimCredentials {
  if (apim.accessToken) {
    const headers = { authorization: `Bearer ${apim.accessToken}` };
    return { kind: 'access token', headers: () => Promise.resolve(headers) };
  }
  const jwtSettings = {
    APIM_PRIVATE_KEY_FILE: apim.privateKeyFile,
    APIM_KEY_ID: apim.keyId,
    APIM_TOKEN_URL: apim.tokenUrl,
  };
  const given = Object.entries(jwtSettings).filter(([, value]) => value !== undefined);
  if (given.length === 0 && apim.apiKey) {
    throw new ConfigError(
      'APIM_API_KEY alone is refused by the DoS Search API and the BaRS proxy (401): the signed-JWT flow needs APIM_API_KEY, APIM_PRIVATE_KEY_FILE, APIM_KEY_ID and APIM_TOKEN_URL (or set APIM_ACCESS_TOKEN instead)',
    );
  }
  if (given.length === 0) return NO_CREDENTIALS;
  const missing = Object.entries({ APIM_API_KEY: apim.apiKey, ...jwtSettings })
    .filter(([, value]) => value === undefined)
    .map(([name]) => name);
  const { apiKey, privateKeyFile, keyId, tokenUrl } = apim;
  // The undefined checks only repeat `missing` for the type checker.
  if (
    missing.length > 0 ||
    apiKey === undefined ||
    privateKeyFile === undefined ||
    keyId === undefined ||
    tokenUrl === undefined
  ) {
    throw new ConfigError(
      `${missing.join(', ')} must be set too for the signed-JWT flow (${given.map(([name]) => name).join(', ')} given)`,
    );
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readKey(privateKeyFile));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'not a PEM private key';
    throw new ConfigError(`APIM_PRIVATE_KEY_FILE cannot be used (${reason})`);
  }
  return signedJwtCredentials({
    apiKey,
    keyId,
    tokenUrl,
    privateKey,
    now,
  });
}
