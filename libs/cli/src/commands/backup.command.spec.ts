import { fakeApiCli, jsonResponse, type SentRequest } from '../testing/fake-api';
import { backupOperation, backupRecord, OPERATION_ID } from '../testing/backup-fixtures';

type Sent = SentRequest;

const OP_URL = `http://api.test/v1/backup-operations/${OPERATION_ID}`;

/** `lockstep backup …` through `run`, against a fake API. */
describe('lockstep backup', () => {
  let sent: Sent[];
  let answer: (req: Sent) => Response;
  let out: string;
  let err: string;
  let clock: number;

  const json = jsonResponse;
  const lockstep = fakeApiCli(
    { LOCKSTEP_API_URL: 'http://api.test' },
    {
      onRequest: (req) => (sent.push(req), answer(req)),
      stdout: (t) => void (out += t),
      stderr: (t) => void (err += t),
      sleep: (ms) => void (clock += ms),
      now: () => clock,
    },
  );
  /** POSTs answer 202 with `queued`; GET of the operation answers the snapshots in turn (the last repeats); anything else `other`. */
  const operationScript = (
    queued: unknown,
    snapshots: unknown[],
    other: (req: Sent) => Response = () => json(404, { code: 'NOT_FOUND', detail: 'no' }),
  ) => {
    let i = 0;
    return (req: Sent) => {
      if (req.method === 'POST') return json(202, { operation: queued });
      if (req.url === OP_URL) return json(200, snapshots[Math.min(i++, snapshots.length - 1)]);
      return other(req);
    };
  };
  const urls = () => sent.map((s) => `${s.method} ${s.url}`);

  beforeEach(() => {
    sent = [];
    answer = () => json(200, { items: [] });
    out = '';
    err = '';
    clock = Date.parse('2026-01-01T00:01:00Z');
  });

  describe('usage errors exit 2 and send nothing', () => {
    it.each([
      [['backup', 'list', '--limit', '51'], /--limit must be a whole number from 1 to 50 \(got "51"\)/],
      [['backup', 'list', '--limit', 'ten'], /--limit must be a whole number from 1 to 50 \(got "ten"\)/],
      [['backup', 'list', '--since', '1y'], /--since must be one of 7d, 30d, 90d, all \(got "1y"\)/],
      [['backup', 'list', '--sort', 'age'], /--sort must be one of date, size, name, type \(got "age"\)/],
      [
        ['backup', 'list', '--status', 'ok'],
        /--status must be one of creating, completed, failed, verified, corrupted, pruned/,
      ],
      [
        ['backup', 'create', '--type', 'data'],
        /--type must be one of full, database, config, data_only \(got "data"\); did you mean data_only\?/,
      ],
      [['backup', 'create', '--name', '../etc'], /"\.\.\/etc" is not a valid --name: backup names are letters, digits/],
      [['backup', 'show', '.hidden'], /"\.hidden" is not a valid backup id/],
      [
        ['backup', 'restore', 'nightly', '--what', 'all'],
        /refusing to restore without --confirm: restoring all of backup nightly overwrites the config and data files it holds at their original places, and overwrites the database in place/,
      ],
      [
        ['backup', 'restore', 'nightly', '--what', 'database', '--database-mode', 'new'],
        /refusing to restore without --confirm: restoring the database of backup nightly creates a new database/,
      ],
      [
        ['backup', 'restore', 'nightly', '--what', 'config', '--to', '/srv/r'],
        /restoring the config files of backup nightly writes them into \/srv\/r, which must be empty or not exist\. Check the backup with `lockstep backup show nightly`, then run again with --confirm/,
      ],
      [['backup', 'restore', 'nightly', '--confirm'], /required option '--what <part>' not specified/],
      [
        ['backup', 'restore', 'nightly', '--what', 'logs', '--confirm'],
        /--what must be one of all, database, config, data \(got "logs"\)/,
      ],
      [
        ['backup', 'restore', 'nightly', '--what', 'config', '--to', 'relative/dir', '--confirm'],
        /--to must be an absolute directory, starting with \/ \(got "relative\/dir"\)/,
      ],
      [
        ['backup', 'restore', 'nightly', '--what', 'config', '--database-mode', 'new', '--confirm'],
        /--database-mode applies to --what all or database, not config/,
      ],
      [
        ['backup', 'restore', 'nightly', '--what', 'all', '--database-mode', 'merge', '--confirm'],
        /--database-mode must be one of new, replace/,
      ],
      [['backup', 'operation', 'latest'], /"latest" is not a backup operation id/],
    ])('lockstep %j', async (argv, message) => {
      const code = await lockstep(argv);

      expect(code).toBe(2);
      expect(err).toMatch(message);
      expect(sent).toEqual([]);
    });
  });

  describe('list', () => {
    it('sends the filters and prints the catalogue as a table', async () => {
      answer = () =>
        json(200, {
          items: [
            backupRecord('nightly', { status: 'verified', trigger: 'schedule' }),
            backupRecord('pre-1.1.0', {
              type: 'data_only',
              trigger: 'pre-update',
              nodeId: 'node-1',
              sizeBytes: 512,
              storedBytes: 300,
              packs: 1,
              durationMs: 350,
            }),
          ],
        });

      const code = await lockstep([
        'backup',
        'list',
        '--type',
        'full',
        '--status',
        'verified',
        '--node',
        'node-1',
        '--since',
        '30d',
        '--sort',
        'size',
        '--limit',
        '5',
      ]);

      expect(code).toBe(0);
      expect(urls()).toEqual([
        'GET http://api.test/v1/backups?type=full&status=verified&node=node-1&since=30d&sort=size&limit=5',
      ]);
      expect(out.split('\n')).toEqual([
        expect.stringMatching(
          /^NAME\s+TYPE\s+TRIGGER\s+STATUS\s+NODE\s+VERSION\s+SIZE\s+STORED\s+PACKS\s+DURATION\s+CREATED$/,
        ),
        expect.stringMatching(
          /^nightly\s+full\s+schedule\s+verified\s+-\s+1\.0\.0\s+3\.0 MiB\s+1\.5 MiB\s+2\s+4\.2 s\s+2026-01-01 00:00:00Z$/,
        ),
        expect.stringMatching(
          /^pre-1\.1\.0\s+data_only\s+pre-update\s+completed\s+node-1\s+1\.0\.0\s+512 B\s+300 B\s+1\s+350 ms\s+2026-01-01 00:00:00Z$/,
        ),
        '',
      ]);
    });

    it('is the default subcommand, asks for 20, and says how to take a backup when there is none', async () => {
      const code = await lockstep(['backup']);

      expect(code).toBe(0);
      expect(urls()).toEqual(['GET http://api.test/v1/backups?limit=20']);
      expect(out).toMatch(/^no backups match; take one with `lockstep backup create`/);
    });

    it('prints the API answer as JSON with --json', async () => {
      answer = () => json(200, { items: [backupRecord('nightly')] });

      const code = await lockstep(['backup', 'list', '--json']);

      expect(code).toBe(0);
      expect(JSON.parse(out)).toEqual([backupRecord('nightly')]);
    });
  });

  describe('show', () => {
    it('prints the backup and its latest operations', async () => {
      const corrupted = backupRecord('nightly', {
        status: 'corrupted',
        corruptedPacks: ['p-1', 'p-2'],
        error: 'verify: 2 damaged packs',
      });
      answer = () =>
        json(200, {
          backup: corrupted,
          operations: [
            backupOperation({
              kind: 'verify',
              state: 'failed',
              percent: 100,
              error: 'backup nightly is corrupted',
              finishedAt: '2026-01-02T00:00:00Z',
            }),
          ],
        });

      const code = await lockstep(['backup', 'show', 'nightly']);

      expect(code).toBe(0);
      expect(urls()).toEqual(['GET http://api.test/v1/backups/nightly']);
      expect(out).toMatch(/^backup: +nightly\ntype: +full\nstatus: +corrupted\n/);
      expect(out).toMatch(/stored: +1\.5 MiB in 2 pack\(s\), compressed\n/);
      expect(out).toMatch(/damaged packs: +p-1, p-2\n/);
      expect(out).toMatch(
        new RegExp(
          `latest operations:\\nOPERATION\\s+KIND\\s+STATE\\s+PROGRESS\\s+REQUESTED\\s+FINISHED\\s+ERROR\\n${OPERATION_ID}\\s+verify\\s+failed\\s+100%\\s+2026-01-01 00:01:00Z\\s+2026-01-02 00:00:00Z\\s+backup nightly is corrupted\\n$`,
        ),
      );
    });

    it("exits 1 with the API's message for an unknown backup", async () => {
      answer = () =>
        json(404, {
          code: 'NOT_FOUND',
          detail: 'backup nope is not in the catalogue; list backups with `lockstep backup list` (GET /v1/backups)',
        });

      const code = await lockstep(['backup', 'show', 'nope']);

      expect(code).toBe(1);
      expect(err).toBe(
        'error: backup nope is not in the catalogue; list backups with `lockstep backup list` (GET /v1/backups)\n',
      );
    });
  });

  describe('create', () => {
    const queued = backupOperation();
    const running = (percent: number, step: string, message?: string) =>
      backupOperation({ state: 'running', step, percent, message: message ?? null, startedAt: '2026-01-01T00:01:01Z' });
    const succeeded = backupOperation({
      state: 'succeeded',
      step: 'done',
      percent: 100,
      result: { backupId: 'nightly' },
      startedAt: '2026-01-01T00:01:01Z',
      finishedAt: '2026-01-01T00:01:05Z',
    });

    it('--no-wait posts the options and prints the queued operation', async () => {
      answer = operationScript(queued, []);

      const code = await lockstep([
        'backup',
        'create',
        '--type',
        'config',
        '--name',
        'nightly',
        '--description',
        'before the upgrade',
        '--include-logs',
        '--no-compress',
        '--no-wait',
      ]);

      expect(code).toBe(0);
      expect(sent).toEqual([
        {
          method: 'POST',
          url: 'http://api.test/v1/backups',
          body: {
            type: 'config',
            name: 'nightly',
            description: 'before the upgrade',
            includeLogs: true,
            compress: false,
          },
        },
      ]);
      expect(out).toBe(
        `queued create nightly as operation ${OPERATION_ID}; follow it with \`lockstep backup operation ${OPERATION_ID} --wait\`\n`,
      );
    });

    it('follows the operation a line per change, then prints the backup; exit 0', async () => {
      answer = operationScript(
        queued,
        [running(10, 'scanning'), running(10, 'scanning'), running(62, 'uploading', '5/8 packs'), succeeded],
        (req) =>
          req.url === 'http://api.test/v1/backups/nightly'
            ? json(200, { backup: backupRecord('nightly'), operations: [] })
            : json(500, {}),
      );

      const code = await lockstep(['backup', 'create']);

      expect(code).toBe(0);
      expect(sent[0]).toEqual({ method: 'POST', url: 'http://api.test/v1/backups', body: { compress: true } });
      expect(urls().slice(1)).toEqual([...Array(4).fill(`GET ${OP_URL}`), 'GET http://api.test/v1/backups/nightly']);
      expect(out.split('\n').slice(0, 8)).toEqual([
        `queued create nightly as operation ${OPERATION_ID}; Ctrl-C stops following, not the operation`,
        `backup operation ${OPERATION_ID} (create nightly) running`,
        'create  [#-------------]  10%  scanning',
        'create  [#########-----]  62%  uploading: 5/8 packs',
        `backup operation ${OPERATION_ID} (create nightly) succeeded`,
        'create  [##############] 100%  succeeded',
        'backup nightly created',
        expect.stringMatching(/^backup: +nightly$/),
      ]);
      expect(out).toMatch(/size: +3\.0 MiB in 12 file\(s\)\n/);
      expect(out).not.toContain('\x1b');
      expect(err).toBe('');
    });

    it('redraws one bar in place on a terminal', async () => {
      answer = operationScript(queued, [running(30, 'uploading'), succeeded], () =>
        json(200, { backup: backupRecord('nightly'), operations: [] }),
      );

      const code = await lockstep(['backup', 'create'], { tty: true });

      expect(code).toBe(0);
      expect(out).toContain(
        `backup operation 7e57c0de  create nightly  running\ncreate  [####----------]  30%  uploading\n`,
      );
      expect(out).toContain('\x1b[2A\r\x1b[0J');
    });

    it('writes JSON lines with --json: the queued answer, then each changed snapshot', async () => {
      answer = operationScript(queued, [running(30, 'uploading'), running(30, 'uploading'), succeeded]);

      const code = await lockstep(['backup', 'create', '--json']);

      const lines = out
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(code).toBe(0);
      expect(lines.map((l) => l.state ?? `queued:${l.operation.state}`)).toEqual([
        'queued:queued',
        'running',
        'succeeded',
      ]);
      expect(lines[2].result).toEqual({ backupId: 'nightly' });
      expect(urls()).not.toContain('GET http://api.test/v1/backups/nightly');
    });

    it('exits 1 with the error when the operation fails', async () => {
      answer = operationScript(queued, [
        running(5, 'dumping database'),
        backupOperation({
          state: 'failed',
          step: 'dumping database',
          percent: 5,
          error: 'pg_dump of app failed: connection refused',
        }),
      ]);

      const code = await lockstep(['backup', 'create']);

      expect(code).toBe(1);
      expect(out).toContain('create  [#-------------]   5%  failed: pg_dump of app failed: connection refused\n');
      expect(err).toBe('error: create nightly failed: pg_dump of app failed: connection refused\n');
    });

    it('warns once when nothing picks the operation up, and keeps following', async () => {
      const snapshots = [...Array(40).fill(queued), succeeded];
      answer = operationScript(queued, snapshots, () => json(200, { backup: backupRecord('nightly'), operations: [] }));

      const code = await lockstep(['backup', 'create']);

      expect(code).toBe(0);
      expect(err.match(/warning: /g)).toHaveLength(1);
      expect(err).toMatch(
        /^warning: backup operation .* is still queued after 1[5-9] s: is the backup service running\?/,
      );
    });

    it("passes the API's 409 for a taken name on", async () => {
      answer = () =>
        json(409, {
          code: 'BACKUP_NAME_TAKEN',
          detail: 'backup nightly already exists (completed); pick another name',
        });

      const code = await lockstep(['backup', 'create', '--name', 'nightly']);

      expect(code).toBe(1);
      expect(err).toBe('error: backup nightly already exists (completed); pick another name\n');
    });
  });

  describe('verify', () => {
    const queued = backupOperation({ kind: 'verify' });

    it('exits 0 and says how many packs were checked when nothing is damaged', async () => {
      answer = operationScript(queued, [
        backupOperation({
          kind: 'verify',
          state: 'succeeded',
          percent: 100,
          result: { ok: true, corruptedPacks: [], problems: [], packsChecked: 4 },
        }),
      ]);

      const code = await lockstep(['backup', 'verify', 'nightly']);

      expect(code).toBe(0);
      expect(sent[0]).toEqual({ method: 'POST', url: 'http://api.test/v1/backups/nightly/verify', body: {} });
      expect(out).toMatch(/backup nightly verified: 4 pack\(s\) checked, no damage found\n$/);
    });

    it.each([
      ['failed with the findings as its result', 'failed'],
      ['succeeded with ok false', 'succeeded'],
    ] as const)('exits 1 naming the damaged packs when the verify %s', async (_name, state) => {
      const result = {
        ok: false,
        corruptedPacks: ['pack-0a1b', 'pack-9f8e'],
        problems: ['chunk 3f2a… in pack-0a1b fails its hash'],
        packsChecked: 4,
      };
      answer = operationScript(queued, [
        backupOperation({
          kind: 'verify',
          state,
          percent: 100,
          result,
          error: state === 'failed' ? 'backup nightly is corrupted: 2 damaged pack(s)' : null,
        }),
      ]);

      const code = await lockstep(['backup', 'verify', 'nightly']);

      expect(code).toBe(1);
      expect(err).toBe(
        'error: backup nightly is corrupted: verify found 2 damaged pack(s): pack-0a1b, pack-9f8e; chunk 3f2a… in pack-0a1b fails its hash. Restore another backup (lockstep backup list --status verified), and take a new one\n',
      );
    });

    it('reports damage as a JSON error with --json', async () => {
      answer = operationScript(queued, [
        backupOperation({
          kind: 'verify',
          state: 'failed',
          percent: 100,
          result: { ok: false, corruptedPacks: ['pack-0a1b'], problems: [], packsChecked: 1 },
          error: 'corrupted',
        }),
      ]);

      const code = await lockstep(['backup', 'verify', 'nightly', '--json']);

      expect(code).toBe(1);
      expect(JSON.parse(err)).toEqual({
        error: {
          code: 'BACKUP_CORRUPTED',
          message: expect.stringMatching(/^backup nightly is corrupted: verify found 1 damaged pack\(s\): pack-0a1b\./),
        },
      });
    });
  });

  describe('restore', () => {
    it('sends the parts, target and database mode with confirm, then prints what came back where', async () => {
      const result = {
        restored: [{ part: 'config', target: '/srv/restore/config/app', files: 7 }],
        database: { database: 'app_restored_20260101_000200', mode: 'new' },
      };
      answer = operationScript(backupOperation({ kind: 'restore' }), [
        backupOperation({ kind: 'restore', state: 'succeeded', percent: 100, result }),
      ]);

      const code = await lockstep([
        'backup',
        'restore',
        'nightly',
        '--what',
        'all',
        '--to',
        '/srv/restore',
        '--database-mode',
        'new',
        '--keep-special-bits',
        '--confirm',
      ]);

      expect(code).toBe(0);
      expect(sent[0]).toEqual({
        method: 'POST',
        url: 'http://api.test/v1/backups/nightly/restore',
        body: { what: 'all', to: '/srv/restore', databaseMode: 'new', keepSpecialBits: true, confirm: true },
      });
      expect(out).toMatch(
        /restored from backup nightly:\n {2}config → \/srv\/restore\/config\/app \(7 file\(s\)\)\n {2}database app_restored_20260101_000200 \(new\)\n$/,
      );
    });

    it("passes the API's refusal of a corrupted backup on", async () => {
      answer = () =>
        json(409, {
          code: 'BACKUP_INVALID_STATE',
          detail: 'backup nightly is corrupted: verify found damaged packs (p-1); restore another backup',
        });

      const code = await lockstep(['backup', 'restore', 'nightly', '--what', 'data', '--confirm']);

      expect(code).toBe(1);
      expect(err).toMatch(
        /^error: backup nightly is corrupted: verify found damaged packs \(p-1\); restore another backup\n$/,
      );
    });
  });

  describe('prune', () => {
    it('--dry-run prints the plan: kept with reasons, removed with reason, and what it would free', async () => {
      const result = {
        dryRun: true,
        removedBackups: [],
        removedPacks: 3,
        keptPacks: 10,
        freedBytes: 5 * 1024 * 1024,
        plan: {
          keep: [
            { id: 'nightly', reasons: ['last 3', 'daily 2026-01-01'] },
            { id: 'weekly-1', reasons: ['weekly 2025-W52'] },
          ],
          remove: [{ id: 'old-1', reason: 'older than 30d' }],
        },
      };
      answer = operationScript(backupOperation({ kind: 'prune', backupId: null }), [
        backupOperation({ kind: 'prune', backupId: null, state: 'succeeded', percent: 100, result }),
      ]);

      const code = await lockstep(['backup', 'prune', '--dry-run']);

      expect(code).toBe(0);
      expect(sent[0]).toEqual({ method: 'POST', url: 'http://api.test/v1/backups/prune', body: { dryRun: true } });
      expect(out.slice(out.indexOf('prune plan'))).toBe(
        [
          'prune plan (dry run: nothing was removed)',
          'keep (2):',
          '  nightly   last 3, daily 2026-01-01',
          '  weekly-1  weekly 2025-W52',
          'would remove (1):',
          '  old-1     older than 30d',
          'would free 5.0 MiB (3 pack(s) to remove, 10 kept); run without --dry-run to remove them',
          '',
        ].join('\n'),
      );
    });
  });

  describe('operation', () => {
    it('shows where an operation stands', async () => {
      answer = () =>
        json(
          200,
          backupOperation({
            state: 'running',
            step: 'uploading',
            percent: 40,
            message: '2/5 packs',
            startedAt: '2026-01-01T00:01:01Z',
          }),
        );

      const code = await lockstep(['backup', 'operation', OPERATION_ID]);

      expect(code).toBe(0);
      expect(urls()).toEqual([`GET ${OP_URL}`]);
      expect(out).toMatch(
        new RegExp(
          `^operation: +${OPERATION_ID}\\nwhat: +create nightly\\nstate: +running\\nstep: +uploading\\nprogress: +40%\\nmessage: +2/5 packs\\n`,
        ),
      );
    });

    it('follows it with --wait and reports a failure with exit 1', async () => {
      answer = operationScript(null, [
        backupOperation({ state: 'running', percent: 50, step: 'uploading' }),
        backupOperation({ state: 'failed', percent: 50, error: 'S3 refused the upload (AccessDenied)' }),
      ]);

      const code = await lockstep(['backup', 'operation', OPERATION_ID, '--wait']);

      expect(code).toBe(1);
      expect(out).toMatch(
        new RegExp(
          `^following backup operation ${OPERATION_ID} \\(create nightly\\); Ctrl-C stops following, not the operation\\n`,
        ),
      );
      expect(err).toBe('error: create nightly failed: S3 refused the upload (AccessDenied)\n');
    });
  });
});
