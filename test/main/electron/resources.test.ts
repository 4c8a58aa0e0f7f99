/**
 * The app's resources/ (window icon, about/licence page) and the installer icon in build/: present,
 * the right sizes, referenced by the window and by electron-builder, and the about page matches the
 * face-api package actually installed (regenerate with node scripts/make-resources.mjs).
 */
import { describe, expect, it } from 'vitest'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import sharp from 'sharp'
import { appResource, mainWindowOptions } from '../../../src-main/electron/window'

const root = resolve(__dirname, '../../..')

describe('app resources', () => {
  it('the window gets the icon from resources/ in development and from resourcesPath when packaged', async () => {
    const dev = appResource('icon.png', { packaged: false, resourcesPath: '', mainDir: join(root, 'out', 'main') })
    expect(dev).toBe(join(root, 'resources', 'icon.png'))
    expect(await sharp(dev).metadata()).toMatchObject({ format: 'png', width: 256, height: 256 })
    expect(appResource('icon.png', { packaged: true, resourcesPath: '/opt/POI Audit/resources', mainDir: '/x' })).toBe(
      '/opt/POI Audit/resources/resources/icon.png'
    )
    expect(mainWindowOptions('/p.cjs', dev).icon).toBe(dev)
    expect(mainWindowOptions('/p.cjs')).not.toHaveProperty('icon')
  })

  it('electron-builder packages resources/ and uses the 1024 px installer icon in build/', async () => {
    const yml = readFileSync(join(root, 'build', 'electron-builder.yml'), 'utf8')
    expect(yml).toMatch(/^icon: build\/icon\.png$/m)
    expect(yml).toMatch(/- from: resources\n\s+to: resources/)
    expect(await sharp(join(root, 'build', 'icon.png')).metadata()).toMatchObject({
      format: 'png',
      width: 1024,
      height: 1024
    })
  })

  it('the about page carries the licence and version of the installed face-api', () => {
    const about = readFileSync(join(root, 'resources', 'about.html'), 'utf8')
    const dir = join(root, 'node_modules', '@vladmandic', 'face-api')
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }
    expect(about).toContain(`@vladmandic/face-api ${pkg.version}`)
    expect(about).toContain(readFileSync(join(dir, 'LICENSE'), 'utf8').trim().split('\n')[0])
    expect(existsSync(join(root, 'scripts', 'make-resources.mjs'))).toBe(true)
  })
})
