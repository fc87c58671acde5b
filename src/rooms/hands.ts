// Raised hands in a call: one ordered queue that the call (inside its room actor) keeps, so every page shows the
// same order. A hand goes to the back when raised, out of the queue when lowered or when its member leaves.

export class HandQueue {
  /** Member ids in the order their hands went up (a Set keeps insertion order; a re-raise is a new insertion).
   * It holds at most one entry per member, so the room's member cap bounds it. */
  private readonly raised = new Set<string>()

  /** Raises (true) or lowers (false) a member's hand; returns whether the queue changed. */
  set(memberId: string, up: boolean): boolean {
    if (!up) return this.raised.delete(memberId)
    if (this.raised.has(memberId)) return false
    this.raised.add(memberId)
    return true
  }

  /** Member ids, earliest raised first. */
  order(): string[] {
    return [...this.raised]
  }
}
