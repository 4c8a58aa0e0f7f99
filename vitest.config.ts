import { defineConfig } from 'vitest/config'
import { svelte } from '@sveltejs/vite-plugin-svelte'
import { svelteTesting } from '@testing-library/svelte/vite'

/**
 * Files `npm run test:fast` leaves out; `npm run test` (CI) runs them all. The rule: a file is slow when it
 * trains a network, runs native TensorFlow or face-api, spawns CLI processes, builds 35k-image projects,
 * or runs fault trials (processes SIGKILLed at random points, lock races: `kill.test.ts`, `*-race.test.ts`;
 * 10–45 s each on this machine). Everything else runs in seconds and stays in the edit loop.
 */
export const SLOW_MAIN_TESTS = [
  'test/main/**/kill.test.ts',
  'test/main/**/*-race.test.ts',
  'test/main/train/acceptance.test.ts',
  'test/main/train/engine.test.ts',
  'test/main/train/features.test.ts',
  'test/main/train/cli.test.ts',
  'test/main/model/state.test.ts',
  'test/main/model/gradients.test.ts',
  'test/main/model/shapes.test.ts',
  'test/main/model/mechanisms.test.ts',
  'test/main/compute/native-numerics.test.ts',
  'test/main/compute/resnet-grad.test.ts',
  'test/main/compute/threads.test.ts',
  'test/main/compute/backend.test.ts',
  'test/main/compute/auto-fallback.test.ts',
  'test/main/compute/backend-wasm-fail.test.ts',
  'test/main/compute/shims.test.ts',
  'test/main/align/faceapi.test.ts',
  'test/main/align/import-align.test.ts',
  'test/main/api/api-scale.test.ts',
  'test/main/api/api-consensus-scale.test.ts',
  'test/main/audit/cli.test.ts',
  'test/main/cli/dataset-cli.test.ts',
  'test/main/synth/dataset.test.ts',
  'test/main/train/retrain-compare.test.ts',
  'test/main/cli/read-only.test.ts',
  'test/main/cli/exit-codes.test.ts'
]

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
        // The edit loop (npm run test:fast): the main project without SLOW_MAIN_TESTS.
        test: {
          name: 'main-fast',
          environment: 'node',
          include: ['test/main/**/*.test.ts'],
          exclude: SLOW_MAIN_TESTS,
          pool: 'forks',
          testTimeout: 120_000,
          hookTimeout: 120_000
        }
      },
      {
        plugins: [svelte(), svelteTesting()],
        // The page tests drive the real app over a real project: 1–9 s each here, so the 5 s default
        // timed out when the machine was loaded.
        test: { name: 'renderer', environment: 'jsdom', include: ['test/renderer/**/*.test.ts'], testTimeout: 30_000 }
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
