export const CORE_DIST: string
export const REDUX_DIST: string
export const ZUSTAND_DIST: string
export function reduxLib(): Promise<any>
export function zustandLib(): Promise<any>
export function importDist(file: string): Promise<any>
