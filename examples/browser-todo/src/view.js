/* global document */
// The page around a store: the list, the form, and a status line saying where the state is.
// Shared by the Redux Toolkit and the Zustand page; each passes its own actions.

const $ = (id) => document.getElementById(id)

/**
 * Renders `todos` and wires the form. `add(text)` and `toggle(id)` change the store and return
 * once the change is durable; the status line says so ("saved"), as an app should only after
 * `await log.durable()`.
 */
export function mountView({ log, add, toggle, getTodos, subscribe }) {
  const status = (text) => {
    $('status').textContent =
      `${text} · this tab is the ${log.role} · ${log.dir}`
  }
  const render = () => {
    $('list').replaceChildren(
      ...getTodos().map((t) => {
        const li = document.createElement('li')
        li.textContent = t.text
        li.dataset.id = t.id
        if (t.done) li.className = 'done'
        li.onclick = () => save(toggle(t.id))
        return li
      }),
    )
  }
  const save = (durable) => {
    status('saving…')
    durable.then(
      () => status('saved'),
      (err) => status(`not saved: ${err.message}`),
    )
  }
  $('add').onsubmit = (e) => {
    e.preventDefault()
    const text = $('text').value.trim()
    if (!text) return
    $('text').value = ''
    save(add(text))
  }
  subscribe(render)
  log.subscribe((e) => {
    if (e.type === 'role') status('took over')
  })
  render()
  status('loaded')
}
