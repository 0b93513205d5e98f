// Mirrors the main process's state: one state:get, then every broadcast action is applied in
// order. The page keeps no state of its own that matters: closing the window loses nothing.
// (A real app would bundle src/todos.mjs and apply todos.reducer here; this page applies the
// three actions by hand to stay build-free.)
const list = document.getElementById('list')
let state = null
let seq = 0
const pending = []

function apply({ type, payload }) {
  const items = state.todos.items
  if (type === 'todos/added')
    items.push({ id: state.todos.nextId++, text: payload, done: false })
  if (type === 'todos/toggled')
    items.forEach((t) => t.id === payload && (t.done = !t.done))
  if (type === 'todos/removed')
    state.todos.items = items.filter((t) => t.id !== payload)
}

function render() {
  list.replaceChildren(
    ...state.todos.items.map((t) => {
      const li = document.createElement('li')
      li.textContent = `${t.done ? '☑' : '☐'} ${t.text}`
      li.onclick = () =>
        window.todos.dispatch({ type: 'todos/toggled', payload: t.id })
      li.ondblclick = () =>
        window.todos.dispatch({ type: 'todos/removed', payload: t.id })
      return li
    }),
  )
}

window.todos.onChange((message) => {
  if (state === null) return pending.push(message)
  if (message.seq !== seq + 1) return location.reload() // missed one: start over from state:get
  seq = message.seq
  apply(message.action)
  render()
})

window.todos.get().then((snapshot) => {
  state = snapshot.state
  seq = snapshot.seq
  for (const m of pending) {
    if (m.seq <= seq) continue
    seq = m.seq
    apply(m.action)
  }
  render()
})

document.getElementById('add').onsubmit = (e) => {
  e.preventDefault()
  const input = document.getElementById('text')
  if (input.value)
    window.todos.dispatch({ type: 'todos/added', payload: input.value })
  input.value = ''
}
