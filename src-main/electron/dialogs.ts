/** Native file dialogs for `dialog.open` (the renderer gets a path or null, never dialog access). */
import type { BrowserWindow, Dialog, OpenDialogOptions, SaveDialogOptions } from 'electron'
import type { DialogHost } from '../core/api/engines'

const PROJECT_FILTER = [{ name: 'POI Audit project', extensions: ['poi'] }]

export function createDialogHost(
  dialog: Pick<Dialog, 'showOpenDialog' | 'showSaveDialog'>,
  window: () => BrowserWindow | null
): DialogHost {
  return {
    async open(purpose) {
      const win = window()
      const open = (o: OpenDialogOptions) => (win ? dialog.showOpenDialog(win, o) : dialog.showOpenDialog(o))
      const save = (o: SaveDialogOptions) => (win ? dialog.showSaveDialog(win, o) : dialog.showSaveDialog(o))
      switch (purpose) {
        case 'project-open': {
          const r = await open({ title: 'Open project', properties: ['openFile'], filters: PROJECT_FILTER })
          return r.canceled ? null : (r.filePaths[0] ?? null)
        }
        case 'project-create': {
          const r = await save({
            title: 'New project',
            filters: PROJECT_FILTER,
            properties: ['createDirectory', 'showOverwriteConfirmation']
          })
          return r.canceled ? null : (r.filePath ?? null)
        }
        case 'import-folder': {
          const r = await open({ title: 'Import a folder of images', properties: ['openDirectory'] })
          return r.canceled ? null : (r.filePaths[0] ?? null)
        }
        case 'import-file': {
          const r = await open({
            title: 'Import an annotation file',
            properties: ['openFile'],
            filters: [{ name: 'Annotations', extensions: ['csv', 'txt', 'tsv'] }]
          })
          return r.canceled ? null : (r.filePaths[0] ?? null)
        }
        case 'export-dest': {
          const r = await save({ title: 'Export to', properties: ['createDirectory', 'showOverwriteConfirmation'] })
          return r.canceled ? null : (r.filePath ?? null)
        }
      }
    }
  }
}
