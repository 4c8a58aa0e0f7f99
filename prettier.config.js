/**
 * Formatting (npm run format:check in CI). One formatting pass: `npx prettier --write .`.
 *
 * Svelte markup keeps the default htmlWhitespaceSensitivity 'css': prettier only breaks lines where
 * whitespace already is (or hides the break inside a tag, `><`), so inline text never gains or loses a
 * space. A break inside text does turn a space into a newline in `textContent`; CSS shows it as a space, but
 * elements with `white-space: pre-line` (.error-text, .notice.error) would show it, so their content is a
 * single `{expression}`. Tests that read sentences compare whitespace-collapsed text
 * (test/renderer/text.ts).

 */
export default {
  printWidth: 120,
  semi: false,
  singleQuote: true,
  trailingComma: 'none',
  plugins: ['prettier-plugin-svelte'],
  overrides: [{ files: '*.svelte', options: { parser: 'svelte', printWidth: 112, htmlWhitespaceSensitivity: 'css' } }]
}
