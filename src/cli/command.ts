// What the shell commands (`partyroom admin`, `partyroom migrate-to-cluster`) share: failing with exit 2 and a line
// naming the command, and the server's configuration read the same way the server reads it.
import { ConfigError, loadConfig, type Config } from '../server/config'

export function failer(command: string): (message: string) => never {
  return (message) => {
    console.error(`partyroom ${command}: ${message}`)
    process.exit(2)
  }
}

/** The configuration from the environment; a wrong value ends the command naming the variable. */
export function configOrFail(fail: (message: string) => never): Config {
  try {
    return loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message)
    throw error
  }
}
