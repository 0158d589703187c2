import { Command, CommanderError } from 'commander';
import { ReleaseError } from '@lockstep/releases';
import { StorageError } from '@lockstep/storage';
import { registerAudit } from './commands/audit.command';
import { registerBackup } from './commands/backup.command';
import { registerCheck } from './commands/check.command';
import { registerComponents } from './commands/components.command';
import { registerDeadLetters } from './commands/dead-letters.command';
import { registerDeliveries } from './commands/deliveries.command';
import { registerKeys } from './commands/keys.command';
import { registerLocks } from './commands/locks.command';
import { registerNats } from './commands/nats.command';
import { registerNodes } from './commands/nodes.command';
import { registerPolicy } from './commands/policy.command';
import { registerRelease } from './commands/release.command';
import { registerRollback } from './commands/rollback.command';
import { registerRollouts } from './commands/rollouts.command';
import { registerSchedule } from './commands/schedule.command';
import { registerSecrets } from './commands/secrets.command';
import { registerSettings } from './commands/settings.command';
import { registerSubscriptions } from './commands/subscriptions.command';
import { registerLogin, registerTokens } from './commands/tokens.command';
import { registerUpdateDecisions } from './commands/update-decisions.command';
import { registerRolloutStart } from './commands/upgrade.command';
import { registerUpdates } from './commands/updates.command';
import { registerWindows } from './commands/windows.command';
import { CliContext, type CliDeps } from './context';
import { CliError, CliErrorCode, ExitCode } from './errors';
import { toJson } from './output';

/** Builds the `lockstep` command tree for one run. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('lockstep')
    .description(
      'Operate a Lockstep control plane. Talks to the REST API; release publishing and keys work locally against the bucket.',
    )
    .option('--api <url>', 'Lockstep API URL (or LOCKSTEP_API_URL; default http://127.0.0.1:8080)')
    .option('--token <token>', 'API token (or LOCKSTEP_TOKEN, or the file `lockstep login` saves)')
    .option('--json', 'machine-readable output on stdout')
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.deps.io.stdout(s), writeErr: (s) => ctx.deps.io.stderr(s) })
    .configureHelp({ showGlobalOptions: true })
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 the command failed (the message says why), 2 the command line is wrong.',
    );
  registerKeys(program, ctx);
  registerNats(program, ctx);
  registerRelease(program, ctx);
  registerComponents(program, ctx);
  registerCheck(program, ctx);
  registerSubscriptions(program, ctx);
  registerDeliveries(program, ctx);
  registerDeadLetters(program, ctx);
  registerSecrets(program, ctx);
  registerNodes(program, ctx);
  registerUpdates(program, ctx);
  registerPolicy(program, ctx);
  registerRolloutStart(program, ctx);
  registerRollouts(program, ctx);
  registerRollback(program, ctx);
  registerLocks(program, ctx);
  registerBackup(program, ctx);
  registerTokens(program, ctx);
  registerLogin(program, ctx);
  registerAudit(program, ctx);
  registerUpdateDecisions(program, ctx);
  registerSchedule(program, ctx);
  registerWindows(program, ctx);
  registerSettings(program, ctx);
  return program;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code; never throws. */
export async function run(argv: string[], deps: CliDeps): Promise<number> {
  const ctx = new CliContext(deps);
  const json = argv.includes('--json');
  try {
    await buildProgram(ctx).parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its message (or the help).
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0
        ? ExitCode.Ok
        : ExitCode.Usage;
    }
    const known = err instanceof CliError || err instanceof ReleaseError || err instanceof StorageError;
    const code = known ? err.code : CliErrorCode.Unexpected;
    const message = known ? (err as Error).message : `unexpected failure: ${(err as Error)?.stack ?? String(err)}`;
    deps.io.stderr(json ? toJson({ error: { code, message } }) : `error: ${message}\n`);
    return err instanceof CliError ? err.exitCode : ExitCode.Failure;
  }
}
