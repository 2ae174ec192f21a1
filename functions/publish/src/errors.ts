import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';

/** Every error answer has this JSON shape; `issues` names the offending fields. */
export interface ErrorBody {
  error: string;
  message: string;
  issues?: { path: string; message: string }[];
}

export function errorResponse(c: Context, status: ContentfulStatusCode, error: string, message: string, issues?: ErrorBody['issues']) {
  return c.json<ErrorBody>({ error, message, ...(issues ? { issues } : {}) }, status);
}

export function validationIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: [...issue.path, key].join('.'), message: 'unknown field' }));
    }
    return [{ path: issue.path.join('.') || '(body)', message: issue.message }];
  });
}
