import { processIo } from './output';
import { run } from './program';

void run(process.argv.slice(2), { io: processIo(), env: process.env }).then((code) => {
  process.exitCode = code;
});
