import { Command } from 'commander';
import { registerCommands } from './commands/index.ts';

/** `silent-scalper` — operate the pipeline locally (moto) or on AWS (a deployed stack). */
const program = new Command()
  .name('silent-scalper')
  .description('Silent Scalper: validate and track bulk file dumps into S3 — locally on moto or on AWS')
  .showHelpAfterError('(run with --help for usage)');

registerCommands(program);

await program.parseAsync(process.argv);
