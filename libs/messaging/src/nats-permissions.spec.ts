import { Queries, type Query } from '@lockstep/contracts';
import {
  ControlPlaneServices,
  deploymentIdentities,
  identityName,
  natsPermissionsFor,
  publishedSubjectsOf,
  queryOwner,
  QueryAskers,
  renderNatsAuthorization,
  type NatsIdentity,
  type NatsPermissions,
} from './nats-permissions';
import { inboxPrefixFor } from './nats-connection';

const PK = 'UPUBLICKEY';
const perms = (identity: NatsIdentity): NatsPermissions => natsPermissionsFor(identity, 'lockstep', PK);
const agent = (nodeId: string): NatsIdentity => ({ kind: 'agent', nodeId });
const service = (s: (typeof ControlPlaneServices)[number]): NatsIdentity => ({ kind: 'service', service: s });
const everyone = deploymentIdentities(['a', 'b'], { admin: true });

describe('natsPermissionsFor', () => {
  it('gives every identity its own inbox and nothing of anybody else’s', () => {
    for (const id of everyone) {
      const sut = perms(id);

      expect(sut.subscribe.allow).toContain(`_INBOX_${PK}.>`);
      expect([...sut.subscribe.allow, ...sut.publish.allow].filter((s) => s.startsWith('_INBOX'))).toEqual([
        `_INBOX_${PK}.>`,
      ]);
    }
  });

  it('never grants the whole JetStream API or any stream outside the namespace', () => {
    for (const id of everyone) {
      const sut = perms(id).publish.allow.filter((s) => s.startsWith('$JS.'));

      expect(sut).not.toContain('$JS.API.>');
      for (const s of sut.filter((x) => x !== '$JS.API.INFO'))
        expect(s).toMatch(/\.(KV_)?LOCKSTEP_(EVENTS|COMMANDS|DEAD_LETTERS|NODES|LOCKS)(\.|$)/);
    }
  });

  it('lets an agent consume, report and dead-letter only for its own node', () => {
    const sut = perms(agent('a'));

    expect(sut.publish.allow).toEqual(
      expect.arrayContaining([
        '$JS.API.CONSUMER.INFO.LOCKSTEP_COMMANDS.installer-a',
        '$JS.API.CONSUMER.MSG.NEXT.LOCKSTEP_COMMANDS.installer-a',
        '$JS.ACK.LOCKSTEP_COMMANDS.installer-a.>',
        'lockstep.evt.node.install.progress.v1.a',
        'lockstep.evt.node.install.finished.v1.a',
        'lockstep.evt.backup.changed.v1.a',
        'lockstep.dlq.cmd.node.a.>',
        '$KV.LOCKSTEP_NODES.a',
        '$KV.LOCKSTEP_LOCKS.backup-repo.init',
        '$KV.LOCKSTEP_LOCKS.backup-repo.shared.>',
      ]),
    );
    expect(JSON.stringify(sut)).not.toMatch(/\.b(\.|")|installer-b|CREATE|UPDATE|qry\.|cmd\.node\.a\.install/);
    expect(sut.subscribe.allow).toEqual([`_INBOX_${PK}.>`]);
    expect(sut.allow_responses).toBeUndefined();
  });

  it('lets a service dead-letter only what it consumes', () => {
    const dlq = (s: (typeof ControlPlaneServices)[number]) =>
      perms(service(s)).publish.allow.filter((x) => x.startsWith('lockstep.dlq.'));

    expect(dlq('api')).toEqual([]);
    expect(dlq('checker')).toEqual([]);
    expect(dlq('scheduler').sort()).toEqual([
      'lockstep.dlq.evt.node.install.finished.v1',
      'lockstep.dlq.evt.node.install.progress.v1',
    ]);
    expect(dlq('backup').sort()).toEqual([
      'lockstep.dlq.cmd.backup.operation.v1',
      'lockstep.dlq.evt.backup.changed.v1',
    ]);
    expect(dlq('notifier')).toEqual(expect.arrayContaining(['lockstep.dlq.evt.message.dead-lettered.v1']));
    expect(dlq('notifier')).not.toContain('lockstep.dlq.>');
    expect(dlq('notifier').every((x) => x.startsWith('lockstep.dlq.evt.'))).toBe(true);
  });

  it('lets only the scheduler publish node commands, withdraw them and write rollout locks', () => {
    for (const id of everyone.filter((i) => i.kind !== 'admin')) {
      const sut = perms(id).publish;

      const isScheduler = id.kind === 'service' && id.service === 'scheduler';
      expect(sut.allow.includes('lockstep.cmd.node.>')).toBe(isScheduler);
      expect(sut.allow.includes('$JS.API.STREAM.MSG.DELETE.LOCKSTEP_COMMANDS')).toBe(isScheduler);
      // the commands stream only (no wildcard that would also cover it)
      expect(sut.allow.filter((a) => /^\$JS\.API\.STREAM\.MSG\.DELETE\.(LOCKSTEP_COMMANDS|[^.]*[*>])/.test(a))).toEqual(
        isScheduler ? ['$JS.API.STREAM.MSG.DELETE.LOCKSTEP_COMMANDS'] : [],
      );
      expect(sut.allow.includes('$KV.LOCKSTEP_LOCKS.>')).toBe(isScheduler);
    }
    expect(perms(service('backup')).publish.allow).toContain('$KV.LOCKSTEP_LOCKS.backup-repo.>');
  });

  it.each(Object.values(Queries))('lets only the owner answer %s and only its askers ask it', (query: Query) => {
    const owner = queryOwner(query);

    for (const s of ControlPlaneServices) {
      const sut = perms(service(s));

      expect(sut.subscribe.allow.includes(`lockstep.qry.${owner}.>`)).toBe(s === owner);
      expect(sut.publish.allow.includes(`lockstep.${query}`)).toBe(QueryAskers[query].includes(s));
    }
  });

  it('gives allow_responses to query owners only', () => {
    const sut = Object.fromEntries(ControlPlaneServices.map((s) => [s, perms(service(s)).allow_responses ?? false]));

    expect(sut).toEqual({ scheduler: true, checker: true, notifier: true, api: false, backup: false });
  });

  it.each([
    [
      'checker',
      [
        'lockstep.evt.release.available.v1',
        'lockstep.evt.check.failed.v1',
        'lockstep.evt.release.metadata-expiring.v1',
        'lockstep.evt.message.dead-lettered.v1',
      ],
    ],
    // its own, and every event again when an operator re-drives a dead letter
    [
      'scheduler',
      [
        'lockstep.evt.node.lost.v1',
        'lockstep.evt.node.recovered.v1',
        'lockstep.evt.rollout.changed.v1',
        'lockstep.evt.release.available.v1',
        'lockstep.evt.check.failed.v1',
        'lockstep.evt.release.metadata-expiring.v1',
        'lockstep.evt.node.install.progress.v1.*',
        'lockstep.evt.node.install.finished.v1.*',
        'lockstep.evt.backup.changed.v1.*',
        'lockstep.evt.backup.progress.v1',
        'lockstep.evt.message.dead-lettered.v1',
        'lockstep.evt.update.approval_requested.v1',
        'lockstep.evt.update.held.v1',
        'lockstep.evt.settings.changed.v1',
      ],
    ],
    // every service may announce a message it gave up on
    [
      'backup',
      [
        'lockstep.evt.backup.changed.v1._control',
        'lockstep.evt.backup.progress.v1',
        'lockstep.evt.message.dead-lettered.v1',
      ],
    ],
    ['notifier', ['lockstep.evt.message.dead-lettered.v1']],
    [
      'api',
      ['lockstep.evt.message.dead-lettered.v1', 'lockstep.evt.update.held.v1', 'lockstep.evt.settings.changed.v1'],
    ],
  ] as const)('lets %s publish only its own events', (name, own) => {
    const sut = perms(service(name)).publish.allow.filter((s) => s.startsWith('lockstep.evt.'));

    expect(sut.sort()).toEqual([...own].sort());
  });

  it('gives the admin the whole namespace', () => {
    const sut = perms({ kind: 'admin' });

    expect(sut.publish.allow).toEqual(expect.arrayContaining(['lockstep.>', '$KV.LOCKSTEP_NODES.>']));
    expect(sut.subscribe.allow).toContain('lockstep.>');
  });
});

describe('renderNatsAuthorization', () => {
  it('writes one commented nkey user per identity with its permissions', () => {
    const users = everyone.map((identity, i) => ({ identity, publicKey: `UKEY${i}` }));

    const sut = renderNatsAuthorization('lockstep', users);

    expect(sut).toMatch(/^authorization \{\n {2}users = \[\n/m);
    for (const [i, u] of users.entries())
      expect(sut).toContain(`    # ${identityName(u.identity)}\n    {\n      nkey: "UKEY${i}"`);
    expect(sut).toContain('"$KV.LOCKSTEP_LOCKS.backup-repo.>"');
    expect(sut.match(/allow_responses: true/g)).toHaveLength(4);
  });
});

describe('inboxPrefixFor', () => {
  it('is _INBOX_ and the public key', () => {
    expect(inboxPrefixFor('UABC')).toBe('_INBOX_UABC');
  });
});

describe('publishedSubjectsOf', () => {
  it.each([
    [
      'checker',
      [
        'evt.check.failed.v1',
        'evt.message.dead-lettered.v1',
        'evt.release.available.v1',
        'evt.release.metadata-expiring.v1',
      ],
    ],
    [
      'scheduler',
      [
        'evt.message.dead-lettered.v1',
        'evt.node.lost.v1',
        'evt.node.recovered.v1',
        'evt.rollout.changed.v1',
        'evt.update.approval_requested.v1',
        'evt.update.held.v1',
      ],
    ],
    [
      'api',
      ['cmd.backup.operation.v1', 'evt.message.dead-lettered.v1', 'evt.settings.changed.v1', 'evt.update.held.v1'],
    ],
    [
      'backup',
      ['cmd.backup.operation.v1', 'evt.backup.changed.v1', 'evt.backup.progress.v1', 'evt.message.dead-lettered.v1'],
    ],
    ['notifier', ['evt.message.dead-lettered.v1']],
  ])('lists what %s may publish through its outbox relay', (name, subjects) => {
    const sut = publishedSubjectsOf(name);

    expect(sut?.sort()).toEqual(subjects);
  });

  it('is undefined for a name that is no control-plane service (no filter)', () => {
    expect(publishedSubjectsOf('spec')).toBeUndefined();
  });
});
