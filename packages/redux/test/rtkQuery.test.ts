// A test app with RTK Query: createApi + fetchBaseQuery over a stubbed fetch, a real RTK store
// with persist last, restarted on the same directory.
import type { AofError } from '@aof-persist/core'
import { aofPersist, withAof } from '@aof-persist/redux'
import type { AofPersistDirOptions } from '@aof-persist/redux'
import { configureStore } from '@reduxjs/toolkit'
import { createApi, fetchBaseQuery } from '@reduxjs/toolkit/query'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { added, allRecordsOf, tempDir, textOf, todosSlice } from './helpers.js'

interface Todo {
  id: number
  title: string
}

/** The server: answers GET /todos/:id, counting the requests. */
function server() {
  const requests: string[] = []
  const fetchFn = vi.fn(async (input: string | URL | Request) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    requests.push(url.pathname)
    const id = Number(url.pathname.split('/').pop())
    return new Response(JSON.stringify({ id, title: `todo ${id}` }), {
      headers: { 'content-type': 'application/json' },
    })
  })
  return { fetchFn, requests }
}

function app(
  dir: string,
  fetchFn: typeof fetch,
  options: Partial<AofPersistDirOptions> = {},
) {
  const api = createApi({
    baseQuery: fetchBaseQuery({ baseUrl: 'http://api.test/', fetchFn }),
    keepUnusedDataFor: 0.05, // seconds: the removal timer fires within the test
    endpoints: (build) => ({
      todo: build.query<Todo, number>({ query: (id) => `todos/${id}` }),
    }),
  })
  const persist = aofPersist({ dir, ...options })
  const store = configureStore({
    reducer: withAof({
      [api.reducerPath]: api.reducer,
      todos: todosSlice.reducer,
    }),
    middleware: (gDM) => gDM().concat(api.middleware, persist),
  })
  return { api, persist, store }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const env = process.env.NODE_ENV
afterEach(() => {
  process.env.NODE_ENV = env
})

describe.each(['development', 'production'])('RTK Query in %s', (mode) => {
  it('resolves queries with persist last; the api slice is neither logged nor restored, the rest is', async () => {
    process.env.NODE_ENV = mode
    const dir = tempDir()
    const { fetchFn, requests } = server()
    const a = app(dir, fetchFn as typeof fetch)
    a.store.dispatch(added('keep me'))
    const sub1 = a.store.dispatch(a.api.endpoints.todo.initiate(1))
    const result = await sub1
    expect(result.data).toEqual({ id: 1, title: 'todo 1' })
    expect(result.isSuccess).toBe(true)
    expect(a.store.getState().api.queries['todo(1)']?.status).toBe('fulfilled')
    sub1.unsubscribe()
    await a.persist.rewrite()
    await a.persist.close()
    await sleep(120) // RTK Query's timers after close(): nothing throws

    // Only the app's own slice is on disk: no api actions, no api state in snapshots.
    const text = textOf(dir)
    expect(text).not.toMatch(/"api|executeQuery|__rtkq/)
    expect(allRecordsOf(dir)).toEqual([
      expect.objectContaining({
        payload: { todos: a.store.getState().todos },
      }),
    ])

    const b = app(dir, fetchFn as typeof fetch)
    expect(b.store.getState().todos.items.map((t) => t.text)).toEqual([
      'keep me',
    ])
    expect(b.store.getState().api.queries).toEqual({})
    const subAgain = b.store.dispatch(b.api.endpoints.todo.initiate(1))
    const again = await subAgain
    expect(again.data).toEqual({ id: 1, title: 'todo 1' })
    expect(requests).toEqual(['/todos/1', '/todos/1']) // the cache came from the server
    subAgain.unsubscribe()
    await b.persist.close()
  })
})

describe('RTK Query with apiSlices: persist', () => {
  it('logs the api slice like any other in development, Request and Response in meta.baseQueryMeta included', async () => {
    process.env.NODE_ENV = 'development'
    const dir = tempDir()
    const { fetchFn } = server()
    const a = app(dir, fetchFn as typeof fetch, { apiSlices: 'persist' })
    const sub2 = a.store.dispatch(a.api.endpoints.todo.initiate(2))
    const result = await sub2
    expect(result.data).toEqual({ id: 2, title: 'todo 2' })
    sub2.unsubscribe()
    await a.persist.close()
    expect(textOf(dir)).toMatch(/api\/executeQuery\/fulfilled/)

    const b = app(dir, fetchFn as typeof fetch, { apiSlices: 'persist' })
    expect(b.store.getState().api.queries['todo(2)']).toMatchObject({
      status: 'fulfilled',
      data: { id: 2, title: 'todo 2' },
    })
    await b.persist.close()
  })

  it('lets RTK Query’s timers dispatch after close(): reduced, not logged, reported, nothing thrown', async () => {
    const dir = tempDir()
    const { fetchFn } = server()
    const errors: AofError[] = []
    const uncaught = vi.fn()
    process.on('uncaughtException', uncaught)
    try {
      const a = app(dir, fetchFn as typeof fetch, {
        apiSlices: 'persist',
        onError: (err) => errors.push(err),
      })
      const sub3 = a.store.dispatch(a.api.endpoints.todo.initiate(3))
      const result = await sub3
      await a.persist.close()
      const files = textOf(dir)
      // The component unmounts after the app's shutdown code: the subscription cleanup (and,
      // 50 ms later, the cache removal) dispatch from timers.
      sub3.unsubscribe()
      await sleep(200)
      expect(a.store.getState().api.queries['todo(3)']).toBeUndefined()
      expect(uncaught).not.toHaveBeenCalled()
      expect(errors.length).toBeGreaterThan(0)
      expect(errors.every((e) => e.code === 'AOF_CLOSED')).toBe(true)
      expect(a.persist.stats().droppedAfterClose).toBe(errors.length)
      expect(textOf(dir)).toBe(files)
    } finally {
      process.off('uncaughtException', uncaught)
    }
  })
})
