/**
 * Writes a demo-app release artifact:
 *
 *   node dist/deploy/demo-app/build-artifact.js <version> [--broken] [--out FILE]
 *
 * Default output: ./demo-<version>.tar.gz. Publish it with
 * `lockstep release publish demo-<version>.tar.gz --component demo --version <version> …`.
 * `--broken` ships a release whose /health answers 500 (to watch a rollback).
 */
import { writeFileSync } from 'node:fs';
import { buildDemoArtifact } from '@lockstep/testing';

function main(argv: string[]): number {
  const version = argv.find((a) => !a.startsWith('--'));
  const outAt = argv.indexOf('--out');
  if (!version || (outAt !== -1 && !argv[outAt + 1])) {
    process.stderr.write('usage: build-artifact <version> [--broken] [--out FILE]\n');
    return 64;
  }
  const out = outAt !== -1 ? argv[outAt + 1] : `demo-${version}.tar.gz`;
  const bytes = buildDemoArtifact(version, { broken: argv.includes('--broken') });
  writeFileSync(out, bytes);
  process.stdout.write(`${out} (${bytes.length} bytes)\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
