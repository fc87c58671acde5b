import { defineConfig } from 'drizzle-kit'

// `bun run db:generate` writes the next migration for both dialects; see drizzle.postgres.config.ts.
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/db/schema/sqlite/index.ts',
  out: './migrations/sqlite',
})
