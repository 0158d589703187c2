/**
 * s3rver in its own process for bench:rollout, so serving the agents' downloads and TUF
 * metadata does not share an event loop with the benchmark's timing. Prints one JSON line
 * (endpoint, keys, directory) once listening; stops, removes its data and exits when stdin closes.
 */
import { startS3Server } from '@lockstep/testing';

async function main(): Promise<void> {
  const s3 = await startS3Server();
  process.stdout.write(
    `${JSON.stringify({ endpoint: s3.endpoint, accessKey: s3.accessKey, secretKey: s3.secretKey, directory: s3.directory })}\n`,
  );
  process.stdin.on('end', () => {
    void s3.stop(true).finally(() => process.exit(0));
  });
  process.stdin.resume();
}

main().catch((err) => {
  process.stderr.write(`s3 server failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
