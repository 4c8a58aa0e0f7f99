import { mount } from 'svelte'
import App from './App.svelte'
import './app.css'
import { createClient, detectTransport } from './lib/api'
import { AppState } from './lib/app.svelte'

const target = document.getElementById('app')
if (!target) throw new Error('#app missing')

const app = new AppState(createClient(detectTransport()))
void app.start(location.hash.replace(/^#\/?/, ''))
// For the end-to-end tests and the latency benchmark: read-only timing hooks, no API access.
;(window as unknown as { __poiReady?: () => boolean }).__poiReady = () => app.info !== null

export default mount(App, { props: { app }, target })
