import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_POLICY_FILE, formatPolicyFile, parsePolicyFile } from '@lockstep/contracts';
import { AuditLogEntity, createDataSource, PolicyStore, runMigrations } from '@lockstep/persistence';
import { createTestDatabase, repoRoot, type TestDatabase } from '@lockstep/testing';
import type { DataSource } from 'typeorm';
import { ApiModule } from './api.module';
import { PolicyRepository } from './policy/policy.repository';
import { startApiTestApp, type ApiTestApp } from './testing/api-test-app';

const example = readFileSync(join(repoRoot(), 'deploy', 'lockstep-policy.example.yaml'), 'utf8');

/** `/v1/policy` through HTTP against a real database: what is stored, what is audited, what is refused. */
describe(`${ApiModule.name} policy routes`, () => {
  let db: TestDatabase;
  let ds: DataSource;
  let app: ApiTestApp;
  let store: PolicyStore;
  const policyAudits = () =>
    ds
      .getRepository(AuditLogEntity)
      .find({ where: [{ action: 'policy.apply' }, { action: 'policy.set' }], order: { id: 'ASC' } });

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url);
    await ds.initialize();
    await runMigrations(ds);
    store = new PolicyStore(ds);
    app = await startApiTestApp({
      send: jest.fn(),
      repositories: [[PolicyRepository, new PolicyRepository(ds)]],
      database: ds,
    });
  });
  afterAll(async () => {
    await app.close();
    await ds.destroy();
    await db.drop();
  });

  // The cases run in order: each starts from the policy the one before left in force.

  it('answers the built-in default, revision 0, before any policy was applied', async () => {
    const res = await app.call('GET', '/v1/policy');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      revision: 0,
      appliedAt: null,
      appliedBy: null,
      document: DEFAULT_POLICY_FILE,
      yaml: formatPolicyFile(DEFAULT_POLICY_FILE),
    });
    expect(Object.values(res.body.document.defaults.classes)).toEqual(expect.arrayContaining(['never']));
    expect(new Set(Object.values(res.body.document.defaults.classes))).toEqual(new Set(['never']));
  });

  it('refuses a file with mistakes, naming each line and field, and stores nothing', async () => {
    const bad = example
      .replace('    minor: next-window\n', '    minor: soon\n')
      .replace('  channel: stable\n', '  channel: stable\n  surge: 3\n');

    const res = await app.call('PUT', '/v1/policy', { yaml: bad });

    expect(res.status).toBe(400);
    expect(res.body.code).toBe('POLICY_FILE_INVALID');
    expect(res.body.detail).toMatch(/line 9: defaults\.classes\.minor: /);
    expect(res.body.detail).toMatch(/line 13: defaults: unknown field "surge"/);
    expect((await store.current()).revision).toBe(0);
    expect(await policyAudits()).toEqual([]);
  });

  it('with dryRun shows the difference and stores nothing', async () => {
    const res = await app.call('PUT', '/v1/policy', { yaml: example, dryRun: true });

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ applied: false, dryRun: true, policy: { revision: 0 } });
    expect(res.body.changes).toContainEqual({ path: 'defaults.classes.security', from: 'never', to: 'immediate' });
    expect((await store.current()).revision).toBe(0);
  });

  it('applies a valid file as revision 1, answering its difference, with a policy.apply audit record', async () => {
    const res = await app.call('PUT', '/v1/policy', { yaml: example, expectedRevision: 0 });

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ applied: true, dryRun: false, policy: { revision: 1, appliedBy: 'test-owner' } });
    expect(res.body.changes).toContainEqual({ path: 'defaults.minimumReleaseAge', from: '0s', to: '3d' });
    expect(await store.current()).toMatchObject({
      revision: 1,
      document: parsePolicyFile(example),
      appliedBy: 'test-owner',
    });
    const audits = await policyAudits();
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ action: 'policy.apply', target: 'update-policy', actorName: 'test-owner' });
    expect(audits[0].params).toMatchObject({ revision: 1, changes: res.body.changes });
  });

  it('changes nothing when the same file is applied again, and says so', async () => {
    const res = await app.call('PUT', '/v1/policy', { yaml: example });

    expect(res.body).toMatchObject({ changes: [], applied: false, policy: { revision: 1 } });
    expect(await policyAudits()).toHaveLength(1);
  });

  it('refuses a change based on a revision that is no longer in force, saying to run it again', async () => {
    const res = await app.call('PUT', '/v1/policy', {
      yaml: example.replace('maxParallel: 2', 'maxParallel: 3'),
      expectedRevision: 0,
    });

    expect(res.status).toBe(409);
    expect(res.body.code).toBe('POLICY_REVISION_CONFLICT');
    expect(res.body.detail).toMatch(/revision 1 was applied by test-owner .*run the command again/);
    expect((await store.current()).revision).toBe(1);
  });

  it('sets one field of a component, validating the whole policy, with a policy.set audit record', async () => {
    const res = await app.call('PATCH', '/v1/policy', { path: 'components.app.minimumReleaseAge', value: '7d' });

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      applied: true,
      changes: [{ path: 'components.app', to: { minimumReleaseAge: '7d' } }],
      policy: { revision: 2, document: { components: { app: { minimumReleaseAge: '7d' } } } },
    });
    expect((await policyAudits()).at(-1)).toMatchObject({
      action: 'policy.set',
      params: expect.objectContaining({ revision: 2, path: 'components.app.minimumReleaseAge', value: '7d' }),
    });
  });

  it('answers the policy in force for a component', async () => {
    const [app_, other] = [
      await app.call('GET', '/v1/policy/components/app'),
      await app.call('GET', '/v1/policy/components/other'),
    ];

    expect(app_.body).toMatchObject({
      component: 'app',
      revision: 2,
      overridden: true,
      policy: { minimumReleaseAge: '7d' },
    });
    expect(other.body).toMatchObject({ overridden: false, policy: { minimumReleaseAge: '3d' } });
  });

  it('refuses a field set to a value the schema does not allow, naming the field', async () => {
    const res = await app.call('PATCH', '/v1/policy', { path: 'defaults.classes.patch', value: 'sometimes' });

    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      code: 'POLICY_FILE_INVALID',
      detail: expect.stringContaining('defaults.classes.patch'),
    });
    expect((await store.current()).revision).toBe(2);
  });

  it('round-trips: what GET answers as YAML applies as no change', async () => {
    const got = await app.call('GET', '/v1/policy');

    const res = await app.call('PUT', '/v1/policy', { yaml: got.body.yaml, expectedRevision: got.body.revision });

    expect(res.body).toMatchObject({ changes: [], applied: false, policy: { revision: 2 } });
  });

  it('refuses a change to a viewer and to a token narrowed to components', async () => {
    const viewer = await app.issueToken({ name: 'viewer', role: 'viewer' });
    const narrowed = await app.issueToken({ name: 'narrow', role: 'owner', components: ['app'] });
    const patch = (token: string) =>
      app.send('PATCH', '/v1/policy', {
        body: { path: 'defaults.channel', value: 'beta' },
        headers: { authorization: `Bearer ${token}` },
      });

    expect((await patch(viewer)).status).toBe(403);
    expect((await patch(narrowed)).status).toBe(403);
    expect((await store.current()).revision).toBe(2);
  });
});
