import { readFileSync } from 'node:fs';
import { request } from 'node:https';

export interface KubernetesApi {
  /** GET a path of the API server (`/apis/apps/v1/namespaces/qfn/deployments?…`), parsed JSON; throws with the status on anything but 200. */
  get<T>(path: string): Promise<T>;
}

export interface InClusterOptions {
  /** Where a pod's service account credentials are mounted. */
  credentialsDir?: string;
  host?: string;
  port?: string;
  timeoutMs?: number;
}

/** The API answered with an error status (403: the Role does not allow it; 404: the kind is not installed, e.g. no KEDA). */
export class KubernetesApiError extends Error {
  override name = 'KubernetesApiError';
  constructor(
    readonly status: number,
    readonly path: string,
    detail: string,
  ) {
    super(`Kubernetes API ${status} on ${path.split('?')[0]}: ${detail}`);
  }
}

const defaultCredentialsDir = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The API server as a pod sees it: KUBERNETES_SERVICE_HOST/PORT, the service account's CA and token
 * (read again on every call: projected tokens are rotated on disk), and the pod's namespace.
 *
 * @example
 * const { api, namespace } = inClusterApi();
 * const deployments = await api.get(`/apis/apps/v1/namespaces/${namespace}/deployments`);
 */
export function inClusterApi(options: InClusterOptions = {}): { api: KubernetesApi; namespace: string } {
  const dir = options.credentialsDir ?? defaultCredentialsDir;
  const host = options.host ?? process.env['KUBERNETES_SERVICE_HOST'];
  const port = options.port ?? process.env['KUBERNETES_SERVICE_PORT'] ?? '443';
  if (!host) throw new Error('KUBERNETES_SERVICE_HOST is not set: not running in a pod');
  const ca = readFileSync(`${dir}/ca.crt`);
  const namespace = readFileSync(`${dir}/namespace`, 'utf8').trim();
  const timeoutMs = options.timeoutMs ?? 5_000;
  const api: KubernetesApi = {
    get: <T>(path: string) =>
      new Promise<T>((resolve, reject) => {
        const token = readFileSync(`${dir}/token`, 'utf8').trim();
        const req = request(
          { host, port, path, method: 'GET', ca, headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, timeout: timeoutMs },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              if (res.statusCode !== 200) {
                let detail = text.slice(0, 200);
                try {
                  detail = (JSON.parse(text) as { message?: string }).message ?? detail;
                } catch {
                  // not a Status object
                }
                reject(new KubernetesApiError(res.statusCode ?? 0, path, detail));
                return;
              }
              try {
                resolve(JSON.parse(text) as T);
              } catch (error) {
                reject(error);
              }
            });
            res.on('error', reject);
          },
        );
        req.on('timeout', () => req.destroy(new Error(`Kubernetes API: no answer within ${timeoutMs} ms`)));
        req.on('error', reject);
        req.end();
      }),
  };
  return { api, namespace };
}
