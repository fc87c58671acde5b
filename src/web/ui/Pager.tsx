// Previous / "Page N of M" / Next under a paged list; shown only when there is more than one page.
import { Show } from 'solid-js'

export function Pager(props: { page: number; total: number; size: number; onPage: (page: number) => void }) {
  return (
    <Show when={props.total > props.size}>
      <nav class="pager">
        <button class="secondary" disabled={props.page === 0} onClick={() => props.onPage(props.page - 1)}>
          Previous
        </button>
        <span class="muted">
          Page {props.page + 1} of {Math.ceil(props.total / props.size)}
        </span>
        <button class="secondary" disabled={(props.page + 1) * props.size >= props.total} onClick={() => props.onPage(props.page + 1)}>
          Next
        </button>
      </nav>
    </Show>
  )
}
