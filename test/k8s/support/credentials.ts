import type { Manifest } from './helm';

/** Environment variables that hold credentials: they must come from a Secret (valueFrom), never a value. */
const credentialName = /(PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|PRIVATE|API_KEY|ACCESS_KEY|_URL$|HEADERS$)/i;
/** Harmless *_URL values: endpoints without credentials are checked by the patterns below instead. */
const credentialFreeUrlNames = new Set(['PUBLISH_URL', 'SQS_ENDPOINT']);

const credentialPatterns: [string, RegExp][] = [
  ['a URL with a password', /[a-z][a-z0-9+.-]*:\/\/[^\s/:@"']+:[^\s/@"']+@/i],
  ['an AWS access key id', /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['a private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['a password assignment', /\bpass(word)?\s*[=:]\s*\S+/i],
  ['a bearer token', /\bbearer\s+[A-Za-z0-9._~+/-]{16,}/i],
];

function strings(value: unknown, path: string, out: [string, string][]): void {
  if (typeof value === 'string') out.push([path, value]);
  else if (Array.isArray(value)) value.forEach((item, index) => strings(item, `${path}[${index}]`, out));
  else if (value && typeof value === 'object') for (const [key, item] of Object.entries(value)) strings(item, `${path}.${key}`, out);
}

function containersOf(manifest: Manifest): any[] {
  const spec = manifest.kind === 'Pod' ? manifest.spec : manifest.spec?.template?.spec;
  return spec ? [...(spec.initContainers ?? []), ...(spec.containers ?? [])] : [];
}

/** Inline credentials anywhere in rendered manifests: Secret objects, literal credential env values, credential-shaped strings. */
export function inlineCredentials(manifests: readonly Manifest[]): string[] {
  const found: string[] = [];
  for (const manifest of manifests) {
    const where = `${manifest.kind}/${manifest.metadata.name}`;
    if (manifest.kind === 'Secret') found.push(`${where}: the chart must not create Secrets (use existingSecret)`);
    for (const container of containersOf(manifest)) {
      for (const env of container.env ?? []) {
        if (env.value !== undefined && credentialName.test(env.name) && !credentialFreeUrlNames.has(env.name)) {
          found.push(`${where} container ${container.name}: ${env.name} is set inline; read it from existingSecret`);
        }
      }
    }
    const all: [string, string][] = [];
    strings(manifest, '', all);
    for (const [path, text] of all) {
      for (const [what, pattern] of credentialPatterns) if (pattern.test(text)) found.push(`${where}${path}: looks like ${what}`);
    }
  }
  return found;
}
