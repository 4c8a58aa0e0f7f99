#!/usr/bin/env node
/**
 * Generates the app's runtime resources and installer icons from source kept here, so the PNGs are
 * reproducible (`node scripts/make-resources.mjs`; the outputs are committed):
 *  - resources/icon.png (256 px): the window icon (src-main/electron/window.ts);
 *  - build/icon.png (1024 px): electron-builder's installer/app icon (build/electron-builder.yml);
 *  - resources/about.html: the about/licence page for the bundled face models, with the licence text
 *    and version read from node_modules/@vladmandic/face-api, so it cannot drift from what is shipped.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

// A face split into the four regions POI reads (UL, UR, LL, LR), eyes and mouth in the accent colour.
const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 256 256">
  <rect width="256" height="256" rx="48" fill="#16181d"/>
  <ellipse cx="128" cy="132" rx="82" ry="98" fill="#2a2f3a" stroke="#8ab4f8" stroke-width="8"/>
  <line x1="128" y1="40" x2="128" y2="228" stroke="#8ab4f8" stroke-width="4" stroke-dasharray="10 8" opacity="0.7"/>
  <line x1="46" y1="128" x2="210" y2="128" stroke="#8ab4f8" stroke-width="4" stroke-dasharray="10 8" opacity="0.7"/>
  <path d="M76 92 q20 -14 40 0" stroke="#f8c46c" stroke-width="8" fill="none" stroke-linecap="round"/>
  <path d="M140 92 q20 -14 40 0" stroke="#f8c46c" stroke-width="8" fill="none" stroke-linecap="round"/>
  <circle cx="96" cy="108" r="9" fill="#f8c46c"/>
  <circle cx="160" cy="108" r="9" fill="#f8c46c"/>
  <path d="M90 170 q38 30 76 0" stroke="#f8c46c" stroke-width="9" fill="none" stroke-linecap="round"/>
</svg>`

const escape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

async function main() {
  mkdirSync(join(root, 'resources'), { recursive: true })
  mkdirSync(join(root, 'build'), { recursive: true })
  await sharp(Buffer.from(svg))
    .resize(256, 256)
    .png()
    .toFile(join(root, 'resources', 'icon.png'))
  await sharp(Buffer.from(svg), { density: 288 })
    .resize(1024, 1024)
    .png()
    .toFile(join(root, 'build', 'icon.png'))

  const faceApiDir = join(root, 'node_modules', '@vladmandic', 'face-api')
  const pkg = JSON.parse(readFileSync(join(faceApiDir, 'package.json'), 'utf8'))
  const licence = readFileSync(join(faceApiDir, 'LICENSE'), 'utf8').trim()
  const app = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>About POI Audit</title>
<style>body{font:14px/1.5 system-ui,sans-serif;background:#16181d;color:#e8eaed;margin:2rem;max-width:46rem}pre{white-space:pre-wrap;background:#22262e;padding:1rem;border-radius:6px}</style>
</head>
<body>
<h1>POI Audit ${escape(app.version)}</h1>
<p>${escape(app.description)}</p>
<h2>Bundled face models</h2>
<p>Face detection, landmarks and the frozen feature backbones use <strong>${escape(pkg.name)} ${escape(pkg.version)}</strong>
and the model weights shipped in that package. They are distributed under the licence below. The
weights were trained by their authors on their data, not on yours. POI Audit runs them offline; no image
leaves this computer.</p>
<pre>${escape(licence)}</pre>
</body>
</html>
`
  writeFileSync(join(root, 'resources', 'about.html'), html)
  console.log('wrote resources/icon.png, build/icon.png, resources/about.html')
}

await main()
