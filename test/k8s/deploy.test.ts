import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '@qfn/tooling/paths';
import { helmBinaries, render, valueSetsDir } from './support/helm';

function deploy(...args: string[]) {
  // docker and helm point at `false`: a dry run must not run either.
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts', 'deploy.ts'), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, DOCKER: '/bin/false', HELM: '/bin/false', QFN_IMAGE_REGISTRY: '' },
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('npm run deploy -- <function> --tag <tag> --dry-run', () => {
  it('prints the build, push and upgrade of one function, changing only its tag', () => {
    const result = deploy('store-message', '--tag', '1.10', '--registry', 'ghcr.io/acme', '--namespace', 'events', '--dry-run');
    expect(result.stderr).toBe('');
    expect(result.stdout.trim().split('\n')).toEqual([
      '/bin/false build --file docker/Dockerfile --build-arg FUNCTION=store-message --tag ghcr.io/acme/qfn-store-message:1.10 .',
      '/bin/false push ghcr.io/acme/qfn-store-message:1.10',
      '/bin/false upgrade qfn helm --namespace events --reset-then-reuse-values --set-string functions.store-message.image.tag=1.10 --wait --timeout 10m',
    ]);
    expect(result.status).toBe(0);
  });

  it('deploys the publish function and the migration image the same way', () => {
    const publish = deploy('publish', '--tag', 'v7', '--registry', 'registry.example.com/platform', '--release', 'events', '--dry-run');
    expect(publish.stdout).toContain('--build-arg FUNCTION=publish --tag registry.example.com/platform/qfn-publish:v7 .');
    expect(publish.stdout).toContain('upgrade events helm --reset-then-reuse-values --set-string publish.image.tag=v7');
    const migrate = deploy('migrate', '--tag', 'v7', '--registry', 'registry.example.com/platform', '--dry-run');
    expect(migrate.stdout).toContain('build --file docker/migrate.Dockerfile --tag registry.example.com/platform/qfn-migrate:v7 .');
    expect(migrate.stdout).toContain('--set-string migrations.image.tag=v7');
  });

  it('ships the migration image with a function that owns tables, so the pre-upgrade hook creates them first', () => {
    const result = deploy('run-job', '--tag', 'v2', '--registry', 'ghcr.io/acme', '--dry-run');
    expect(result.stdout.trim().split('\n')).toEqual([
      '/bin/false build --file docker/Dockerfile --build-arg FUNCTION=run-job --tag ghcr.io/acme/qfn-run-job:v2 .',
      '/bin/false push ghcr.io/acme/qfn-run-job:v2',
      '/bin/false build --file docker/migrate.Dockerfile --tag ghcr.io/acme/qfn-migrate:v2 .',
      '/bin/false push ghcr.io/acme/qfn-migrate:v2',
      '/bin/false upgrade qfn helm --reset-then-reuse-values --set-string functions.run-job.image.tag=v2 --set-string migrations.image.tag=v2 --wait --timeout 10m',
    ]);
    const without = deploy('run-job', '--tag', 'v2', '--registry', 'ghcr.io/acme', '--migrations', 'never', '--dry-run');
    expect(without.stdout).not.toContain('qfn-migrate');
  });

  it('answers --help, and refuses an unknown option, an unknown function, a bad tag and a missing registry (exit 2)', () => {
    const help = deploy('--help');
    expect([help.status, help.stdout]).toEqual([0, expect.stringContaining('Usage: npm run deploy')]);
    const unknownOption = deploy('store-message', '--tagg', 'v1');
    expect([unknownOption.status, unknownOption.stderr]).toEqual([2, expect.stringMatching(/Unknown option '--tagg'[\s\S]*Usage: npm run deploy/)]);
    const unknown = deploy('store-mesage', '--tag', 'v1', '--registry', 'ghcr.io/acme', '--dry-run');
    expect(unknown.stderr).toMatch(/unknown function "store-mesage"; one of: .*\bstore-message, .*publish, migrate\n/);
    expect(deploy('store-message', '--tag', 'v1:latest', '--registry', 'ghcr.io/acme', '--dry-run').stderr).toMatch(/not a valid image tag/);
    expect(deploy('store-message', '--tag', 'v1', '--dry-run').stderr).toMatch(/--registry \(or QFN_IMAGE_REGISTRY\) is required/);
    for (const result of [unknown, deploy('store-message', '--dry-run')]) expect(result.status).toBe(2);
  }, 120_000); // seven processes, each loading every declaration: slow on a busy 2-core machine

  it('stops at the first failing command when not a dry run', () => {
    const result = deploy('run-job', '--tag', 'v1', '--registry', 'ghcr.io/acme');
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/deploy: \/bin\/false exited 1; stopping/);
    expect(result.status).toBe(1);
  });

  it("sets a value the chart reads: the image of that function's Deployment", () => {
    const [binary] = helmBinaries();
    const manifests = render(binary!, { valueFiles: [join(valueSetsDir, 'production-values.yaml')], set: { 'functions.run-job.image.tag': '1.10' } });
    const deployment = manifests.find((m) => m.kind === 'Deployment' && m.metadata.labels?.['qfn.dev/function'] === 'run-job')!;
    expect(deployment.spec.template.spec.containers[0].image).toBe('registry.example.com/platform/qfn-run-job:1.10');
  });
});
