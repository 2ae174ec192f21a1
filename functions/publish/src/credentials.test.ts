import { describe, expect, it } from 'vitest';
import { ConfigError } from '@qfn/shared';
import { loadCredentials } from './credentials';

const files: Record<string, string> = {
  '/secrets/publish': 'file-token-aaaaaaaaaaaa\nfile-token-bbbbbbbbbbbb\n',
  '/secrets/admin': 'admin-token-cccccccccccc\n',
  '/secrets/empty': '\n',
};
const readFile = (path: string) => {
  if (!(path in files)) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
  return files[path]!;
};

describe('loadCredentials', () => {
  it('is open with nothing set', () => {
    expect(loadCredentials({}, readFile)).toEqual({ publishTokens: [], adminTokens: [] });
  });

  it('reads comma-separated tokens and token files, without repeats', () => {
    const credentials = loadCredentials(
      {
        PUBLISH_API_TOKENS: ' inline-token-111111111, inline-token-222222222 ,',
        PUBLISH_API_TOKENS_FILE: '/secrets/publish',
        ADMIN_API_TOKEN_FILE: '/secrets/admin',
      },
      readFile,
    );
    expect(credentials.publishTokens).toEqual(['inline-token-111111111', 'inline-token-222222222', 'file-token-aaaaaaaaaaaa', 'file-token-bbbbbbbbbbbb']);
    expect(credentials.adminTokens).toEqual(['admin-token-cccccccccccc']);
  });

  it('names the variable of a short token, an unreadable or empty file, and a token shared by both APIs', () => {
    const problems = (settings: Parameters<typeof loadCredentials>[0]) => {
      try {
        loadCredentials(settings, readFile);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).message;
      }
      throw new Error('accepted');
    };
    expect(problems({ PUBLISH_API_TOKENS: 'short' })).toMatch(/^PUBLISH_API_TOKENS: every token must be at least 16 characters$/);
    expect(problems({ ADMIN_API_TOKEN_FILE: '/secrets/nope' })).toMatch(/ADMIN_API_TOKEN_FILE: cannot read \/secrets\/nope: ENOENT/);
    expect(problems({ PUBLISH_API_TOKENS_FILE: '/secrets/empty' })).toMatch(/PUBLISH_API_TOKENS_FILE: \/secrets\/empty holds no token/);
    expect(problems({ PUBLISH_API_TOKENS: 'same-token-for-both-apis', ADMIN_API_TOKEN: 'same-token-for-both-apis' })).toMatch(/ADMIN_API_TOKEN: must differ/);
  });
});
