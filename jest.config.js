// Nest 12 ships as ES modules, so the suite runs in Jest's native ESM mode
// (`node --experimental-vm-modules`, see package.json) with ts-jest emitting ESM.
export default {
  rootDir: '.',
  testEnvironment: 'node',
  testRegex: '((src|admin-ui/src)/.*\\.spec|test/.*\\.e2e-spec)\\.ts$',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  globalSetup: '<rootDir>/test/global-setup.js',
  globalTeardown: '<rootDir>/test/global-teardown.js',
  testTimeout: 60000,
  maxWorkers: 2,
};
