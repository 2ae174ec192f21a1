import type { Manifest } from '../../k8s/support/helm';

/** A rendered container and the pod spec around it. */
export interface ChartContainer {
  pod: any;
  container: any;
}

/** The first container of the rendered Deployment, Job or Pod labelled with this component. */
export function chartContainer(manifests: readonly Manifest[], kind: 'Deployment' | 'Job' | 'Pod', component: string): ChartContainer {
  const manifest = manifests.find((m) => m.kind === kind && m.metadata.labels?.['app.kubernetes.io/component'] === component);
  if (!manifest) throw new Error(`the chart renders no ${kind} for ${component}`);
  const pod = kind === 'Pod' ? manifest.spec : manifest.spec.template.spec;
  return { pod, container: pod.containers[0] };
}

/**
 * The env a rendered container gets: values with `$(VAR)` expanded as the kubelet does, Secret references resolved
 * from a stand-in Secret, downward-API fields from `fields`, then `overrides`.
 */
export function containerEnv(
  container: any,
  secret: Record<string, string>,
  overrides: Record<string, string> = {},
  fields: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of container.env ?? []) {
    if (entry.value !== undefined) env[entry.name] = String(entry.value).replace(/\$\((\w+)\)/g, (_: string, name: string) => env[name] ?? '');
    else if (entry.valueFrom?.secretKeyRef) {
      const value = secret[entry.valueFrom.secretKeyRef.key];
      if (value !== undefined) env[entry.name] = value;
      else if (!entry.valueFrom.secretKeyRef.optional) throw new Error(`the Secret lacks ${entry.valueFrom.secretKeyRef.key}`);
    } else if (entry.valueFrom?.fieldRef) env[entry.name] = fields[entry.valueFrom.fieldRef.fieldPath] ?? 'local';
  }
  return { ...env, ...overrides };
}

/** Kubernetes quantity (Mi, Gi, M, plain bytes) → a `docker run --memory`/tmpfs size in bytes. */
export function quantityBytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|k|M|G)?$/.exec(String(quantity));
  if (!match) throw new Error(`unsupported quantity ${quantity}`);
  const units: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, k: 1e3, M: 1e6, G: 1e9 };
  return Math.round(Number(match[1]) * (match[2] ? units[match[2]]! : 1));
}

/**
 * `docker run` flags that give a container what the chart's pod spec gives it: the security context (read-only root,
 * uid/gid, dropped capabilities, no privilege escalation), emptyDir mounts as tmpfs of their size limit, the memory
 * limit. A service-account token volume is left out (no API server here); anything else the spec asks for that has no
 * translation here fails, so a chart change cannot go unnoticed.
 */
export function dockerRunFlags({ pod, container }: ChartContainer): string[] {
  const security = { ...pod.securityContext, ...container.securityContext };
  const flags: string[] = [];
  if (security.readOnlyRootFilesystem) flags.push('--read-only');
  if (security.runAsUser !== undefined) flags.push('--user', `${security.runAsUser}:${security.runAsGroup ?? security.runAsUser}`);
  for (const capability of security.capabilities?.drop ?? []) flags.push('--cap-drop', capability);
  if (security.capabilities?.add?.length) throw new Error(`capabilities.add ${security.capabilities.add} has no translation`);
  if (security.allowPrivilegeEscalation === false) flags.push('--security-opt', 'no-new-privileges');
  if (security.privileged) throw new Error('privileged containers have no translation');
  for (const mount of container.volumeMounts ?? []) {
    const volume = (pod.volumes ?? []).find((v: any) => v.name === mount.name);
    // A service-account token for the Kubernetes API: outside a cluster there is no API server (and no
    // KUBERNETES_SERVICE_HOST), as for a pod without a token.
    if (isServiceAccountToken(volume)) continue;
    if (!volume?.emptyDir) throw new Error(`volume ${mount.name} is not an emptyDir: no translation`);
    const size = volume.emptyDir.sizeLimit ? `,size=${quantityBytes(volume.emptyDir.sizeLimit)}` : '';
    flags.push('--tmpfs', `${mount.mountPath}:rw,nosuid,nodev,mode=1777${size}`);
  }
  const memory = container.resources?.limits?.memory;
  if (memory) flags.push('--memory', String(quantityBytes(memory)), '--memory-swap', String(quantityBytes(memory)));
  return flags;
}

function isServiceAccountToken(volume: any): boolean {
  const sources: any[] = volume?.projected?.sources ?? [];
  return (
    sources.some((source) => source.serviceAccountToken) &&
    sources.every((source) => source.serviceAccountToken || source.configMap?.name === 'kube-root-ca.crt' || source.downwardAPI)
  );
}

/** `-e NAME=value` for each variable. */
export function envFlags(env: Record<string, string>): string[] {
  return Object.entries(env).flatMap(([name, value]) => ['-e', `${name}=${value}`]);
}
