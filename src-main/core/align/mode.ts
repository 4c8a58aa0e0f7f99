/**
 * The alignment modes, in a module with no tfjs import so the CLI can parse `--align` without loading
 * the networks (loading tfjs costs ~1–2 s of start-up).
 */

/**
 * 'auto': pass images that already are tight face crops through unchanged; 'always': align every image
 * with a face; 'never': no detection at all.
 */
export type AlignMode = 'auto' | 'always' | 'never'

/** Parses a CLI value for --align, with an error naming the bad value. */
export function parseAlignMode(value: string): AlignMode {
  if (value === 'auto' || value === 'always' || value === 'never') return value
  throw new Error(`--align must be auto, always or never (got '${value}')`)
}
