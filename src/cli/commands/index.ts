import type { Command } from 'commander';

/** Each command lives in its own file and adds itself here. */
export const registerCommands = (program: Command): void => {
  void program;
};
