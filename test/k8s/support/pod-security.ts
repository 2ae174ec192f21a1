import type { Manifest } from './helm';

/** The pod spec of a workload manifest (Deployment, Job, Pod), if it has one. */
export function podSpecOf(manifest: Manifest): any | undefined {
  if (manifest.kind === 'Pod') return manifest.spec;
  if (manifest.kind === 'Deployment' || manifest.kind === 'Job') return manifest.spec?.template?.spec;
  return undefined;
}

const restrictedVolumeTypes = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];

/**
 * Violations of the Pod Security Standards "restricted" profile, plus this chart's own rules: no service
 * account token and (unless `readOnlyRoot` is false) a read-only root filesystem with /tmp on an emptyDir.
 */
export function podSecurityViolations(manifest: Manifest, { readOnlyRoot = true } = {}): string[] {
  const spec = podSpecOf(manifest);
  if (!spec) return [];
  const where = `${manifest.kind}/${manifest.metadata.name}`;
  const problems: string[] = [];
  const pod = spec.securityContext ?? {};
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) problems.push(`${where}: host namespaces`);
  if (!['RuntimeDefault', 'Localhost'].includes(pod.seccompProfile?.type)) problems.push(`${where}: seccompProfile must be RuntimeDefault`);
  if (pod.runAsUser === 0) problems.push(`${where}: runAsUser 0`);
  if (spec.automountServiceAccountToken !== false) problems.push(`${where}: service account token mounted`);
  for (const volume of spec.volumes ?? []) {
    const type = Object.keys(volume).find((key) => key !== 'name');
    if (!type || !restrictedVolumeTypes.includes(type)) problems.push(`${where}: volume ${volume.name} of type ${type}`);
  }
  const tmp = (spec.volumes ?? []).find((v: any) => v.emptyDir !== undefined && v.name === 'tmp');
  for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
    const at = `${where} container ${container.name}`;
    const sc = container.securityContext ?? {};
    if (sc.privileged) problems.push(`${at}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${at}: allowPrivilegeEscalation must be false`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) problems.push(`${at}: capabilities must drop ALL`);
    for (const added of sc.capabilities?.add ?? []) if (added !== 'NET_BIND_SERVICE') problems.push(`${at}: adds ${added}`);
    if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) problems.push(`${at}: runAsNonRoot must be true`);
    if ((sc.runAsUser ?? pod.runAsUser) === 0) problems.push(`${at}: runs as root`);
    if (sc.seccompProfile && !['RuntimeDefault', 'Localhost'].includes(sc.seccompProfile.type)) problems.push(`${at}: seccompProfile`);
    if (!readOnlyRoot) continue;
    if (sc.readOnlyRootFilesystem !== true) problems.push(`${at}: root filesystem must be read-only`);
    const tmpMount = (container.volumeMounts ?? []).find((m: any) => m.mountPath === '/tmp');
    if (!tmp || tmpMount?.name !== tmp.name) problems.push(`${at}: /tmp must be an emptyDir`);
  }
  return problems;
}
