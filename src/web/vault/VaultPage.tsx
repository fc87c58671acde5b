export function VaultPage() {
  return (
    <section>
      <h1>Vault</h1>
      <p class="muted">The file vault arrives with the vault release.</p>
    </section>
  )
}
