export interface ChainOptions {
  kind: 'core' | 'redux' | 'zustand'
  policy: 'always' | 'everysec' | 'no'
  mode: 'burst' | 'rewrite'
  seed: number
  dir: string
  kills: number
  style?: 'ack' | 'ops' | 'acked' | 'mixed'
  maxAckKill?: number
  maxSelfKillOps?: number
  maxActions?: number
  maxBurst?: number
  timeoutMs?: number
}
export interface ChainResult {
  tag: string
  kills: number
  ackKills: number
  opsKills: number
  ackedKills: number
  killsInRewrite: number
  killsAtIdle: number
  cleanExits: number
  restarts: number
  tornTails: number
  maxN: number
  selfKillOps: Record<string, number>
  failures: string[]
}
export function runChain(options: ChainOptions): Promise<ChainResult>
