import { BackupSubjects, NodeSubjects, Subjects } from '@lockstep/contracts';
import { redriveTarget } from './redrive-target';

const dlq = (s: string) => `dlq.${s}`;

describe(redriveTarget.name, () => {
  it.each([
    ['an event', dlq(Subjects.RolloutChanged), Subjects.RolloutChanged],
    ["a node's per-node event", dlq(Subjects.InstallFinished), `${Subjects.InstallFinished}.node-x`],
    [
      'a per-node event under its per-node dead-letter subject',
      dlq(`${Subjects.InstallFinished}.a`),
      `${Subjects.InstallFinished}.a`,
    ],
    ["the control plane's per-node event", dlq(Subjects.BackupChanged), `${Subjects.BackupChanged}._control`],
    ['a node command', dlq(NodeSubjects.install('a')), NodeSubjects.install('a')],
    ['a backup operation', dlq(BackupSubjects.operation), BackupSubjects.operation],
  ])('accepts %s', (_what, dlqSubject, original) => {
    expect(redriveTarget(dlqSubject, original)).toBe(original);
  });

  it.each([
    // the checker's forgery: `dlq.evt` covers every event by prefix
    ['an install event under dlq.evt', 'dlq.evt', `${Subjects.InstallFinished}.node-x`],
    ['a node command under dlq.cmd', 'dlq.cmd', NodeSubjects.install('x')],
    ['a backup operation under dlq.cmd.backup', 'dlq.cmd.backup', BackupSubjects.operation],
    ['a per-node event two tokens deep', dlq(Subjects.InstallFinished), `${Subjects.InstallFinished}.a.b`],
    ['a node token on an event that is not per node', dlq(Subjects.RolloutChanged), `${Subjects.RolloutChanged}.a`],
    [
      'a control-plane install event (only nodes publish them)',
      dlq(Subjects.InstallFinished),
      `${Subjects.InstallFinished}._control`,
    ],
    ["another node's command", dlq(NodeSubjects.install('a')), NodeSubjects.install('b')],
    ['an unknown node command', dlq('cmd.node.a.wipe.v1'), 'cmd.node.a.wipe.v1'],
    ['an unknown subject', dlq('evt.made.up.v1'), 'evt.made.up.v1'],
    ['a node id that is no subject token', dlq(Subjects.InstallFinished), `${Subjects.InstallFinished}.A*`],
    ['another event than its dead-letter subject names', dlq(Subjects.NodeLost), Subjects.RolloutChanged],
  ])('refuses %s', (_what, dlqSubject, original) => {
    expect(redriveTarget(dlqSubject, original)).toBeNull();
  });
});
