import { dependencyOrder, findCycle, findCycleThrough, requirementGraph } from './dependency-graph';
import { DependencyCycleError, VersioningErrorCode } from './errors';

/** A graph from `component: needed needed …` lines. */
const graphOf = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

describe(findCycle.name, () => {
  it.each([
    [{}, null],
    [{ app: ['config'], worker: ['app'] }, null],
    [{ app: ['config', 'lib'], lib: ['config'], worker: ['app', 'lib'] }, null],
    [{ app: ['config'], config: ['app'] }, ['app', 'config', 'app']],
    [{ config: ['app'], app: ['config'] }, ['app', 'config', 'app']],
    [{ a: ['a'] }, ['a', 'a']],
    [{ a: ['b'], b: ['c'], c: ['a'] }, ['a', 'b', 'c', 'a']],
    [{ worker: ['app'], app: ['config'], config: ['worker'] }, ['app', 'config', 'worker', 'app']],
    [{ x: ['y'], y: ['z'], z: ['y'] }, ['y', 'z', 'y']],
    [{ app: ['unknown'] }, null],
  ])('%j has cycle %j', (edges, expected) => {
    const result = findCycle(graphOf(edges));

    expect(result).toEqual(expected);
  });
});

describe(findCycleThrough.name, () => {
  it.each([
    [{ app: ['config'], config: ['app'] }, 'app', ['app', 'config', 'app']],
    [{ app: ['config'], config: ['app'] }, 'config', ['config', 'app', 'config']],
    [{ a: ['a'] }, 'a', ['a', 'a']],
    [{ a: ['b', 'c'], b: ['d'], c: ['a'], d: [] }, 'a', ['a', 'c', 'a']],
    // app reaches a cycle of others, but none passes through app.
    [{ app: ['config'], config: ['lib'], lib: ['config'] }, 'app', null],
    [{ app: ['config'] }, 'app', null],
    [{}, 'app', null],
  ])('%j through %s: %j', (edges, component, expected) => {
    const result = findCycleThrough(graphOf(edges), component);

    expect(result).toEqual(expected);
  });
});

describe(dependencyOrder.name, () => {
  it.each([
    [['app', 'config'], { app: ['config'] }, ['config', 'app']],
    [['worker', 'app', 'config'], { app: ['config'], worker: ['app'] }, ['config', 'app', 'worker']],
    [['b', 'a'], {}, ['a', 'b']],
    [['zeta', 'alpha'], { alpha: ['zeta'] }, ['zeta', 'alpha']],
    // Through a component that is not updated: app needs lib needs config.
    [['app', 'config'], { app: ['lib'], lib: ['config'] }, ['config', 'app']],
    [['app'], { app: ['config'], config: [] }, ['app']],
    [[], { app: ['config'] }, []],
    // A cycle elsewhere in the graph does not stop an update that does not touch it.
    [['app', 'config'], { app: ['config'], x: ['y'], y: ['x'] }, ['config', 'app']],
  ])('%j with %j goes %j', (components, edges, expected) => {
    const result = dependencyOrder(components, graphOf(edges));

    expect(result).toEqual(expected);
  });

  it.each([
    [['app', 'config'], { app: ['config'], config: ['app'] }, 'app → config → app'],
    [['config'], { config: ['app'], app: ['config'] }, 'app → config → app'],
    [['app'], { app: ['lib'], lib: ['config'], config: ['lib'] }, 'lib → config → lib'],
  ])('refuses %j with %j, naming the cycle %s', (components, edges, named) => {
    const act = () => dependencyOrder(components, graphOf(edges));

    expect(act).toThrow(DependencyCycleError);
    expect(act).toThrow(`components depend on each other in a cycle: ${named};`);
    try {
      act();
    } catch (err) {
      expect((err as DependencyCycleError).code).toBe(VersioningErrorCode.DependencyCycle);
      expect((err as DependencyCycleError).code).toBe('DEPENDENCY_CYCLE');
    }
  });
});

describe(requirementGraph.name, () => {
  it('joins the edges of every source: registrations and the releases they will update to', () => {
    const registered = new Map<string, Record<string, string>>([
      ['app', { config: '>=2.0.0' }],
      ['config', {}],
    ]);
    const releases = new Map([['config', { app: '>=1.4' }]]);

    const result = requirementGraph(registered, releases);

    expect(result).toEqual(
      new Map([
        ['app', ['config']],
        ['config', ['app']],
      ]),
    );
    expect(findCycle(result)).toEqual(['app', 'config', 'app']);
  });
});
