import { Command, Option } from 'commander';
import { DEFAULT_STACK_NAME } from '../../infra/outputs.ts';
import { printable } from '../text/printable.js';
import { registerCommands } from './commands/index.ts';
import { CliError, explainError } from './errors.ts';
import { errorContextOf, targetOptionsOf } from './target.ts';

// The SDK warns on every run that its releases after January 2027 need Node 22; the lock file pins the
// versions this project runs, so the warning only adds noise to every command's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** `silent-scalper` — operate the pipeline locally (moto) or on AWS (a deployed stack). */
const program = new Command()
  .name('silent-scalper')
  .description('Silent Scalper: validate and track bulk file dumps into S3 — locally on moto or on AWS')
  .addOption(
    new Option(
      '--endpoint <url>',
      'act on a local emulator (moto) at this URL, e.g. http://127.0.0.1:4566',
    ).env('AWS_ENDPOINT_URL'),
  )
  .addOption(
    new Option('--region <region>', 'AWS region (default: AWS_DEFAULT_REGION, else us-east-1)').env(
      'AWS_REGION',
    ),
  )
  .option(
    '--stack <name>',
    'CloudFormation stack whose outputs name the resources on AWS',
    DEFAULT_STACK_NAME,
  )
  .option('--debug', 'print the full error on failure')
  .showHelpAfterError('(run with --help for usage)')
  .addHelpText(
    'after',
    '\nWithout --endpoint (or AWS_ENDPOINT_URL) commands act on AWS, with the usual credential chain and the\n' +
      "resource names from the deployed stack's outputs.",
  );

registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const context = errorContextOf(targetOptionsOf(program));
  // Error messages quote keys and service answers: escaped like every other output (src/text/printable.js).
  process.stderr.write(`error: ${printable(explainError(error, context), { keepLineBreaks: true })}\n`);
  if (program.opts().debug)
    process.stderr.write(
      `${printable(error instanceof Error ? (error.stack ?? '') : String(error), { keepLineBreaks: true })}\n`,
    );
  process.exitCode = error instanceof CliError ? error.exitCode : 1;
}
