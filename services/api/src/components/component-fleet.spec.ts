import { nodeEntry } from '@lockstep/testing';
import { summarizeFleet } from './component-fleet';

const node = nodeEntry;

describe(summarizeFleet.name, () => {
  it('counts live nodes per version, newest first by the scheme (not by text), and lost nodes apart', () => {
    const entries = [
      node('n1', { demo: '1.10.0' }),
      node('n2', { demo: '1.9.0' }),
      node('n3', { demo: '1.10.0' }),
      node('n4', { demo: '1.2.0' }, true),
      node('n5', { other: '3.0.0' }),
    ];

    const sut = summarizeFleet({ name: 'demo', scheme: 'semver' }, entries);

    expect(sut).toEqual({
      nodes: 3,
      lost: 1,
      versions: [
        { version: '1.10.0', nodes: 2 },
        { version: '1.9.0', nodes: 1 },
      ],
    });
  });

  it('puts versions the scheme cannot read last, and says no node runs a component nobody reports', () => {
    const odd = summarizeFleet({ name: 'demo', scheme: 'semver' }, [
      node('n1', { demo: 'dev' }),
      node('n2', { demo: '0.1.0' }),
    ]);
    const none = summarizeFleet({ name: 'demo', scheme: 'semver' }, [node('n1', { other: '1.0.0' })]);

    expect(odd.versions.map((v) => v.version)).toEqual(['0.1.0', 'dev']);
    expect(none).toEqual({ nodes: 0, lost: 0, versions: [] });
  });
});
