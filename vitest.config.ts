import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/integration/global-setup.ts'],
          setupFiles: ['test/integration/leak-guard.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // One MariaDB and one radosgw serve every file; two workers keep them busy enough.
          maxWorkers: 2,
          // Unit tests first; projects with different worker limits need their own group.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
})
