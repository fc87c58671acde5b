export function RoomsPage() {
  return (
    <section>
      <h1>Rooms</h1>
      <p class="muted">Video rooms arrive with the rooms release.</p>
    </section>
  )
}
