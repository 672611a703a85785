// Preloaded into the service by `bench/run.js` (`node --import ./bench/cpu-profile-agent.js dist/main.js`)
// for its profiling pass: each SIGUSR2 toggles V8's CPU profiler in the process, and stopping writes
// the profile to `$BENCH_PROFILE_DIR/<n>.cpuprofile` (written under a temporary name, then renamed, so
// the bench can wait for the file). Until the first signal nothing is loaded and nothing runs.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.BENCH_PROFILE_DIR;
if (dir) {
  let session;
  let count = 0;
  process.on('SIGUSR2', async () => {
    if (!session) {
      const { Session } = await import('node:inspector');
      session = new Session();
      session.connect();
      session.post('Profiler.enable', () =>
        session.post('Profiler.setSamplingInterval', { interval: 500 }, () => session.post('Profiler.start')),
      );
      return;
    }
    const current = session;
    session = undefined;
    current.post('Profiler.stop', (error, result) => {
      const file = join(dir, `${++count}.cpuprofile`);
      writeFileSync(`${file}.tmp`, error ? JSON.stringify({ error: String(error) }) : JSON.stringify(result.profile));
      renameSync(`${file}.tmp`, file);
      current.disconnect();
    });
  });
}
