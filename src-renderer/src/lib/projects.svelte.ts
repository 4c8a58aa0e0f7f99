/**
 * Projects page: recent projects, open / create / close, and the import wizard (start an import job,
 * follow its progress, show the importer's report).
 */
import type { AppState } from './app.svelte'
import type { ApiResult, ImportFormat, ImportSummary, JobInfo, JsonValue, ProjectInfo, RecentProject } from './api'
import { errorText } from './format'

export type ImportStep = 'form' | 'running' | 'report'

export class ProjectsState {
  recent = $state.raw<RecentProject[]>([])
  recentError = $state<string | null>(null)
  busy = $state(false)
  /** Inputs of the open / create forms. */
  openPath = $state('')
  createPath = $state('')
  createName = $state('')

  /** Import wizard. */
  step = $state<ImportStep>('form')
  source = $state('')
  format = $state<ImportFormat>('auto')
  /** Folder an annotation file's image paths are relative to ('' = the file's folder). */
  root = $state('')
  /** Put every image in this split ('' = as the source says). */
  split = $state<'' | 'train' | 'val' | 'test' | 'none'>('')
  align = $state(false)
  jobId = $state<string | null>(null)
  importError = $state<string | null>(null)
  /** The finished import's report (the job result, or the stored one). */
  report = $state.raw<JsonValue | null>(null)
  pastImports = $state.raw<ImportSummary[]>([])

  constructor(private readonly app: AppState) {}

  get job(): JobInfo | null {
    return this.jobId ? (this.app.jobs.byId[this.jobId] ?? null) : null
  }

  get canSwitch(): boolean {
    return this.app.info?.capabilities.projectSwitch ?? false
  }

  get canImport(): boolean {
    return (this.app.info?.capabilities.import ?? false) && this.app.project !== null
  }

  async load(): Promise<void> {
    const api = this.app.api
    if (this.canSwitch) {
      const r = await api.project.recent({})
      if (r.ok) {
        this.recent = r.value
        this.recentError = null
      } else this.recentError = r.message
    }
    if (this.app.project) {
      const r = await api.import.report({})
      if (r.ok) this.pastImports = r.value
    }
  }

  async open(path: string): Promise<boolean> {
    return this.run(() => this.app.api.project.open({ path }), 'review')
  }

  async create(path: string, name?: string): Promise<boolean> {
    return this.run(() => this.app.api.project.create({ path, ...(name ? { name } : {}) }), 'projects')
  }

  async close(): Promise<void> {
    const r = await this.app.api.project.close({})
    if (!r.ok) return this.app.notify('error', r.message)
    this.app.setProject(null)
    await this.load()
  }

  /** Native file dialog (Electron only); fills `field` with the chosen path. */
  async browse(
    purpose: 'project-open' | 'project-create' | 'import-folder' | 'import-file',
    field: 'openPath' | 'createPath' | 'source' | 'root'
  ): Promise<void> {
    const r = await this.app.api.dialog.open({ purpose })
    if (!r.ok) return this.app.notify('error', r.message)
    if (r.value.path) this[field] = r.value.path
  }

  /** Presets the wizard for the synthetic demo faces, written beside the project file. */
  useDemo(): void {
    this.format = 'demo'
    const p = this.app.project?.path ?? ''
    const dir = p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '.'
    if (!this.source) this.source = `${dir}/demo-faces`
  }

  async startImport(): Promise<void> {
    this.importError = null
    if (!this.source.trim()) {
      this.importError = 'Enter the folder or file to import.'
      return
    }
    const r = await this.app.api.import.start({
      source: this.source.trim(),
      format: this.format,
      ...(this.root.trim() && this.format !== 'demo' ? { root: this.root.trim() } : {}),
      ...(this.split ? { split: this.split } : {}),
      ...(this.align ? { align: true } : {})
    })
    if (!r.ok) {
      this.importError = errorText(r)
      return
    }
    this.jobId = r.value.jobId
    this.step = 'running'
    const fin = await this.app.jobs.track(r.value.jobId)
    if (fin.job.state !== 'done') {
      this.step = 'form'
      this.importError = fin.job.error ? errorText(fin.job.error) : `import ${fin.job.state}`
      return
    }
    this.report = fin.result
    if (fin.result === null) {
      const past = await this.app.api.import.report({})
      if (past.ok && past.value.length) this.report = past.value[0].report
    }
    this.step = 'report'
    await this.app.refreshProject()
    await this.load()
  }

  async cancelImport(): Promise<void> {
    if (this.jobId) await this.app.jobs.cancel(this.jobId)
  }

  newImport(): void {
    this.step = 'form'
    this.report = null
    this.jobId = null
  }

  private async run(call: () => Promise<ApiResult<ProjectInfo>>, then: 'review' | 'projects'): Promise<boolean> {
    this.busy = true
    try {
      const r = await call()
      if (!r.ok) {
        this.app.notify('error', errorText(r))
        return false
      }
      this.app.setProject(r.value)
      this.app.go(then)
      return true
    } finally {
      this.busy = false
    }
  }
}
