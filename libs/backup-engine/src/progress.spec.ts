import { ProgressReporter, type Progress } from './progress';

describe(ProgressReporter.name, () => {
  const setup = () => {
    const seen: Progress[] = [];
    let clock = 0;
    const sut = new ProgressReporter(
      (p) => void seen.push(p),
      250,
      () => clock,
    );
    return { sut, seen, tick: (ms: number) => (clock += ms) };
  };

  it('sends the first report, then at most one per interval, and always the last', () => {
    const { sut, seen, tick } = setup();
    const phase = sut.phase('files', 0, 100, 1000);

    for (let done = 0; done <= 1000; done += 10) {
      phase.advance(done);
      tick(10);
    }
    sut.done(1000);

    expect(seen[0]).toMatchObject({ step: 'files', percent: 0, bytesDone: 0, bytesTotal: 1000 });
    expect(seen.length).toBe(1 + 4 + 1); // first, one per 250 ms over ~1010 ms, last
    expect(seen[seen.length - 1]).toEqual({ step: 'done', percent: 100, bytesDone: 1000 });
  });

  it('never lets the percentage go back, and keeps 100 for the end', () => {
    const { sut, seen, tick } = setup();
    const later = sut.phase('streams', 50, 100);
    const earlier = sut.phase('files', 0, 50, 100);

    later.advance(0, 'a', 1);
    tick(300);
    earlier.advance(10);

    expect(seen.map((p) => p.percent)).toEqual([99, 99]);
  });

  it('maps a phase position onto its span; a phase without a total uses the given fraction', () => {
    const { sut, seen, tick } = setup();

    sut.phase('verify', 0, 50, 200).advance(100);
    tick(300);
    sut.phase('streams', 50, 90).advance(12345, 'database/app.dump', 0.5);

    expect(seen).toEqual([
      { step: 'verify', percent: 25, bytesDone: 100, bytesTotal: 200 },
      { step: 'streams', percent: 70, bytesDone: 12345, message: 'database/app.dump' },
    ]);
  });

  it('ignores a listener that throws or rejects', async () => {
    const throwing = new ProgressReporter(() => {
      throw new Error('bus down');
    });
    const rejecting = new ProgressReporter(() => Promise.reject(new Error('bus down')));

    const act = () => {
      throwing.done(1);
      rejecting.done(1);
    };

    expect(act).not.toThrow();
    await new Promise((r) => setImmediate(r)); // an unhandled rejection would fail the test run
  });
});
