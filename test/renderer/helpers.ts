import { render } from '@testing-library/svelte'
import { tick } from 'svelte'
import App from '../../src-renderer/src/App.svelte'
import { createClient } from '../../src-main/core/api/client'
import { AppState } from '../../src-renderer/src/lib/app.svelte'
import { FakeMain, type FakeOptions } from './fake-main'

/** The real app (client, stores, components) over a fake main side, started on `page`. */
export async function startApp(page: string, opts: FakeOptions = {}): Promise<{ fake: FakeMain; app: AppState; container: HTMLElement }> {
  const fake = new FakeMain(opts)
  const app = new AppState(createClient(fake))
  await app.start(page)
  const { container } = render(App, { props: { app } })
  await settle()
  return { fake, app, container }
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
