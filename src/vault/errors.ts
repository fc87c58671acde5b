/** A refusal the client should see as it is: the edge answers with its status, code and message. */
export class VaultError extends Error {
  readonly expose = true
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

export const uploadBroken = () => new VaultError(500, 'upload_broken', 'the upload could not be verified; start it again')
