export interface TraceOp {
  op?: string
  mark?: string
  [key: string]: unknown
}
export function recordTrace(options: {
  dir: string
  traceFile: string
  policy: 'always' | 'everysec' | 'no'
  workload: 'append' | 'rewrite' | 'auto'
  seed: number
  pad?: number
}): TraceOp[]
export interface ExploreResult {
  mode: 'drop' | 'reorder'
  points: number
  exhaustivePoints: number
  sampledPoints: number
  states: number
  distinct: number
  failures: string[]
  opsAtFailure: Record<string, number>
}
export function explore(options: {
  core: unknown
  ops: TraceOp[]
  dir: string
  mode: 'drop' | 'reorder'
  cap: number
  seed: number
  scratch: string
  maxFailures?: number
}): ExploreResult
