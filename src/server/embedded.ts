// What a compiled PartyRoom binary carries inside itself (the built web client and the database migrations), once
// src/partyroom.ts has unpacked it; undefined when running from source.
export interface Embedded {
  webDir: string
  migrationsDir: string
}

let embedded: Embedded | undefined

export function setEmbedded(value: Embedded) {
  embedded = value
}

export function getEmbedded(): Embedded | undefined {
  return embedded
}
