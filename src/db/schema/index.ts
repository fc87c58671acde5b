// The tables, once per dialect. The stores are written against the SQLite declarations' types and run on either
// set (the query builders are the same shape); tests/db/schema.test.ts keeps the two sets in step.
export * as sqliteSchema from './sqlite'
export * as postgresSchema from './postgres'
export * from './sqlite'
