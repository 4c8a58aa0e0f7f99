import { render } from '@testing-library/svelte'
import { tick } from 'svelte'
import App from '../../src-renderer/src/App.svelte'
import { createClient } from '../../src-main/core/api/client'
import { AppState } from '../../src-renderer/src/lib/app.svelte'
import { RealMain, type RealOptions } from './real-main'

const open: RealMain[] = []

/**
 * The real app (client, stores, components) over the real main side (API handlers on a fresh copy
 * of a real project file), started on `page`. Close it with `closeApps` after each test.
 */
export async function startApp(
  page: string,
  opts: RealOptions = {}
): Promise<{ main: RealMain; app: AppState; container: HTMLElement }> {
  const main = await RealMain.create(opts)
  open.push(main)
  const app = new AppState(createClient(main))
  await app.start(page)
  const { container } = render(App, { props: { app } })
  await settle()
  return { main, app, container }
}

/** Closes the API (jobs, project file) of every app started since the last call. */
export async function closeApps(): Promise<void> {
  for (const m of open.splice(0)) await m.close()
}

/**
 * Lets pending promises, frames and Svelte updates run. Writes and prefetches start after the next
 * frame (jsdom's requestAnimationFrame is a ~16 ms timer), so each round waits a frame.
 */
export async function settle(rounds = 8): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await new Promise((r) => setTimeout(r, 20))
    await tick()
  }
}
