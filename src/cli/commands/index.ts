import type { Command } from 'commander';
import { checkCommand } from './check.ts';
import { dashboardCommand } from './dashboard.ts';
import { filesCommand } from './files.ts';
import { replayDlqCommand } from './replay-dlq.ts';
import { retryCommand } from './retry.ts';
import { showCommand } from './show.ts';
import { statusCommand } from './status.ts';
import { upCommand } from './up.ts';
import { uploadCommand } from './upload.ts';
import { verifyCommand } from './verify.ts';

/** Each command lives in its own file and adds itself here. */
export const registerCommands = (program: Command): void => {
  program.addCommand(upCommand());
  program.addCommand(uploadCommand());
  program.addCommand(statusCommand());
  program.addCommand(filesCommand());
  program.addCommand(showCommand());
  program.addCommand(dashboardCommand());
  program.addCommand(replayDlqCommand());
  program.addCommand(retryCommand());
  program.addCommand(verifyCommand());
  program.addCommand(checkCommand());
};
