import { defineConfig } from 'vitest/config'
import { svelte } from '@sveltejs/vite-plugin-svelte'
import { svelteTesting } from '@testing-library/svelte/vite'

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'main',
          environment: 'node',
          include: ['test/main/**/*.test.ts'],
          pool: 'forks',
          testTimeout: 120_000,
          hookTimeout: 120_000
        }
      },
      {
        plugins: [svelte(), svelteTesting()],
        test: { name: 'renderer', environment: 'jsdom', include: ['test/renderer/**/*.test.ts'] }
      },
      {
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.e2e.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false
        }
      }
    ]
  }
})
