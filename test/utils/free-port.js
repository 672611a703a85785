// Plain ESM: shared by the TypeScript tests, the Jest global setup and the benchmark.
import { createServer } from 'node:net';

/** A TCP port nothing listens on right now. */
export async function freePort() {
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  await new Promise((resolve) => server.close(() => resolve()));
  return port;
}
