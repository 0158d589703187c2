import { runCommand, scrubbedEnv } from './run-command';

describe(runCommand.name, () => {
  it('kills the whole process group on timeout', async () => {
    const started = Date.now();

    const result = await runCommand({ command: 'sleep 30 & sleep 30; echo never', shell: true, timeoutMs: 200 });

    expect(result).toMatchObject({ timedOut: true, code: null, signal: 'SIGTERM' });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('does not hand the agent settings and credentials to what it runs', async () => {
    const before = { ...process.env };
    Object.assign(process.env, {
      S3_SECRET_KEY: 'hunter2',
      AGENT_DIR: '/srv/app',
      NATS_URL: 'nats://x',
      KEEP_ME: 'yes',
    });

    const result = await runCommand({
      command: 'echo "$KEEP_ME $LOCKSTEP_VERSION [$S3_SECRET_KEY$AGENT_DIR$NATS_URL]"',
      shell: true,
      timeoutMs: 5000,
      env: { LOCKSTEP_VERSION: '1.0.0' },
    });
    process.env = before;

    expect(result.output).toBe('yes 1.0.0 []');
    expect(scrubbedEnv({ PATH: '/bin', S3_ACCESS_KEY: 'k', DATABASE_URL: 'x', BACKUP_KEY: 'passphrase' })).toEqual({
      PATH: '/bin',
    });
  });
});
