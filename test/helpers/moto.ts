import { afterAll, beforeAll } from 'vitest';
import { type MotoServer, startMoto } from '../../src/local/moto/motoServer.ts';

/**
 * Start one moto server for the calling test file (free loopback port) and stop it after the file.
 * One server per file: `/moto-api/reset` wipes state for every client of a server, so files never share.
 * Returns a getter, because the server only exists once `beforeAll` has run.
 */
export const useMoto = (): (() => MotoServer) => {
  let moto: MotoServer | undefined;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.stop();
  });
  return () => {
    if (!moto) throw new Error('moto is not running yet: call the getter inside a test or hook');
    return moto;
  };
};
