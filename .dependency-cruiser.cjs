/**
 * The import rules (README, "Layout"): features → common → config, never the reverse; no two
 * top-level folders under src/ import each other; no file import loops. `npm run lint` runs this.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-file-cycles',
      severity: 'error',
      comment: 'A file must not import itself through other files.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'config-imports-no-app-code',
      severity: 'error',
      comment: 'src/config/ is the bottom layer: it imports no other folder of src/.',
      from: { path: '^src/config/' },
      to: { path: '^src/', pathNot: '^src/config/' },
    },
    {
      name: 'common-imports-no-feature',
      severity: 'error',
      comment: 'src/common/ is infrastructure: it may import src/config/ and itself, never a feature.',
      from: { path: '^src/common/' },
      to: { path: '^src/', pathNot: ['^src/common/', '^src/config/'] },
    },
    {
      name: 'no-folder-cycles',
      severity: 'error',
      comment: 'No two folders import each other (directly or through a chain of folders).',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
