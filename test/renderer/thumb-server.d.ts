/** Declarations of thumb-server.mts (see real-main.d.ts for why). */
export interface ThumbServer {
  ids: number[]
  jpeg: Uint8Array
  calls: number[][]
  fetch(url: string): Promise<Response>
  fail: { on: boolean }
  close(): void
}
export declare function thumbServer(n: number): Promise<ThumbServer>
