export default async function globalTeardown() {
  if (process.env.KEEP_TEST_DB) return;
  await globalThis.__dropTestDatabase?.();
}
