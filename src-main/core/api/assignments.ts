/**
 * assignments.list / set / remove: review split between curators (issue 17). An assignment gives a curator the
 * images of a queue filter; `images.queue` with `filter.assigned = 'me'` shows each curator their own.
 * store/assignments.ts owns the table; a filter is checked here (class indices, what it needs) before it is kept.
 */
import type { DB } from '../store/db'
import { getAssignment, listAssignments, removeAssignment, setAssignment, type Assignment } from '../store/assignments'
import { zAssignmentFilter, type AssignmentView, type ParsedArgsOf, type ResultOf } from './contract'
import { ApiFailure } from './errors'
import type { ReadContext } from './queries/context'
import { countMatching } from './queries/queue'

type Names = 'assignments.list' | 'assignments.set' | 'assignments.remove'
export type AssignmentHandlers = { [M in Names]: (args: ParsedArgsOf<M>) => ResultOf<M> }

function view(db: DB, ctx: ReadContext, a: Assignment): AssignmentView {
  const parsed = zAssignmentFilter.safeParse(a.filter)
  let images: number | null = null
  if (parsed.success) {
    try {
      images = countMatching(db, ctx, parsed.data)
    } catch (e) {
      // A filter that needs what the project no longer has (an audit): listed, not counted.
      if (!(e instanceof ApiFailure)) throw e
    }
  }
  return { ...a, filter: parsed.success ? parsed.data : {}, images }
}

/**
 * `actor` is the session's curator (recorded as the assignment's author); `changed` runs after an assignment
 * was written or removed (the API emits project.changed 'assignments' to every window).
 */
export function assignmentHandlers(
  db: () => DB,
  ctx: () => ReadContext,
  actor: string,
  changed: () => void = () => {}
): AssignmentHandlers {
  return {
    'assignments.list': () => {
      const d = db()
      const c = ctx()
      return listAssignments(d).map((a) => view(d, c, a))
    },
    'assignments.set': ({ actor: who, filter }) => {
      const d = db()
      const c = ctx()
      // Evaluating it once refuses class indices outside the project and filters it cannot apply yet.
      countMatching(d, c, filter)
      const v = view(d, c, setAssignment(d, who.trim(), filter, actor))
      changed()
      return v
    },
    'assignments.remove': ({ actor: who }) => {
      const d = db()
      const name = who.trim()
      if (!getAssignment(d, name)) return { removed: false }
      const removed = removeAssignment(d, name)
      if (removed) changed()
      return { removed }
    }
  }
}
