import { readFileSync } from 'node:fs';
import { ConfigError } from '@qfn/shared';

/** The shortest token accepted: anything shorter could be guessed. */
export const minTokenLength = 16;

export interface CredentialSettings {
  PUBLISH_API_TOKENS?: string | undefined;
  PUBLISH_API_TOKENS_FILE?: string | undefined;
  ADMIN_API_TOKEN?: string | undefined;
  ADMIN_API_TOKEN_FILE?: string | undefined;
}

export interface Credentials {
  /** Tokens of the message API (publish and reads). Empty: it is open (local use). */
  publishTokens: string[];
  /** Tokens of the admin API. Empty: it is off. */
  adminTokens: string[];
}

/**
 * Reads the API tokens from the environment or from files (a mounted Secret), one or more per
 * variable, separated by commas or new lines (so a second token can be added while rotating).
 * Throws a ConfigError naming the variable when a token is too short or used for both APIs.
 *
 * @example
 * const { publishTokens, adminTokens } = loadCredentials(config); // config from loadConfig(publishConfig)
 */
export function loadCredentials(settings: CredentialSettings, readFile: (path: string) => string = (path) => readFileSync(path, 'utf8')): Credentials {
  const issues: { variable: string; problem: string }[] = [];
  const read = (inlineName: keyof CredentialSettings, fileName: keyof CredentialSettings): string[] => {
    const tokens = split(settings[inlineName]);
    const file = settings[fileName];
    if (file !== undefined) {
      try {
        tokens.push(...split(readFile(file)));
      } catch (error) {
        issues.push({ variable: fileName, problem: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` });
      }
      if (tokens.length === 0 && !issues.some((i) => i.variable === fileName)) issues.push({ variable: fileName, problem: `${file} holds no token` });
    }
    for (const token of tokens) {
      if (token.length < minTokenLength) {
        issues.push({
          variable: file !== undefined ? `${inlineName} / ${fileName}` : inlineName,
          problem: `every token must be at least ${minTokenLength} characters`,
        });
        break;
      }
    }
    return [...new Set(tokens)];
  };
  const publishTokens = read('PUBLISH_API_TOKENS', 'PUBLISH_API_TOKENS_FILE');
  const adminTokens = read('ADMIN_API_TOKEN', 'ADMIN_API_TOKEN_FILE');
  if (adminTokens.some((token) => publishTokens.includes(token))) {
    issues.push({ variable: 'ADMIN_API_TOKEN', problem: 'must differ from every publish token' });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return { publishTokens, adminTokens };
}

function split(value: string | undefined): string[] {
  return (value ?? '')
    .split(/[,\n\r]/)
    .map((token) => token.trim())
    .filter((token) => token.length > 0);
}
